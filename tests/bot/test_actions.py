"""Custom actions called with tracker/dispatcher/domain fixtures; assertions on events and messages.

The knowledge service's outcome is fixed per test (``kb_returns``) so each branch of the dialogue
logic is reached on purpose; work orders go to a real SQLite database through the ticket service.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from bot.actions import names
from bot.actions.feedback import ActionRateService
from bot.actions.handoff import ActionHandoff, is_angry
from bot.actions.intake import ActionStartTicket
from bot.actions.knowledge import ActionAnswerPolicy, ActionOutOfScope
from bot.actions.offers import ActionAffirm, ActionDeny
from bot.actions.records import ActionPersonalRecord
from bot.actions.tickets import ActionCreateTicket, ValidateTicketForm


def run(action: Any, dispatcher: Any, tracker: Any, domain: dict[str, Any]) -> list[dict[str, Any]]:
    return asyncio.run(action.run(dispatcher, tracker, domain))


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def kinds(dispatcher: Any) -> list[str]:
    return [m["custom"]["kind"] for m in dispatcher.messages if m.get("custom", {}).get("kind")]


def responses(dispatcher: Any) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


class TestAnswerPolicy:
    def test_answer_carries_sources_and_resets_failures(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        calls = kb_returns("answer", "杭州10个工作日到账")
        tracker = make_tracker("杭州的生育津贴多久到账", slots={"failures": 1.0})
        events = run(ActionAnswerPolicy(), dispatcher, tracker, domain)
        assert dispatcher.messages[0]["text"] == "杭州10个工作日到账"
        assert dispatcher.messages[0]["custom"]["sources"][0]["title"] == "测试条目"
        assert kinds(dispatcher) == ["answer"]
        assert slot_sets(events)[names.FAILURES] == 0.0
        assert slot_sets(events)[names.REGION] == "浙江/杭州"
        assert calls == [("杭州的生育津贴多久到账", "浙江/杭州", [])]

    def test_clarify_remembers_the_question(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("clarify_region", "请问您在哪里参保？")
        events = run(ActionAnswerPolicy(), dispatcher, make_tracker("生育津贴多久能到账？"), domain)
        assert kinds(dispatcher) == ["clarify_region"]
        assert slot_sets(events)[names.PENDING_QUESTION] == "生育津贴多久能到账？"

    def test_region_answers_the_waiting_question_with_history(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        calls = kb_returns("answer", "太原：承诺制备案")
        tracker = make_tracker(
            "我是太原的",
            "inform_region",
            slots={names.PENDING_QUESTION: "去外地看病要先备案吗？"},
            history=["去外地看病要先备案吗？"],
        )
        events = run(ActionAnswerPolicy(), dispatcher, tracker, domain)
        assert calls == [("去外地看病要先备案吗？", "山西/太原", ["去外地看病要先备案吗？"])]
        assert slot_sets(events)[names.PENDING_QUESTION] is None
        assert kinds(dispatcher) == ["answer"]

    def test_follow_up_passes_history_and_region_slot(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        calls = kb_returns("answer", "无需申请")
        tracker = make_tracker(
            "那要带什么材料？",
            slots={names.REGION: "浙江/杭州"},
            history=["生育津贴多久能到账？", "我是杭州的"],
        )
        run(ActionAnswerPolicy(), dispatcher, tracker, domain)
        assert calls == [("那要带什么材料？", "浙江/杭州", ["生育津贴多久能到账？", "我是杭州的"])]

    def test_bare_region_without_question_is_noted(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        calls = kb_returns("answer")
        events = run(ActionAnswerPolicy(), dispatcher, make_tracker("我是略阳的", "inform_region"), domain)
        assert calls == []
        assert responses(dispatcher) == [names.UTTER_REGION_NOTED]
        assert dispatcher.messages[0]["region_display"] == "汉中略阳"
        assert slot_sets(events)[names.REGION] == "陕西/汉中/略阳"

    def test_low_confidence_miss_asks_once_then_hands_off(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "暂时没法答复")
        first = run(
            ActionAnswerPolicy(), dispatcher, make_tracker("那个啥", "nlu_fallback", confidence=0.3), domain
        )
        assert responses(dispatcher) == [names.UTTER_ASK_REPHRASE]
        assert slot_sets(first)[names.FAILURES] == 1.0
        dispatcher.messages.clear()
        second = run(
            ActionAnswerPolicy(),
            dispatcher,
            make_tracker("就那个事", "nlu_fallback", confidence=0.3, slots={"failures": 1.0}),
            domain,
        )
        assert responses(dispatcher) == [names.UTTER_HANDOFF]
        assert dispatcher.messages[0]["custom"]["handoff"]["reason"] == "repeated_failure"
        assert slot_sets(second)[names.HANDED_OFF] is True

    def test_confident_miss_offers_human_or_work_order(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        events = run(ActionAnswerPolicy(), dispatcher, make_tracker("住院能报百分之多少"), domain)
        assert dispatcher.messages[0]["text"].startswith("这个问题我暂时没法")
        assert responses(dispatcher) == [names.UTTER_OFFER_HELP]
        assert kinds(dispatcher) == ["abstain"]  # the offer's kind comes from its domain response
        assert slot_sets(events)[names.PENDING_OFFER] == names.OFFER_HANDOFF

    def test_out_of_scope_still_answers_what_the_knowledge_base_knows(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        calls = kb_returns("answer", "职工住院报销比例为……")
        tracker = make_tracker("报销比例是多少", "out_of_scope", confidence=0.8)
        run(ActionOutOfScope(), dispatcher, tracker, domain)
        assert kinds(dispatcher) == ["answer"] and calls[0][0] == "报销比例是多少"

    def test_out_of_scope_miss_is_not_counted_as_our_failure(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        tracker = make_tracker("电费在哪交", "out_of_scope", confidence=0.99, slots={"failures": 1.0})
        events = run(ActionOutOfScope(), dispatcher, tracker, domain)
        assert responses(dispatcher) == [names.UTTER_OUT_OF_SCOPE]
        assert names.FAILURES not in slot_sets(events) and names.PENDING_OFFER not in slot_sets(events)

    def test_knowledge_service_failure_is_said_not_hidden(
        self, make_tracker, dispatcher, domain, monkeypatch, bot_settings
    ) -> None:
        def broken(*_: Any) -> Any:
            raise OSError("index missing")

        monkeypatch.setattr("bot.actions.knowledge.answer_question", broken)
        run(ActionAnswerPolicy(), dispatcher, make_tracker("异地就医怎么备案"), domain)
        assert responses(dispatcher) == [names.UTTER_KB_UNAVAILABLE]

    def test_anger_goes_to_a_human(self, make_tracker, dispatcher, domain, kb_returns, bot_settings) -> None:
        calls = kb_returns("answer")
        run(ActionAnswerPolicy(), dispatcher, make_tracker("你们这什么破系统，气死我了"), domain)
        assert calls == []
        assert responses(dispatcher) == [names.UTTER_HANDOFF_ANGER]
        assert is_angry("受够了") and not is_angry("请问异地就医怎么备案")


class TestHandoff:
    def test_staffed_hands_off_with_slots(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        tracker = make_tracker("转人工", "request_human", slots={names.REGION: "山西/太原"})
        events = run(ActionHandoff(), dispatcher, tracker, domain)
        handoff = dispatcher.messages[0]["custom"]["handoff"]
        assert handoff["status"] == "waiting"
        assert handoff["slots"] == {names.REGION: "山西/太原"}
        assert slot_sets(events)[names.HANDED_OFF] is True

    def test_offline_offers_callback_with_promise(
        self, make_tracker, dispatcher, domain, offline_settings
    ) -> None:
        events = run(ActionHandoff(), dispatcher, make_tracker("转人工", "request_human"), domain)
        msg = dispatcher.messages[0]
        assert msg["response"] == names.UTTER_HANDOFF_OFFLINE
        assert msg["promise_hours"] == 24
        assert msg["custom"]["handoff"]["status"] == "offline"
        assert slot_sets(events)[names.PENDING_OFFER] == names.OFFER_CALLBACK
        # 好的 now opens the callback work order.
        dispatcher.messages.clear()
        tracker = make_tracker(
            "好的", "affirm", slots={names.PENDING_OFFER: names.OFFER_CALLBACK}, history=["转人工"]
        )
        events = run(ActionAffirm(), dispatcher, tracker, domain)
        assert FollowupAction(names.TICKET_FORM) in events
        assert slot_sets(events)[names.TICKET_TOPIC] == "预约回电"
        assert slot_sets(events)[names.TICKET_DESCRIPTION]  # the earlier turns describe the request

    def test_handoff_closes_an_open_form(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        tracker = make_tracker("转人工", "request_human", active_loop=names.TICKET_FORM)
        events = run(ActionHandoff(), dispatcher, tracker, domain)
        assert ActiveLoop(None) in events

    def test_deny_without_offer_carries_on(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        run(ActionDeny(), dispatcher, make_tracker("不用", "deny"), domain)
        assert responses(dispatcher) == [names.UTTER_ANYTHING_ELSE]


class TestTicketForm:
    def test_start_complaint_keeps_context_but_asks_description(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        tracker = make_tracker("医院非让出院，我要投诉！", "complain")
        slots = slot_sets(run(ActionStartTicket(), dispatcher, tracker, domain))
        assert slots[names.TICKET_CATEGORY] == "投诉"
        assert slots[names.TICKET_CONTEXT] == "医院非让出院，我要投诉！"
        assert slots[names.TICKET_DESCRIPTION] is None

    def test_start_unresolved_prefills_description(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        tracker = make_tracker("你说的这个没用", "not_helpful", history=["衢州零星报销能在手机上办吗"])
        slots = slot_sets(run(ActionStartTicket(), dispatcher, tracker, domain))
        assert "衢州零星报销" in slots[names.TICKET_DESCRIPTION]
        assert slots[names.TICKET_CATEGORY] == "咨询"

    def test_name_is_cut_out_of_the_phrase(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        tracker = make_tracker("我叫王建国", slots={names.REQUESTED_SLOT: names.TICKET_NAME})
        result = ValidateTicketForm().validate_ticket_name("我叫王建国", dispatcher, tracker, domain)
        assert result == {names.TICKET_NAME: "王建国"}

    def test_bad_name_is_asked_again(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        tracker = make_tracker("好的", slots={names.REQUESTED_SLOT: names.TICKET_NAME})
        result = ValidateTicketForm().validate_ticket_name("好的", dispatcher, tracker, domain)
        assert result == {names.TICKET_NAME: None}
        assert responses(dispatcher) == [names.UTTER_NAME_INVALID]

    def test_phone_is_validated_and_read_back_masked(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        tracker = make_tracker("我手机号是13912345678", slots={names.REQUESTED_SLOT: names.TICKET_PHONE})
        result = ValidateTicketForm().validate_ticket_phone(
            "我手机号是13912345678", dispatcher, tracker, domain
        )
        assert result == {names.TICKET_PHONE: "13912345678"}
        assert dispatcher.messages[0]["phone_masked"] == "139****5678"
        assert "13912345678" not in str(dispatcher.messages)

    def test_bad_phone_is_refused(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        tracker = make_tracker("1391234", slots={names.REQUESTED_SLOT: names.TICKET_PHONE})
        result = ValidateTicketForm().validate_ticket_phone("1391234", dispatcher, tracker, domain)
        assert result == {names.TICKET_PHONE: None}
        assert responses(dispatcher) == [names.UTTER_PHONE_INVALID]

    def test_correction_during_description_is_not_the_description(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        text = "不对，电话是13800001111"
        tracker = make_tracker(text, slots={names.REQUESTED_SLOT: names.TICKET_DESCRIPTION})
        result = ValidateTicketForm().validate_ticket_description(text, dispatcher, tracker, domain)
        assert result == {names.TICKET_DESCRIPTION: None}
        assert responses(dispatcher) == [names.UTTER_CORRECTED]

    def test_description_names_the_region(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        text = "在大同市第一人民医院，收费单上同一个检查收了两次"
        tracker = make_tracker(text, slots={names.REQUESTED_SLOT: names.TICKET_DESCRIPTION})
        result = ValidateTicketForm().validate_ticket_description(text, dispatcher, tracker, domain)
        assert result[names.REGION] == "山西/大同"

    def test_create_ticket_confirms_a_real_number(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        from api.db import unit_of_work
        from api.services.registry import get_session_factory
        from api.services.tickets import get_ticket

        slots = {
            names.TICKET_CATEGORY: "投诉", names.TICKET_TOPIC: "投诉", names.TICKET_NAME: "王建国",
            names.TICKET_PHONE: "13912345678", names.TICKET_DESCRIPTION: "县医院要求出院",
            names.TICKET_CONTEXT: "医院说额度用完了让出院，我要投诉", names.REGION: "山西/太原",
        }  # fmt: skip
        tracker = make_tracker("县医院要求出院", slots=slots, history=["医院说额度用完了让出院，我要投诉"])
        events = run(ActionCreateTicket(), dispatcher, tracker, domain)
        number = slot_sets(events)[names.TICKET_NUMBER]
        msg = dispatcher.messages[0]
        assert msg["response"] == names.UTTER_TICKET_CREATED
        assert msg["custom"] == {"kind": "ticket", "ticket_id": number}
        assert msg["phone_masked"] == "139****5678"
        with unit_of_work(get_session_factory(bot_settings)) as session:
            stored = get_ticket(session, number=number)
        assert stored.category == "投诉" and stored.caller_phone == "13912345678"
        assert "额度用完" in stored.description and "县医院要求出院" in stored.description
        assert stored.conversation_id == "test-session"
        assert [t.speaker for t in stored.transcript][:2] == ["caller", "bot"]

    def test_create_ticket_failure_never_invents_a_number(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        tracker = make_tracker("x", slots={names.TICKET_PHONE: "12"})  # the store refuses this phone
        events = run(ActionCreateTicket(), dispatcher, tracker, domain)
        assert responses(dispatcher) == [names.UTTER_TICKET_FAILED]
        assert names.TICKET_NUMBER not in slot_sets(events)


class TestRecordsAndFeedback:
    def test_records_use_the_knowledge_answer(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("answer", "实名认证后在国家医保服务平台APP查询")
        run(
            ActionPersonalRecord(),
            dispatcher,
            make_tracker("我卡里还有多少钱", "query_personal_record"),
            domain,
        )
        assert kinds(dispatcher) == ["answer"]

    def test_record_words_that_name_a_regional_rule_ask_for_the_region(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("clarify_region", "请问您在哪里参保？")
        question = "娃还没上户口，能先给他办医保不"
        tracker = make_tracker(question, "query_personal_record")
        events = run(ActionPersonalRecord(), dispatcher, tracker, domain)
        assert kinds(dispatcher) == ["clarify_region"]
        assert slot_sets(events)[names.PENDING_QUESTION] == question

    def test_records_never_guess(self, make_tracker, dispatcher, domain, kb_returns, bot_settings) -> None:
        kb_returns("abstain")
        run(
            ActionPersonalRecord(),
            dispatcher,
            make_tracker("我卡里还有多少钱", "query_personal_record"),
            domain,
        )
        assert responses(dispatcher) == [names.UTTER_RECORDS_VERIFIED_ONLY]

    @pytest.mark.parametrize("rating", ["满意", "基本满意"])
    def test_rating_is_recorded(self, make_tracker, dispatcher, domain, bot_settings, rating: str) -> None:
        events = run(ActionRateService(), dispatcher, make_tracker(rating, "rate_service"), domain)
        assert slot_sets(events)[names.RATING] == rating
        assert dispatcher.messages[0]["custom"] == {"kind": "goodbye", "rating": rating}

    def test_dissatisfied_opens_follow_up_order(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        entities = [{"entity": "rating", "value": "不满意"}]
        tracker = make_tracker("/rate_service", "rate_service", entities=entities, history=["住院能报多少"])
        events = run(ActionRateService(), dispatcher, tracker, domain)
        assert FollowupAction(names.TICKET_FORM) in events
        assert slot_sets(events)[names.TICKET_TOPIC] == "服务不满意回访"

    def test_no_rating_asks_again(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        run(ActionRateService(), dispatcher, make_tracker("嗯", "rate_service"), domain)
        assert responses(dispatcher) == [names.UTTER_ASK_RATING]


def test_slot_set_helper_matches_sdk_events() -> None:
    assert SlotSet("a", 1) == {"event": "slot", "timestamp": None, "name": "a", "value": 1}


class TestDialogueState:
    def test_an_abstained_question_waits_for_a_region(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        events = run(ActionAnswerPolicy(), dispatcher, make_tracker("慢特病认定有效期多长"), domain)
        assert slot_sets(events)[names.PENDING_QUESTION] == "慢特病认定有效期多长"
        assert slot_sets(events)[names.PENDING_TOPIC] is None

    def test_a_region_after_an_abstention_re_runs_the_question(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        calls = kb_returns("answer", "太原：有效期两年")
        tracker = make_tracker(
            "太原的", "inform_region", slots={names.PENDING_QUESTION: "慢特病认定有效期多长"}
        )
        run(ActionAnswerPolicy(), dispatcher, tracker, domain)
        assert calls[0][:2] == ("慢特病认定有效期多长", "山西/太原")
        assert kinds(dispatcher) == ["answer"]

    def test_a_region_after_a_clarify_keeps_to_the_topic(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("clarify_region", "请问您在哪里参保？", topic="异地就医")
        events = run(ActionAnswerPolicy(), dispatcher, make_tracker("去外地看病要备案吗"), domain)
        assert slot_sets(events)[names.PENDING_TOPIC] == "异地就医"
        calls = kb_returns("answer", "太原：承诺制备案", topic="异地就医")
        tracker = make_tracker(
            "太原",
            "inform_region",
            slots={names.PENDING_QUESTION: "去外地看病要备案吗", names.PENDING_TOPIC: "异地就医"},
        )
        run(ActionAnswerPolicy(), dispatcher, tracker, domain)
        assert calls.states == [{"topic": "异地就医", "previous_entry": None}]

    def test_an_answer_is_remembered_for_follow_ups(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("answer", "杭州10个工作日到账")
        events = run(ActionAnswerPolicy(), dispatcher, make_tracker("杭州生育津贴多久到账"), domain)
        assert slot_sets(events)[names.LAST_ENTRY] == "e1"
        calls = kb_returns("answer", "不用交材料")
        tracker = make_tracker("那要带什么材料？", slots={names.LAST_ENTRY: "e1", names.REGION: "浙江/杭州"})
        run(ActionAnswerPolicy(), dispatcher, tracker, domain)
        assert calls.states == [{"topic": None, "previous_entry": "e1"}]


class TestRouting:
    def test_a_weak_report_intent_on_a_known_question_is_answered(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("answer", "备案有效期内可多次就医")
        tracker = make_tracker(
            "备案管多长时间",
            "report_fraud",
            confidence=0.55,
            ranking={"report_fraud": 0.55, "ask_policy": 0.4},
        )
        events = run(ActionStartTicket(), dispatcher, tracker, domain)
        assert kinds(dispatcher) == ["answer"]
        assert not [e for e in events if e.get("event") == "followup"]

    def test_a_complaint_opens_the_form_itself(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        tracker = make_tracker("挂着定点的牌子又不给刷，谁来管管", "complain", confidence=0.6)
        events = run(ActionStartTicket(), dispatcher, tracker, domain)
        assert FollowupAction(names.TICKET_FORM) in events
        assert responses(dispatcher) == [names.UTTER_TICKET_INTRO["complaint"]]

    def test_a_complaint_phrased_as_a_policy_question_opens_the_form(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        tracker = make_tracker("这也能驳回？还讲不讲理了", "ask_policy", confidence=0.7)
        events = run(ActionAnswerPolicy(), dispatcher, tracker, domain)
        assert FollowupAction(names.TICKET_FORM) in events
        assert slot_sets(events)[names.TICKET_CATEGORY] == "投诉"

    def test_a_stolen_card_hears_what_to_do_now(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        tracker = make_tracker("我的医保卡被人盗刷了", "report_fraud")
        events = run(ActionStartTicket(), dispatcher, tracker, domain)
        assert responses(dispatcher) == [names.UTTER_TICKET_INTRO["stolen_card"]]
        advice = domain["responses"][names.UTTER_TICKET_INTRO["stolen_card"]][0]["text"]
        assert "挂失" in advice and "报警" in advice
        assert slot_sets(events)[names.TICKET_CATEGORY] == "举报"

    def test_a_tie_asks_and_keeps_the_question(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        tracker = make_tracker(
            "医院让我们自己去外面买药",
            "complain",
            confidence=0.45,
            ranking={"complain": 0.45, "ask_policy": 0.4},
        )
        events = run(ActionStartTicket(), dispatcher, tracker, domain)
        assert responses(dispatcher) == [names.UTTER_CONFIRM_TICKET]
        assert slot_sets(events)[names.PENDING_OFFER] == names.OFFER_TICKET
        assert slot_sets(events)[names.PENDING_QUESTION] == "医院让我们自己去外面买药"


class TestSocialTurnsThatAsk:
    def test_a_greeting_with_a_question_gets_the_answer(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        from bot.actions.intake import ActionGreet

        calls = kb_returns("answer", "可以留言，24小时内回复")
        run(ActionGreet(), dispatcher, make_tracker("你好，医保局下了班电话还有人接不？", "greet"), domain)
        assert kinds(dispatcher) == ["answer"] and calls[-1][0] == "你好，医保局下了班电话还有人接不？"

    def test_a_plain_greeting_is_greeted(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        from bot.actions.intake import ActionGreet

        run(ActionGreet(), dispatcher, make_tracker("喂，你好", "greet"), domain)
        assert responses(dispatcher) == [names.UTTER_GREET]

    def test_a_yes_that_asks_is_answered(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("answer", "用出生医学证明登记")
        run(ActionAffirm(), dispatcher, make_tracker("娃还没得身份证，用啥子登记？", "affirm"), domain)
        assert kinds(dispatcher) == ["answer"]

    def test_a_social_turn_the_base_cannot_answer_stays_social(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        from bot.actions.intake import ActionGreet

        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        run(ActionGreet(), dispatcher, make_tracker("你好，你是真人还是机器人啊？", "greet"), domain)
        assert responses(dispatcher) == [names.UTTER_GREET]

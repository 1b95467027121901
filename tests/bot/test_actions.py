"""Custom actions called with tracker/dispatcher/domain fixtures; assertions on events and messages.

The knowledge service's outcome is fixed per test (``kb_returns``) so each branch of the dialogue
logic is reached on purpose; work orders go to a real SQLite database through the ticket service.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from api.db import unit_of_work
from api.schemas import AnswerPublic, SourcePublic, TicketPublic
from api.services.registry import get_session_factory
from api.services.tickets import get_ticket
from api.settings import Settings
from bot.actions import names
from bot.actions.feedback import ActionRateService
from bot.actions.handoff import is_angry
from bot.actions.human import ActionHandoff
from bot.actions.intake import ActionStartTicket
from bot.actions.knowledge import ActionAnswerPolicy, ActionOutOfScope
from bot.actions.offers import ActionAffirm, ActionDeny
from bot.actions.records import ActionPersonalRecord
from bot.actions.tickets import FOLLOW_UP_TOPIC, ActionCreateTicket, ActionTicketStatus, ValidateTicketForm
from tests.faults.procs import free_port


def run(action: Any, dispatcher: Any, tracker: Any, domain: dict[str, Any]) -> list[dict[str, Any]]:
    return asyncio.run(action.run(dispatcher, tracker, domain))


def said(text: str) -> dict[str, Any]:
    """A caller turn as it stands in a tracker's events."""
    return {"event": "user", "text": text, "timestamp": time.time(), "metadata": {"channel": "web"}}


def bot_said(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": time.time()}


def stored_ticket(settings: Settings, number: str) -> TicketPublic:
    with unit_of_work(get_session_factory(settings)) as session:
        return get_ticket(session, number=number)


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

    def test_a_question_taken_for_a_wish_for_a_person_is_answered(
        self, make_tracker, dispatcher, domain, kb_returns, offline_settings
    ) -> None:
        calls = kb_returns("answer", "可以在医保网厅查办事点")
        tracker = make_tracker("想找个离家近的医保办事点，咋找？", "request_human")
        events = run(ActionHandoff(), dispatcher, tracker, domain)
        assert kinds(dispatcher) == ["answer"]
        assert calls and slot_sets(events)[names.PENDING_OFFER] is None  # no callback offered

    def test_a_region_after_a_miss_taken_for_a_wish_for_a_person_reruns_the_question(
        self, make_tracker, dispatcher, domain, kb_returns, offline_settings
    ) -> None:
        calls = kb_returns("answer", "可以在慢病定点药房视频问诊续方")
        asked = "俺爹的慢病药快吃完了，还得跑县医院开方子不"
        slots = {names.PENDING_QUESTION: asked}
        tracker = make_tracker("俺是太原的", "request_human", slots=slots, history=[asked])
        events = run(ActionHandoff(), dispatcher, tracker, domain)
        assert kinds(dispatcher) == ["answer"]
        assert calls[0][0] == asked and calls[0][1] == "山西/太原"
        assert slot_sets(events).get(names.PENDING_OFFER) is None  # no callback offered

    @pytest.mark.parametrize("said", ["我是退休职工", "好的，出院的时候能直接结算不？"])
    def test_words_that_are_no_yes_do_not_open_the_offered_form(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings, said
    ) -> None:
        calls = kb_returns("answer", "退休职工报81%")
        tracker = make_tracker(said, "affirm", slots={names.PENDING_OFFER: names.OFFER_CALLBACK})
        events = run(ActionAffirm(), dispatcher, tracker, domain)
        assert FollowupAction(names.TICKET_FORM) not in events
        assert kinds(dispatcher) == ["answer"] and calls

    def test_thanks_after_an_offer_close_instead_of_accepting(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        tracker = make_tracker(
            "好的，谢谢，再见", "affirm", slots={names.PENDING_OFFER: names.OFFER_CALLBACK}
        )
        events = run(ActionAffirm(), dispatcher, tracker, domain)
        assert responses(dispatcher) == [names.UTTER_THANK]
        assert slot_sets(events)[names.PENDING_OFFER] is None

    def test_handoff_closes_an_open_form(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        tracker = make_tracker("转人工", "request_human", active_loop=names.TICKET_FORM)
        events = run(ActionHandoff(), dispatcher, tracker, domain)
        assert ActiveLoop(None) in events

    def test_a_form_answer_taken_for_a_wish_for_a_person_keeps_the_form(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        asked = {names.REQUESTED_SLOT: names.TICKET_NAME}
        tracker = make_tracker("王建国，三横王", "request_human", active_loop=names.TICKET_FORM, slots=asked)
        events = run(ActionHandoff(), dispatcher, tracker, domain)
        assert ActiveLoop(None) not in events
        assert responses(dispatcher) == [f"utter_ask_{names.TICKET_NAME}"]

    def test_a_closing_taken_for_a_callback_closes(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        tracker = make_tracker("行，那我懂了", "request_callback", confidence=0.9)
        events = run(ActionStartTicket(), dispatcher, tracker, domain)
        assert responses(dispatcher) == [names.UTTER_THANK]
        assert names.REQUESTED_SLOT not in slot_sets(events)

    def test_thanks_with_a_no_close_the_conversation(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        offer = {names.PENDING_OFFER: names.OFFER_HANDOFF}
        events = run(ActionDeny(), dispatcher, make_tracker("那算了，谢谢啊", "deny", slots=offer), domain)
        assert responses(dispatcher) == [names.UTTER_THANK]
        assert slot_sets(events)[names.PENDING_OFFER] is None

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
        stored = stored_ticket(bot_settings, number)
        assert stored.category == "投诉" and stored.caller_phone == "13912345678"
        assert "额度用完" in stored.description and "县医院要求出院" in stored.description
        assert stored.conversation_id == "test-session"
        assert [t.speaker for t in stored.transcript][:2] == ["caller", "bot"]

    def test_the_same_matter_again_is_added_to_the_open_order(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        slots = {
            names.TICKET_CATEGORY: "投诉", names.TICKET_TOPIC: "医院收费", names.TICKET_NAME: "李桂兰",
            names.TICKET_PHONE: "13712345678", names.TICKET_DESCRIPTION: "市一院多收了三百元",
        }  # fmt: skip
        first = run(ActionCreateTicket(), dispatcher, make_tracker("市一院多收了三百元", slots=slots), domain)
        number = slot_sets(first)[names.TICKET_NUMBER]
        dispatcher.messages.clear()
        again = {**slots, names.TICKET_DESCRIPTION: "上周说的多收费，到现在没人管"}
        second = run(ActionCreateTicket(), dispatcher, make_tracker("没人管", slots=again), domain)
        assert slot_sets(second)[names.TICKET_NUMBER] == number
        msg = dispatcher.messages[0]
        # Not "工单已登记" for an order that already existed: the caller hears it was added to it.
        assert msg.get("response") is None and "已有一张未办结的工单" in msg["text"] and number in msg["text"]
        assert msg["custom"] == {"kind": "ticket", "ticket_id": number, "duplicate": True}

    def test_create_ticket_failure_never_invents_a_number(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        tracker = make_tracker("x", slots={names.TICKET_PHONE: "12"})  # the store refuses this phone
        events = run(ActionCreateTicket(), dispatcher, tracker, domain)
        assert responses(dispatcher) == [names.UTTER_TICKET_FAILED]
        assert names.TICKET_NUMBER not in slot_sets(events)

    def test_the_order_holds_only_the_turns_about_its_matter(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        earlier = ["异地就医怎么备案", "生育津贴多久到账"]
        tracker = make_tracker("县医院重复收费，我要投诉", "complain", history=earlier)
        started = run(ActionStartTicket(), dispatcher, tracker, domain)
        assert slot_sets(started)[names.TICKET_CONTEXT] == "县医院重复收费，我要投诉"
        account = "在大同市第一人民医院，同一个检查收了两次"
        slots = {
            **slot_sets(started),
            names.TICKET_NAME: "王建国",
            names.TICKET_PHONE: "13912345678",
            names.TICKET_DESCRIPTION: account,
        }
        create = make_tracker(account, "inform", slots=slots)
        create.events = [
            *tracker.events,
            *started,
            bot_said("非常抱歉给您添堵了。我来帮您登记投诉工单"),
            bot_said("请问您怎么称呼？"),
            said("我叫王建国"),
            bot_said("请留一个能联系到您的手机号"),
            said("13912345678"),
            bot_said("请简单说一下具体情况"),
            said(account),
        ]
        dispatcher.messages.clear()
        number = slot_sets(run(ActionCreateTicket(), dispatcher, create, domain))[names.TICKET_NUMBER]
        stored = stored_ticket(bot_settings, number)
        caller = [t.text for t in stored.transcript if t.speaker == "caller"]
        assert caller == ["县医院重复收费，我要投诉", "我叫王建国", "13912345678", account]
        assert stored.description == f"来电人所述：县医院重复收费，我要投诉\n补充情况：{account}"
        assert not any(q in stored.description + str(stored.transcript) for q in earlier)
        assert stored.conversation_id == "test-session"  # the console opens the conversation from it

    def test_an_unanswered_question_belongs_to_its_order(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        history = ["生育津贴多久到账", "衢州零星报销能在手机上办吗"]
        tracker = make_tracker("你说的这个没用", "not_helpful", history=history)
        started = run(ActionStartTicket(), dispatcher, tracker, domain)
        slots = {**slot_sets(started), names.TICKET_NAME: "王建国", names.TICKET_PHONE: "13912345678"}
        create = make_tracker("你说的这个没用", "not_helpful", slots=slots)
        create.events = [*tracker.events, *started]
        number = slot_sets(run(ActionCreateTicket(), dispatcher, create, domain))[names.TICKET_NUMBER]
        caller = [t.text for t in stored_ticket(bot_settings, number).transcript if t.speaker == "caller"]
        assert caller == ["衢州零星报销能在手机上办吗", "你说的这个没用"]

    def test_database_down_gives_a_provisional_number(
        self, make_tracker, dispatcher, domain, bot_settings, tmp_path: Path, monkeypatch
    ) -> None:
        down = bot_settings.model_copy(
            update={
                "database_url": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/hotline",
                "outbox_path": tmp_path / "outbox.sqlite3",
            }
        )
        monkeypatch.setattr("bot.actions.common.settings", lambda: down)
        slots = {
            names.TICKET_CATEGORY: "投诉", names.TICKET_TOPIC: "投诉", names.TICKET_NAME: "王建国",
            names.TICKET_PHONE: "13912345678", names.TICKET_DESCRIPTION: "县医院要求出院",
        }  # fmt: skip
        events = run(ActionCreateTicket(), dispatcher, make_tracker("县医院要求出院", slots=slots), domain)
        reference = slot_sets(events)[names.TICKET_NUMBER]
        assert reference.startswith("LS") and dispatcher.messages[0]["custom"]["queued"] is True
        assert f"临时受理号{reference}" in dispatcher.messages[0]["text"]
        assert "139****5678" in dispatcher.messages[0]["text"]

    def test_status_query_reads_the_callers_own_order(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        slots = {
            names.TICKET_CATEGORY: "投诉", names.TICKET_TOPIC: "投诉", names.TICKET_NAME: "王建国",
            names.TICKET_PHONE: "13912345678", names.TICKET_DESCRIPTION: "县医院要求出院",
        }  # fmt: skip
        created = run(ActionCreateTicket(), dispatcher, make_tracker("县医院要求出院", slots=slots), domain)
        number = slot_sets(created)[names.TICKET_NUMBER]
        dispatcher.messages.clear()
        query = {names.TICKET_ID: number, names.PHONE_LAST4: "5678"}
        run(ActionTicketStatus(), dispatcher, make_tracker("5678", slots=query), domain)
        assert responses(dispatcher) == [names.UTTER_TICKET_STATUS]
        assert (
            dispatcher.messages[0]["ticket_number"] == number and dispatcher.messages[0]["status"] == "新建"
        )
        dispatcher.messages.clear()
        wrong = {names.TICKET_ID: number, names.PHONE_LAST4: "0000"}
        run(ActionTicketStatus(), dispatcher, make_tracker("0000", slots=wrong), domain)
        assert responses(dispatcher) == [names.UTTER_TICKET_NOT_FOUND]


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

    def test_a_look_up_that_tells_of_a_theft_opens_the_stolen_card_report(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain")
        said = "我卡一直在身上，账户里的钱少了两千，是不是被盗刷了，你们帮我查查"
        events = run(ActionPersonalRecord(), dispatcher, make_tracker(said, "query_personal_record"), domain)
        assert responses(dispatcher) == [names.UTTER_TICKET_INTRO["stolen_card"]]
        assert FollowupAction(names.TICKET_FORM) in events

    def test_a_question_taken_for_a_look_up_is_missed_as_a_question(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        question = "我替我妈问问，她腿脚不好，每个月去医院开降压药太折腾，有没有简便点的办法？"
        tracker = make_tracker(question, "query_personal_record")
        events = run(ActionPersonalRecord(), dispatcher, tracker, domain)
        assert names.UTTER_RECORDS_VERIFIED_ONLY not in responses(dispatcher)
        assert kinds(dispatcher) == ["abstain"] and slot_sets(events)[names.PENDING_QUESTION] == question

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
        assert slot_sets(events)[names.TICKET_TOPIC] == FOLLOW_UP_TOPIC
        # A button rating says nothing about what went wrong: the form asks, never the old questions.
        assert slot_sets(events)[names.TICKET_CONTEXT] == ""
        assert slot_sets(events)[names.TICKET_DESCRIPTION] is None

    def test_dissatisfied_gets_its_own_order_linked_to_the_earlier_one(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        caller = {names.TICKET_NAME: "王建国", names.TICKET_PHONE: "13912345678", names.TOPIC: "零星报销"}
        complaint = {
            **caller, names.TICKET_CATEGORY: "投诉", names.TICKET_TOPIC: "零星报销",
            names.TICKET_DESCRIPTION: "报销材料交了两个月还没到账",
        }  # fmt: skip
        first = run(ActionCreateTicket(), dispatcher, make_tracker("还没到账", slots=complaint), domain)
        earlier = slot_sets(first)[names.TICKET_NUMBER]
        dispatcher.messages.clear()
        entities = [{"entity": "rating", "value": "不满意"}]
        slots = {**caller, names.TICKET_NUMBER: earlier}
        rating = make_tracker("不满意，等了这么久", "rate_service", entities=entities, slots=slots)
        rated = run(ActionRateService(), dispatcher, rating, domain)
        assert names.TICKET_NUMBER not in slot_sets(rated)  # the earlier order stays the one followed up
        # Name and phone are known and the words describe it: the form has nothing to ask.
        create = make_tracker("不满意，等了这么久", "rate_service", slots={**slots, **slot_sets(rated)})
        create.events = [*rating.events, *rated]
        dispatcher.messages.clear()
        created = run(ActionCreateTicket(), dispatcher, create, domain)
        number = slot_sets(created)[names.TICKET_NUMBER]
        assert number != earlier
        assert dispatcher.messages[0]["response"] == names.UTTER_TICKET_CREATED
        assert dispatcher.messages[0]["ticket_number"] == number
        follow_up = stored_ticket(bot_settings, number)
        assert (follow_up.category, follow_up.topic) == ("投诉", FOLLOW_UP_TOPIC) and not follow_up.duplicate
        assert follow_up.related == [earlier] and follow_up.events[0].data["follow_up_of"] == earlier
        assert [t.text for t in follow_up.transcript] == ["不满意，等了这么久"]
        assert stored_ticket(bot_settings, earlier).related == [number]

    def test_no_rating_asks_again(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        run(ActionRateService(), dispatcher, make_tracker("嗯", "rate_service"), domain)
        assert responses(dispatcher) == [names.UTTER_ASK_RATING]

    def test_a_question_about_ratings_rates_nothing(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("answer", "办事后可以通过好差评系统评价")
        tracker = make_tracker("要是给了差评，会有人回访吗？", "rate_service")
        events = run(ActionRateService(), dispatcher, tracker, domain)
        assert names.RATING not in slot_sets(events) and kinds(dispatcher) == ["answer"]

    def test_a_question_naming_a_rating_rates_nothing(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("answer", "办事后可以通过好差评系统评价")
        entities = [{"entity": "rating", "value": "不满意"}]
        tracker = make_tracker("窗口办得我不满意，这种能打差评不？", "rate_service", entities=entities)
        events = run(ActionRateService(), dispatcher, tracker, domain)
        assert names.RATING not in slot_sets(events) and kinds(dispatcher) == ["answer"]


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


_STORY = (
    "我替我八十岁的老父亲打的电话，他去年冬天在外地住院没法直接结算，自己垫了两万多，"
    "回来以后把票据都交到医保窗口了，我想问问国家规定手工报销最晚多少个工作日得办完？"
)


@pytest.fixture
def kb_knows_the_story_end(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """A knowledge service that abstains on a long turn and answers its final question (story=True)."""
    asked: list[bool] = []

    def fake(question: str, region: str | None, history: list[str], **state: Any) -> AnswerPublic:
        asked.append(bool(state.get("story")))
        if state.get("story"):
            source = SourcePublic(id="e1", title="手工报销时限", region=None)
            return AnswerPublic(kind="answer", text="30个工作日内办完", sources=[source], confidence=0.9)
        return AnswerPublic(kind="abstain", text="暂时没法答复", sources=[], confidence=0.4)

    monkeypatch.setattr("bot.actions.knowledge.answer_question", fake)
    return asked


class TestStories:
    def test_a_story_is_answered_by_the_question_it_ends_with(
        self, make_tracker, dispatcher, domain, kb_knows_the_story_end, bot_settings
    ) -> None:
        run(ActionAnswerPolicy(), dispatcher, make_tracker(_STORY), domain)
        assert kinds(dispatcher) == ["answer"]
        # The whole turn first (the routing weighs it), then the question it ends with.
        assert kb_knows_the_story_end == [False, True]

    def test_a_short_question_the_base_misses_is_not_asked_twice(
        self, make_tracker, dispatcher, domain, kb_knows_the_story_end, bot_settings
    ) -> None:
        run(ActionAnswerPolicy(), dispatcher, make_tracker("慢特病认定有效期多长"), domain)
        assert kb_knows_the_story_end == [False]


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
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings, grievance_is
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        grievance_is(0.95)
        tracker = make_tracker("这也能驳回？还讲不讲理了", "ask_policy", confidence=0.7)
        events = run(ActionAnswerPolicy(), dispatcher, tracker, domain)
        assert FollowupAction(names.TICKET_FORM) in events
        assert slot_sets(events)[names.TICKET_CATEGORY] == "投诉"

    def test_a_cue_word_in_a_general_question_is_not_a_grievance(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings, grievance_is
    ) -> None:
        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        grievance_is(0.15)
        tracker = make_tracker("定点医院可以拒收医保病人吗？规定上允许不？", "complain")
        events = run(ActionStartTicket(), dispatcher, tracker, domain)
        assert FollowupAction(names.TICKET_FORM) not in events
        assert kinds(dispatcher) == ["abstain"]

    @pytest.mark.parametrize("kb_kind", ["abstain", "clarify_region"])
    def test_a_grievance_told_as_a_story_opens_the_form_without_cue_words(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings, grievance_is, kb_kind
    ) -> None:
        kb_returns(kb_kind, "请问您的参保地？")
        grievance_is(0.8)
        said = "我在外地住院，备案早就办好了，医院还是让我先全垫上回去报，这不是耍人吗"
        events = run(ActionAnswerPolicy(), dispatcher, make_tracker(said, "ask_policy"), domain)
        assert FollowupAction(names.TICKET_FORM) in events

    def test_a_policy_answer_is_not_overruled_by_a_grievance_score(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings, grievance_is
    ) -> None:
        kb_returns("answer", "可以通过12393或者当地医保部门举报")
        grievance_is(0.9)
        tracker = make_tracker("医院乱收费一般去哪儿反映比较好？", "ask_policy")
        events = run(ActionAnswerPolicy(), dispatcher, tracker, domain)
        assert FollowupAction(names.TICKET_FORM) not in events
        assert kinds(dispatcher) == ["answer"]

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
        from bot.actions.social import ActionGreet

        calls = kb_returns("answer", "可以留言，24小时内回复")
        run(ActionGreet(), dispatcher, make_tracker("你好，医保局下了班电话还有人接不？", "greet"), domain)
        assert kinds(dispatcher) == ["answer"] and calls[-1][0] == "你好，医保局下了班电话还有人接不？"

    def test_a_plain_greeting_is_greeted(self, make_tracker, dispatcher, domain, bot_settings) -> None:
        from bot.actions.social import ActionGreet

        run(ActionGreet(), dispatcher, make_tracker("喂，你好", "greet"), domain)
        assert responses(dispatcher) == [names.UTTER_GREET]

    def test_a_yes_that_asks_is_answered(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        kb_returns("answer", "用出生医学证明登记")
        run(ActionAffirm(), dispatcher, make_tracker("娃还没得身份证，用啥子登记？", "affirm"), domain)
        assert kinds(dispatcher) == ["answer"]

    def test_a_greeting_that_tells_a_theft_opens_the_report(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        from bot.actions.social import ActionGreet

        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        tracker = make_tracker("喂，你好，我医保卡昨天在药店刷了五百，可我人一直在外地", "greet")
        events = run(ActionGreet(), dispatcher, tracker, domain)
        assert FollowupAction(names.TICKET_FORM) in events
        assert slot_sets(events)[names.TICKET_CATEGORY] == "举报"

    def test_understanding_taken_as_a_greeting_closes(
        self, make_tracker, dispatcher, domain, bot_settings
    ) -> None:
        from bot.actions.social import ActionGreet

        events = run(ActionGreet(), dispatcher, make_tracker("好，那我明白了", "greet"), domain)
        assert responses(dispatcher) == [names.UTTER_THANK]
        assert slot_sets(events)[names.PENDING_OFFER] is None

    def test_thanks_with_a_new_question_gets_the_answer(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        from bot.actions.social import ActionThank

        kb_returns("answer", "备案后可直接结算")
        run(
            ActionThank(), dispatcher, make_tracker("谢谢啊，那异地住院备案完能直接结算吗？", "thank"), domain
        )
        assert kinds(dispatcher) == ["answer"]

    @pytest.mark.parametrize(
        ("intent", "text"), [("thank", "好的，谢谢你"), ("goodbye", "行，那我挂了，再见")]
    )
    def test_plain_thanks_and_goodbyes_close(
        self, make_tracker, dispatcher, domain, bot_settings, intent: str, text: str
    ) -> None:
        from bot.actions.social import ActionGoodbye, ActionThank

        action = ActionThank() if intent == "thank" else ActionGoodbye()
        events = run(
            action, dispatcher, make_tracker(text, intent, slots={names.PENDING_OFFER: "handoff"}), domain
        )
        assert responses(dispatcher) == [names.UTTER_THANK if intent == "thank" else names.UTTER_GOODBYE]
        assert slot_sets(events)[names.PENDING_OFFER] is None

    def test_a_social_turn_the_base_cannot_answer_stays_social(
        self, make_tracker, dispatcher, domain, kb_returns, bot_settings
    ) -> None:
        from bot.actions.social import ActionGreet

        kb_returns("abstain", "这个问题我暂时没法给您准确答复")
        run(ActionGreet(), dispatcher, make_tracker("你好，你是真人还是机器人啊？", "greet"), domain)
        assert responses(dispatcher) == [names.UTTER_GREET]

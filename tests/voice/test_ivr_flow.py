"""The IVR's call flow and its safety net, driven only at the edges (tests/voice/ivr_script.py).

What the recogniser made of the caller (text, empty text, silence) comes from a scripted session in
place of the speech model; the dialogue answers with the chat service's real ``ChatReply`` shapes.
Everything between (voice.ivr, its prompts from voice/prompts.yaml, the espeak-ng voice) is real.
The tests read what the caller heard (the prompts, in order) and how the call ended.
"""

from __future__ import annotations

import pytest

from api.schemas import ChatReply
from tests.voice.ivr_script import (
    ABSTAIN,
    ANSWER,
    ANYTHING_MORE,
    ASK_NAME,
    ASK_REGION,
    CONFIG,
    GOODBYE,
    OFFLINE,
    REPHRASE,
    Caller,
    Desk,
    Dialogue,
    ScriptedRecognizer,
    call,
    chat,
)
from voice.ivr import Hangup, IvrCall, Play, State, Transfer
from voice.ivr_turns import SafetyNet
from voice.tts import EspeakPinyinTTS

# --- Two turns not understood in a row -----------------------------------------------------------


MISSES = {
    "silence, silence": ([], ["silence", "silence"], ["not_heard"]),
    "mumble, silence": ([], ["", "silence"], ["not_heard"]),
    "mumble, mumble": ([], ["", ""], ["not_heard"]),
    "abstain, silence": ([chat("abstain", ABSTAIN)], ["我那个卡的事", "silence"], ["reply", "after_abstain"]),
    "rephrase, abstain": (
        [chat("abstain", REPHRASE), chat("abstain", ABSTAIN)],
        ["那个什么保", "就是那个钱"],
        ["reply", "after_abstain"],
    ),
    "offline offer, mumble": (
        [chat("abstain", OFFLINE, handoff="offline")],
        ["找个人跟我说", ""],
        ["reply"],  # the reply asks "需要登记吗？" itself: no hint after it, but it is still a miss
    ),
}


def play(caller: Caller, turn: str) -> None:
    caller.silent() if turn == "silence" else caller.says(turn)


@pytest.mark.parametrize("case", list(MISSES))
def test_two_misses_in_a_row_transfer_while_staffed(tts: EspeakPinyinTTS, case: str) -> None:
    replies, turns, first = MISSES[case]
    caller, dialogue = call(tts, *replies, staffed=True)
    play(caller, turns[0])
    assert caller.heard() == ["welcome", *first] and caller.ending() is None
    play(caller, turns[1])
    assert caller.heard() == ["welcome", *first, "transfer_after_failures"]
    assert caller.ending() == Transfer("misrecognised")
    assert len(dialogue.asked) == len(replies)  # silence and mumbling never reach the dialogue
    assert caller.call.hangup().outcome == "transfer"


@pytest.mark.parametrize("case", list(MISSES))
def test_two_misses_in_a_row_offer_a_callback_when_closed(tts: EspeakPinyinTTS, case: str) -> None:
    replies, turns, first = MISSES[case]
    caller, _ = call(tts, *replies, staffed=False)
    for turn in turns:
        play(caller, turn)
    assert caller.heard() == ["welcome", *first, "callback_offer"]
    assert "按9" in caller.last_text() and "24小时" in caller.last_text()
    assert caller.ending() is None and caller.call.state is State.CALLBACK_OFFER


def test_a_taken_callback_offer_files_the_order_then_ends_politely(tts: EspeakPinyinTTS) -> None:
    desk = Desk()
    caller, dialogue = call(tts, staffed=False, desk=desk)
    caller.silent()
    caller.says("")
    caller.says("需要")
    assert caller.heard()[-1] == "callback_ask"
    caller.says("我的住院报销款一直没到账")
    assert [r.description for r in desk.requests] == ["我的住院报销款一直没到账"]
    assert desk.requests[0].caller == "13800001234" and dialogue.asked == []
    assert caller.heard()[-2:] == ["callback_done", "anything_else"]
    assert "GD20261201001" in [a.text for a in caller.actions if isinstance(a, Play)][-2]
    caller.silent()
    assert caller.heard()[-1] == "goodbye" and caller.ending() == Hangup("no_more_questions")
    record = caller.call.hangup()
    assert record.outcome == "callback" and record.ticket_ids == ["GD20261201001"]


def test_key_9_takes_the_callback_offer(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, staffed=False)
    caller.silent()
    caller.silent()
    caller.presses("9")
    assert caller.heard()[-2:] == ["callback_offer", "callback_ask"]
    assert caller.call.state is State.CALLBACK


def test_a_declined_callback_offer_is_the_callers_own_goodbye(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, staffed=False)
    caller.silent()
    caller.silent()
    caller.says("不用了")
    assert caller.heard()[-2:] == ["callback_offer", "goodbye"]
    assert caller.ending() == Hangup("callback_declined")


def test_an_unanswered_offer_still_ends_at_the_agents_line_not_a_hang_up(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, staffed=False)
    for _ in range(4):
        caller.silent()
    assert caller.heard() == [
        "welcome",
        "not_heard",
        "callback_offer",
        "callback_offer_again",
        "transfer_closed",
    ]
    assert caller.ending() == Transfer("misrecognised")


def test_a_new_question_after_the_offer_goes_to_the_dialogue(tts: EspeakPinyinTTS) -> None:
    caller, dialogue = call(tts, chat("answer", ANSWER), staffed=False)
    caller.silent()
    caller.silent()
    caller.says("异地就医怎么备案")
    assert dialogue.asked == ["异地就医怎么备案"]
    assert caller.heard()[-3:] == ["callback_offer", "reply", "anything_else"]
    assert caller.call.state is State.LISTEN and caller.ending() is None


def test_misses_apart_do_not_add_up(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, chat("answer", ANSWER), chat("answer", ANSWER))
    caller.says("")
    caller.says("异地就医怎么备案")
    caller.says("")
    caller.says("那门诊呢")
    assert caller.heard() == [
        "welcome",
        "not_heard",
        "reply",
        "anything_else",
        "not_heard",
        "reply",
        "anything_else",
    ]
    assert caller.ending() is None


def test_without_a_desk_a_closed_centre_still_transfers(tts: EspeakPinyinTTS) -> None:
    ivr = IvrCall(
        call_id="CA-flow",
        recognizer=ScriptedRecognizer(),
        tts=tts,
        respond=Dialogue([]),
        config=CONFIG,
        staffed=lambda: False,
    )
    caller = Caller(ivr)
    caller.silent()
    caller.silent()
    assert caller.heard()[-1] == "transfer_closed" and caller.ending() == Transfer("misrecognised")


def test_an_unreadable_timetable_transfers(tts: EspeakPinyinTTS) -> None:
    def broken() -> bool:
        raise ValueError("hours must look like '08:30-17:30'")

    ivr = IvrCall(
        call_id="CA-flow", recognizer=ScriptedRecognizer(), tts=tts, respond=Dialogue([]), config=CONFIG
    )
    ivr.staffed = broken
    caller = Caller(ivr)
    caller.silent()
    caller.silent()
    assert caller.ending() == Transfer("misrecognised")


# --- Goodbyes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("staffed", [True, False])
def test_abstain_then_goodbye_is_not_a_hang_up(tts: EspeakPinyinTTS, staffed: bool) -> None:
    caller, dialogue = call(tts, chat("abstain", ABSTAIN), chat("goodbye", GOODBYE), staffed=staffed)
    caller.says("我那个卡的事")
    caller.says("再见")  # as likely a misrecognition as meant: it goes to the dialogue, which says goodbye
    assert dialogue.asked == ["我那个卡的事", "再见"]
    assert not isinstance(caller.ending(), Hangup)
    if staffed:
        assert caller.heard()[-1] == "transfer_after_failures" and caller.ending() == Transfer(
            "misrecognised"
        )
    else:
        assert caller.heard()[-1] == "callback_offer" and caller.ending() is None


def test_a_goodbye_as_the_first_words_is_not_a_hang_up(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, chat("goodbye", GOODBYE))
    caller.says("拜拜")
    assert caller.heard() == ["welcome", "not_understood"] and caller.ending() is None


@pytest.mark.parametrize(
    ("last_words", "dialogue_hears_it"), [("没有了", False), ("那没别的事了谢谢你啊", True)]
)
def test_three_understood_turns_then_goodbye_hangs_up_politely(
    tts: EspeakPinyinTTS, last_words: str, dialogue_hears_it: bool
) -> None:
    answers = [chat("answer", ANSWER) for _ in range(3)]
    caller, dialogue = call(tts, *answers, chat("goodbye", GOODBYE))
    for question in ("异地就医怎么备案", "门诊能报多少", "备案要多久"):
        caller.says(question)
    assert caller.heard() == ["welcome"] + ["reply", "anything_else"] * 3
    caller.says(last_words)
    assert caller.heard()[-1] == "goodbye" and caller.last_text() == "感谢您的来电，祝您身体健康，再见。"
    assert caller.ending() == Hangup("goodbye")
    assert len(dialogue.asked) == (4 if dialogue_hears_it else 3)
    record = caller.call.hangup()
    assert record.outcome == "goodbye" and record.turns == len(dialogue.asked)


def test_silence_after_an_answer_ends_the_call(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, chat("answer", ANSWER))
    caller.says("异地就医怎么备案")
    caller.silent()
    assert caller.heard()[-1] == "goodbye" and caller.ending() == Hangup("no_more_questions")


# --- Questions from the dialogue -----------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        chat("clarify_region", ASK_REGION),
        chat("ask_slot", ASK_NAME),
        chat("abstain", OFFLINE, handoff="offline"),  # "需要登记吗？": a question of an abstain reply
    ],
    ids=["clarify_region", "ask_slot", "abstain_asking"],
)
def test_a_question_from_the_dialogue_waits_for_the_answer(tts: EspeakPinyinTTS, question: ChatReply) -> None:
    caller, dialogue = call(tts, question, chat("answer", ANSWER))
    caller.says("异地就医报销比例是多少")
    assert caller.heard() == ["welcome", "reply"]  # no 还有其他问题吗 over the question
    assert caller.last_text().endswith("？") and caller.call.state is State.LISTEN
    caller.says("北京")
    assert dialogue.asked == ["异地就医报销比例是多少", "北京"]  # the answer went to the dialogue
    assert caller.heard() == ["welcome", "reply", "reply", "anything_else"]


def test_silence_after_a_question_is_not_heard_not_the_end(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, chat("clarify_region", ASK_REGION))
    caller.says("异地就医报销比例是多少")
    caller.silent()
    assert caller.heard() == ["welcome", "reply", "not_heard"] and caller.ending() is None


def test_no_more_words_answering_a_question_go_to_the_dialogue(tts: EspeakPinyinTTS) -> None:
    caller, dialogue = call(
        tts, chat("ask_slot", "您需要我帮您登记工单吗？"), chat("greet", "好的，那就先不登记了。")
    )
    caller.says("我想投诉")
    caller.says("不用了")  # an answer to the dialogue's question, not the end of the call
    assert dialogue.asked == ["我想投诉", "不用了"] and caller.ending() is None


def test_the_dialogues_own_anything_else_is_not_doubled(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, chat("answer", ANSWER), chat("greet", ANYTHING_MORE))
    caller.says("异地就医怎么备案")
    caller.says("好的")
    assert caller.heard() == ["welcome", "reply", "anything_else", "reply"]
    caller.silent()  # invited to ask more, and silent: done
    assert caller.ending() == Hangup("no_more_questions")


def test_key_1_repeats_a_question_without_anything_else(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, chat("clarify_region", ASK_REGION))
    caller.says("异地就医报销比例是多少")
    caller.presses("1")
    assert caller.heard() == ["welcome", "reply", "repeat"]
    assert caller.last_text().startswith("这个问题各地政策不一样") and caller.last_text().endswith("？")


def test_key_1_repeats_the_abstain_reply_with_its_hint(tts: EspeakPinyinTTS) -> None:
    caller, _ = call(tts, chat("abstain", ABSTAIN))
    caller.says("我那个卡的事")
    caller.presses("1")
    assert caller.heard() == ["welcome", "reply", "after_abstain", "repeat"]
    assert caller.last_text().startswith("这个问题我暂时没法") and caller.last_text().endswith("转人工”。")


def test_a_handoff_reply_is_spoken_then_transferred(tts: EspeakPinyinTTS) -> None:
    waiting = chat("abstain", "好的，正在为您转接人工客服，请稍候。", handoff="waiting")
    caller, _ = call(tts, waiting)
    caller.says("转接客服")
    assert caller.heard() == ["welcome", "reply", "transfer"] and caller.ending() == Transfer(
        "dialogue_handoff"
    )


# --- The counting on its own ---------------------------------------------------------------------


def test_the_safety_net_asks_the_timetable_only_when_reached() -> None:
    asked: list[bool] = []

    def closed() -> bool:
        asked.append(True)
        return False

    net = SafetyNet(max_failures=2, max_offers=1)
    assert net.miss(staffed=closed, can_call_back=True).value == "retry" and asked == []
    assert net.miss(staffed=closed, can_call_back=True).value == "offer" and len(asked) == 1
    assert net.miss(staffed=closed, can_call_back=True).value == "transfer_closed"
    net.hit()
    assert (net.failures, net.offers, net.understood) == (0, 0, True)

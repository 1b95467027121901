"""Silences, interruptions and speech rate from turn timings."""

from __future__ import annotations

from inspection.rules import dynamics
from tests.inspection.conftest import build, context


def rules(transcript) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.rule for f in dynamics.check(context(transcript))]


def test_normal_call_has_no_findings() -> None:
    assert (
        rules(
            build(
                [
                    ("A", "您好，工号1027，请问有什么可以帮您？"),
                    ("C", "我想问下备案。"),
                    ("A", "好的，您请说。"),
                ]
            )
        )
        == []
    )


def test_silence_after_caller_but_not_during_a_short_hold() -> None:
    silent = build([("A", "您好", 0, 1), ("C", "我姓陈。", 1.5, 3), ("C", "喂？还在吗？", 23, 24)])
    found = dynamics.check(context(silent))
    assert (
        [f.rule for f in found] == ["dynamics.silence"]
        and found[0].turns == (1, 2)
        and "20" in found[0].detail
    )
    hold = build([("A", "请您稍等，我帮您查一下。", 0, 4), ("A", "查到了。", 34, 35)])
    assert rules(hold) == []
    long_hold = build([("A", "请您稍等，我帮您查一下。", 0, 4), ("C", "怎么这么久？", 90, 92)])
    assert rules(long_hold) == ["dynamics.silence"]


def test_interruption_but_not_backchannel() -> None:
    cut = build([("C", "我就想问问到底是——", 0, 8), ("A", "您是在哪里交的材料？", 6.5, 9)])
    assert rules(cut) == ["dynamics.interruption"]
    backchannel = build(
        [("C", "我就想问问到底是什么情况", 0, 8), ("A", "嗯", 6.5, 7), ("A", "您请说。", 8.5, 9.5)]
    )
    assert rules(backchannel) == []


def test_fast_agent() -> None:
    fast = build(
        [("A", "您好一二三九三医保服务热线工号一零二七请问有什么可以帮您", 0, 3.0), ("C", "啊？", 3.5, 4)]
    )
    found = dynamics.check(context(fast))
    assert [f.rule for f in found] == ["dynamics.speech_rate"] and "每秒" in found[0].detail


def test_untimed_chat_is_skipped() -> None:
    chat = build([("B", "您好"), ("C", "在吗")], channel="chat", timed=False)
    assert rules(chat) == []

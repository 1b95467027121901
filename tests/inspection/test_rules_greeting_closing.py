"""服务规范: greeting with the agent number, polite forms, closing and rating invitation."""

from __future__ import annotations

from inspection.rules import greeting_closing
from tests.inspection.conftest import CLOSING, GREETING, build, context, polite_call


def rules(transcript) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.rule for f in greeting_closing.check(context(transcript))]


def test_proper_call_has_no_findings() -> None:
    assert (
        rules(polite_call(("C", "请问备案怎么办？"), ("A", "您好，您可以在公众号上办理，请您放心。"))) == []
    )


def test_agent_number_variants() -> None:
    for opening in (
        "您好，医保热线，工号幺零二七，请讲。",
        "您好，12393热线，1027号话务员为您服务。",
        "您好，公号1027，请讲。",
        "您好，医保热线，我的工号是1027。",
        "您好，12393医保热线，1027号很高兴为您服务。",  # the number said with any words after it
        "您好，医保热线1027号，请问有什么可以帮您？",
    ):
        call = build([("A", opening), ("C", "你好。"), ("A", CLOSING)])
        assert "greeting.opening" not in rules(call), opening


def test_missing_number_or_greeting() -> None:
    no_number = build([("A", "喂，您好，12393医保热线，请讲。"), ("C", "你好。"), ("A", CLOSING)])
    no_greeting = build([("A", "医保热线，工号1027。"), ("C", "你好。"), ("A", CLOSING)])
    assert rules(no_number) == ["greeting.opening"] and rules(no_greeting) == ["greeting.opening"]
    finding = greeting_closing.check(context(no_number))[0]
    assert finding.turns == (0,) and "工号" in finding.detail


def test_bot_needs_no_agent_number() -> None:
    chat = build([("B", "您好，欢迎咨询12393。"), ("C", "在吗"), ("B", CLOSING)], channel="chat", timed=False)
    assert rules(chat) == []


def test_closing_needs_farewell_and_rating() -> None:
    call = build([("A", GREETING), ("C", "好的谢谢。"), ("A", "嗯，好。")])
    assert sorted(rules(call)) == ["closing.farewell", "closing.satisfaction"]
    rated = build([("A", GREETING), ("C", "好的谢谢。"), ("A", "稍后请您给我的服务评个价。")])
    assert rules(rated) == ["closing.farewell"]


def test_curt_agent_is_impolite() -> None:
    call = build(
        [
            ("A", GREETING),
            ("C", "我问个事。"),
            ("A", "你说。"),
            ("C", "卡丢了咋办？"),
            ("A", "你去银行补。"),
            ("C", "要钱不？"),
            ("A", "你到时候问窗口。"),
            ("A", "没事了吧，再见，稍后评价。"),
        ]
    )
    found = greeting_closing.check(context(call))
    polite = [f for f in found if f.rule == "politeness.forms"]
    assert polite and "你" in polite[0].evidence[0]

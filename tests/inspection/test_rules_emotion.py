"""Caller anger that persists without de-escalation."""

from __future__ import annotations

from inspection.rules import emotion
from tests.inspection.conftest import context, polite_call


def test_rising_anger_without_soothing() -> None:
    call = polite_call(
        ("C", "你们到底管不管事啊，钱拖了两个月了！"),
        ("A", "请问您是哪里参保的？"),
        ("C", "你们这是什么态度，一拖再拖！"),
        ("A", "我给您登记一下。"),
    )
    found = emotion.check(context(call))
    assert found and found[0].turns == (1, 3)


def test_soothing_clears_it() -> None:
    call = polite_call(
        ("C", "你们到底管不管事啊，钱拖了两个月了！"),
        ("A", "非常理解您的心情，您先别着急。"),
        ("C", "你们这是什么态度，一拖再拖！"),
        ("A", "我给您登记一下。"),
    )
    assert emotion.check(context(call)) == []


def test_single_outburst_or_calm_caller() -> None:
    once = polite_call(("C", "气死我了，打不通！"), ("A", "请问您要咨询什么？"), ("C", "备案的事。"))
    calm = polite_call(("C", "我想问一下备案。"), ("A", "好的。"), ("C", "谢谢你啊。"))
    assert emotion.check(context(once)) == [] and emotion.check(context(calm)) == []

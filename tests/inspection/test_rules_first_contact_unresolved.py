"""首问负责 and unresolved calls: deflection or giving up without a work order or transfer."""

from __future__ import annotations

from inspection.rules import first_contact, unresolved
from tests.inspection.conftest import GREETING, build, context, polite_call


def test_deflection_without_ticket() -> None:
    call = polite_call(
        ("C", "医院让我自费，对吗？"), ("A", "那您去找医院问吧，我们这边处理不了。"), ("C", "算了算了。")
    )
    ctx = context(call)
    assert [f.rule for f in first_contact.check(ctx)] == ["first_contact.deflection"]
    found = unresolved.check(ctx)
    assert found and "算了算了" in found[0].evidence


def test_transfer_or_ticket_clears_both() -> None:
    transfer = polite_call(("C", "养老金的事。"), ("A", "这个是人社的业务，我帮您转接到12333。"))
    ticket = polite_call(
        ("C", "医院让我自费。"), ("A", "这个我们处理不了的部分，我给您登记一下，工单号是123。")
    )
    for call in (transfer, ticket):
        ctx = context(call)
        assert first_contact.check(ctx) == [] and unresolved.check(ctx) == []


def test_refusing_to_register_is_not_a_ticket() -> None:
    call = polite_call(("C", "你们能登记吗？"), ("A", "登记了也没用，您直接找医院吧。"))
    assert first_contact.check(context(call))


def test_caller_giving_up_alone_is_unresolved() -> None:
    call = polite_call(("C", "钱一直没到。"), ("A", "您再等等看。"), ("C", "那好吧，等于白问。"))
    assert [f.rule for f in unresolved.check(context(call))] == ["unresolved.no_ticket"]


def test_answered_call_is_resolved() -> None:
    call = build(
        [("A", "您好，工号1027。"), ("C", "备案在哪办？"), ("A", "在公众号上办。"), ("C", "好的谢谢。")]
    )
    assert unresolved.check(context(call)) == [] and first_contact.check(context(call)) == []


def test_semantic_deflection_and_open_matters() -> None:
    from inspection.context import Context
    from inspection.ruleset import default_ruleset
    from tests.inspection.conftest import tiny_matcher

    def ctx_for(call):  # type: ignore[no-untyped-def]
        return Context(call, default_ruleset(), semantic=tiny_matcher())

    deflect = polite_call(("C", "报销的钱一直没到。"), ("A", "这事您上医院问一下。"), ("C", "唉，行吧。"))
    ctx = ctx_for(deflect)
    assert [f.rule for f in first_contact.check(ctx)] == ["first_contact.deflection"]
    assert "相近" in first_contact.check(ctx)[0].detail  # the matched example is the evidence
    assert unresolved.check(ctx)
    # A caller's "还要等多久" that staff then answer is no open matter; one left hanging is.
    answered = polite_call(("C", "交了材料还要等多久啊？"), ("A", "一般二十个工作日内到账，超期可以催办。"))
    assert unresolved.check(ctx_for(answered)) == []
    hanging = build([("A", GREETING), ("C", "钱一直没到。"), ("A", "嗯。"), ("C", "那还要等多久啊？")])
    assert unresolved.check(ctx_for(hanging))

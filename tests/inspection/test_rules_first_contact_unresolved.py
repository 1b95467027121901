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


# A referral with nothing else is a push away: said by sentences written for this test (none from the sets).
REFERRALS = [
    "这个您得去街道社保所问。",
    "这种事儿您找开户的银行去。",
    "您还是回老家那边的医保局咨询吧。",
    "这个不是我们这边的，您去卫健委问问。",
    "您自己跑一趟区政务中心。",
    "报销比例的事您得去单位财务那里办。",
]


def test_referral_without_help_is_a_deflection() -> None:
    for said in REFERRALS:
        ctx = context(
            polite_call(("C", "我的住院报销一直没下来，怎么回事？"), ("A", said), ("C", "哦，好吧。"))
        )
        assert [f.rule for f in first_contact.check(ctx)] == ["first_contact.deflection"], said
        assert unresolved.check(ctx), said


def test_referral_beside_an_answer_is_where_to_go() -> None:
    howto = polite_call(
        ("C", "异地就医备案怎么办？"),
        ("A", "带上身份证和社保卡，您得去参保地的经办窗口办，当场就能办好。"),
    )
    limit = polite_call(
        ("C", "报销进度怎么查？"), ("A", "材料齐全的一般二十个工作日内到账，到期没到再去窗口问一下。")
    )
    answered = polite_call(
        ("C", "外地买药要备案吗？"), ("A", "个人账户不用备案。门诊统筹您去当地的药店问问。")
    )
    ticket = polite_call(("C", "钱没到账。"), ("A", "您得去单位问，我也先给您登记一个工单。"))
    for call in (howto, limit, answered, ticket):
        ctx = context(call)
        assert first_contact.check(ctx) == [], call.turns[2].text


def test_asking_us_again_is_no_referral() -> None:
    call = polite_call(
        ("C", "生育津贴怎么申领？"),
        ("A", "单位申报就行，有不清楚的随时再问问我们，回头有变化我们也会通知。"),
    )
    assert first_contact.check(context(call)) == []


def test_a_resolved_call_does_not_embed_the_callers_words() -> None:
    # An open matter counts only without a work order: there the caller's last words can match
    # nothing, so they are not sent to the encoder (the costliest step of a long call).
    from inspection.context import Context
    from inspection.rules import semantic
    from inspection.ruleset import default_ruleset
    from tests.inspection import conftest
    from tests.inspection.conftest import tiny_matcher

    def encoded(call):  # type: ignore[no-untyped-def]
        conftest.calls.clear()
        semantic.hits(Context(call, default_ruleset(), semantic=tiny_matcher()))
        return [t for batch in conftest.calls for t in batch]

    open_call = polite_call(("C", "钱没到，还要等多久啊？"), ("A", "您再等等。"))
    ticket = polite_call(("C", "钱没到，还要等多久啊？"), ("A", "我给您登记工单，三个工作日内回电。"))
    assert any("多久" in t for t in encoded(open_call))
    assert not any("多久" in t for t in encoded(ticket))


def test_a_callback_in_other_words_is_a_callback() -> None:
    """给您打电话 / 给您回个电话 promise a callback like 给您回电; 有需要再给您打电话 does not."""
    for said in ("我核实以后明天上午给您打电话。", "我问清楚了给您回个电话。"):
        call = polite_call(("C", "报销款一直没到。"), ("A", said), ("C", "那算了吧。"))
        assert unresolved.check(context(call)) == [], said
    call = polite_call(("C", "报销款一直没到。"), ("A", "有需要再给您打电话。"), ("C", "那算了吧。"))
    assert unresolved.check(context(call))

"""Classes of issue 17, session 10, outside the fact check: staff naming another body as the one
to ask with no cue word of the referral lexicon (这得问药店, 您问卫健部门吧), a vague line beside a full
answer, and recognised speech the vectors misread (还有别的问提吗, 提过两回在职的是72). Sentences
written for the test."""

from __future__ import annotations

import pytest

from inspection.rules import first_contact, unresolved
from inspection.rules import semantic as semantic_rule
from inspection.rules.first_contact import asks_elsewhere
from inspection.rules.semantic import states_figure
from inspection.semantic import SemanticHit
from tests.inspection.conftest import context, polite_call


@pytest.mark.parametrize(
    ("sentence", "said"),
    [
        ("报不报这得问医院，我们这边看不到。", "得问医院"),
        ("您问税务部门吧，他们清楚。", "您问税务"),
        ("关系转移您到南京那边的医保局问，转入地办。", "您到南京那边的医保局问"),
        ("开证明是社区那边的事。", "社区那边的事"),
        ("您就多问几家医院吧。", "多问几家医院"),
        # Recognised speech: no punctuation, a homophone in the body's name.
        ("转移的事您到南京那边的医报局问专入地办", "您到南京那边的医报局问"),
    ],
)
def test_another_body_named_as_the_one_to_ask(sentence: str, said: str) -> None:
    assert asks_elsewhere(sentence) == said


@pytest.mark.parametrize(
    "sentence",
    [
        "您问的这个药店是定点药店，可以直接刷卡。",
        "您到医院看病的时候出示医保码就行。",
        "您去窗口办的时候带上身份证。",
        "您问题我记下了，马上帮您查。",
    ],
)
def test_going_to_a_body_to_do_the_thing_is_no_referral(sentence: str) -> None:
    assert asks_elsewhere(sentence) is None


def test_a_push_to_another_body_is_a_first_contact_finding_unless_staff_answered() -> None:
    ask = ("C", "我家楼下药店能不能走门诊统筹？")
    pushed = polite_call(ask, ("A", "这个得问药店，我们不清楚各家的情况。"))
    answered = polite_call(
        ask,
        ("A", "开通门诊统筹的药店在医保公众号上有公示，带上社保卡就能刷；具体库存您再问问药店。"),
    )
    assert [f.rule for f in first_contact.check(context(pushed))] == ["first_contact.deflection"]
    assert first_contact.check(context(answered)) == []


def test_a_caller_who_says_whom_they_will_ask_leaves_with_a_next_step() -> None:
    call = polite_call(
        ("C", "产检时医院让我扫码登记，这跟医保有关系吗？"),
        ("A", "扫码是医院那边的事，您问卫健部门吧。"),
        ("C", "那我问医院的护士长好了。"),
    )
    ctx = context(call)
    assert [f.rule for f in first_contact.check(ctx)] == ["first_contact.deflection"]
    assert [f.rule for f in unresolved.check(ctx) if f.rule == "unresolved.no_ticket"] == []


def test_a_vague_line_beside_a_full_answer_leaves_nothing_open() -> None:
    ask = ("C", "我昨晚在市医保的平台留了言，到现在没人回。")
    then_answered = polite_call(
        ask,
        ("A", "那个平台我们也管不着。"),
        ("C", "那留言到底有没有用？"),
        ("A", "有用的，平台承诺留言后四十八小时之内回复。"),
    )
    confirmed = polite_call(
        ("C", "生育津贴要我自己去申请吗？"),
        ("A", "不用申请，医保部门从系统取数据直接发给您，不用带任何材料。"),
        ("C", "那我什么都不用弄？"),
        ("A", "对，等通知吧。"),
    )
    left_open = polite_call(ask, ("A", "那个平台我们也管不着。"), ("C", "好吧。"))
    assert [f.rule for f in unresolved.check(context(then_answered))] == []
    assert [f.rule for f in unresolved.check(context(confirmed))] == []
    assert [f.rule for f in unresolved.check(context(left_open))] == ["unresolved.no_ticket"]


def _impatience(text: str, shape: str = "") -> SemanticHit:
    return SemanticHit("impatience", 2, text, "同样的问题你要我讲多少回", 0.8, 0.1, shape)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("还有别的问提吗", False),  # the routine offer as a recogniser writes it
        ("还有别的吗", False),
        ("你还有别的问题吗，没有我就挂了", True),
        ("你到底还有什么问题", True),
        ("两回在职的是72", False),  # 提过两回，在职的是72%: a count of times beside a rate
        ("我都跟您说了3遍了", True),
        ("这都说两回了还问", True),
    ],
)
def test_routine_offers_and_figures_are_no_impatience(text: str, kept: bool) -> None:
    ctx = context(polite_call(("C", "我想问个事。"), ("A", text)))
    ctx.memo["semantic"] = [_impatience(text)]
    assert [f.rule for f in semantic_rule.check(ctx)] == (["politeness.impatience"] if kept else [])


def test_a_shape_is_judged_by_its_words_even_beside_a_figure() -> None:
    assert not states_figure(_impatience("要是早交了也不至于补缴300元", shape="要是…也不至于"))

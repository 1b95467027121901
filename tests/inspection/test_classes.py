"""Classes of wording that generalise past the tuned sentences (issue 17, session 9): sentence
shapes of impatience and forbidden phrases, promises that name no one and no date, a caller who
leaves with a plan of their own, a gap that stays inside its sentence, and yes/no how-to questions.
Every sentence here is written for the test, not taken from a labelled set."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from inspection.rules import first_contact, one_time_notice, unresolved
from inspection.rules import semantic as semantic_rule
from inspection.semantic import SemanticMatcher
from inspection.semantic_bank import Calibration, load_bank
from inspection.textmatch import PhraseMatcher
from tests.inspection.conftest import context, keyword_encoder, polite_call, tiny_bank


def test_a_gap_stays_inside_its_sentence() -> None:
    m = PhraseMatcher(["去*问"])
    assert m.find("您去街道的服务站问一下。")
    assert not m.find("药直接去拿就行。请问您还有别的事吗？")
    # Recognised speech shows no sentence end: there the gap still spans the words.
    assert m.find("您去街道服务站那边问")


def _shaped_matcher() -> SemanticMatcher:
    bank = load_bank()
    labels = dict(tiny_bank().labels)
    labels["impatience"] = replace(labels["impatience"], shapes=bank.labels["impatience"].shapes)
    labels["forbidden"] = replace(bank.labels["forbidden"], examples=("不归我们管",), cues=())
    return SemanticMatcher(replace(tiny_bank(), labels=labels), keyword_encoder, Calibration({}), k=1)


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("您当初要是早点交，也不至于现在补缴。", "impatience"),
        ("发票背面不都印着电话吗，还来问我。", "impatience"),
        ("好好好，随您怎么说，反正都是我们的错。", "impatience"),
        ("那是您自己没留意短信，跟我们没关系。", "impatience"),
        ("您去哪儿反映我都无所谓。", "forbidden"),
        ("您爱办不办，规定就这样。", "forbidden"),
        ("我就是个接线的，这事做不了主。", "forbidden"),
        ("您想找谁就找谁去。", "forbidden"),
    ],
)
def test_sentence_shapes_decide_their_label(sentence: str, label: str) -> None:
    hits = _shaped_matcher().shaped([(2, "staff", f"嗯。{sentence}")])
    assert [(h.label, h.turn, h.text) for h in hits] == [(label, 2, sentence.rstrip("。"))]
    assert hits[0].shape and semantic_rule.evidence(hits[0]).startswith("句式：")


@pytest.mark.parametrize(
    "sentence",
    [
        "您要是有社保卡，就不用带身份证了。",
        "您问问那家药店是不是定点的吗？",  # 是不是 is a question, not a reproach
        "好的，我帮您查一下。",
        "这个不需要您自己跑，系统会自动办。",
    ],
)
def test_ordinary_sentences_have_no_shape(sentence: str) -> None:
    assert _shaped_matcher().shaped([(2, "staff", sentence)]) == []


def test_shapes_are_staff_only_and_join_the_matchers_hits() -> None:
    m = _shaped_matcher()
    assert m.shaped([(3, "caller", "你爱信不信，我反正不交了。")]) == []
    hits = m.match([(1, "staff", "您爱信不信。"), (2, "caller", "算了")])
    assert [(h.label, h.turn, h.margin) for h in hits] == [("forbidden", 1, 1.0)]


def test_a_shape_decides_the_turn_between_decisive_labels() -> None:
    m = _shaped_matcher()
    labels = dict(m.bank.labels)
    labels["impatience"] = replace(labels["impatience"], decisive=True)
    labels["forbidden"] = replace(labels["forbidden"], decisive=True)
    m = SemanticMatcher(
        replace(m.bank, labels=labels), keyword_encoder, Calibration({"impatience": -1.0}), k=1
    )
    # The vectors alone call it impatience (快点); its shape (无所谓) says forbidden, and decides.
    assert [h.label for h in m.match([(1, "staff", "快点快点说吧")])] == ["impatience"]
    hits = m.match([(1, "staff", "快点快点说吧，您去哪反映我都无所谓")])
    assert [(h.label, h.shape) for h in hits] == [("forbidden", "无所谓")]


def test_a_bad_shape_is_refused_naming_the_label(tmp_path: Path) -> None:
    bad = tmp_path / "bank.yaml"
    bad.write_text(
        "labels:\n  impatience:\n    examples: [快点]\n    shapes: [{name: 坏的, pattern: '(未闭合'}]\n"
        "  none:\n    speaker: any\n    examples: [您好]\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"impatience\.shapes\[0\]"):
        load_bank(bad)


def test_a_promise_with_no_one_and_no_date_leaves_the_matter_open() -> None:
    call = polite_call(
        ("C", "我反映的那个诊所乱收费，你们到底管不管？"),
        ("A", "您反映的情况我们会留意的，您放心。"),
        ("C", "哦。"),
    )
    found = unresolved.check(context(call))
    assert [f.rule for f in found] == ["unresolved.no_ticket"] and "会留意" in found[0].evidence[0]


def test_a_wait_with_a_committed_time_limit_is_an_answer() -> None:
    call = polite_call(
        ("C", "我的报销款还没到。"),
        ("A", "审核已经通过了，十个工作日内到账，您等通知就行。"),
        ("C", "好的。"),
    )
    assert unresolved.check(context(call)) == []


def test_a_conditional_call_back_is_no_call_back() -> None:
    call = polite_call(
        ("C", "那个药店多收钱的事，你们查不查？"),
        ("A", "我们会关注的，有需要再联系您。"),
        ("C", "行吧。"),
    )
    ctx = context(call)
    assert not ctx.resolved() and unresolved.check(ctx)


def test_a_caller_who_leaves_with_a_plan_is_deflected_but_not_left_open() -> None:
    def call(last: str):  # type: ignore[no-untyped-def]
        return polite_call(("C", "新生儿怎么参保？"), ("A", "这个您去街道问吧。"), ("C", last))

    planned = context(call("那行，我明天带着户口本去街道问。"))
    assert first_contact.check(planned) and unresolved.check(planned) == []
    resigned = context(call("唉，行吧。"))
    assert first_contact.check(resigned) and unresolved.check(resigned)
    asking = context(call("那我去哪个街道问？"))  # a question is no plan
    assert unresolved.check(asking)


def test_yes_no_how_to_questions_are_how_to_questions() -> None:
    for question in (
        "办这个还非得回老家不？",
        "备案要准备些啥？",
        "关系要怎么转过来？",
        "哪些医院能直接结算？",
    ):
        call = polite_call(("C", question))
        assert one_time_notice.is_howto_question(context(call), call.caller_turns[0]), question
    call = polite_call(("C", "报销一般多久能办好？"))
    assert not one_time_notice.is_howto_question(context(call), call.caller_turns[0])  # how long, not how


def test_follow_ups_after_a_push_elsewhere_are_not_partial_answers() -> None:
    from inspection.kb import Fact

    fact = Fact(
        id="f1",
        answer="在社区服务点办理，带身份证，当天出结果。",
        points={"materials": "身份证", "channel": "社区服务点", "time_limit": "当天"},
        region=None,
    )
    call = polite_call(
        ("C", "异地备案咋弄？"),
        ("A", "这个您去社区问问吧。"),
        ("C", "社区哪个地方？要带啥？"),
        ("A", "社区的人会告诉您。"),
    )
    ctx = context(call, facts=[fact])
    assert first_contact.check(ctx)
    assert one_time_notice.check(ctx) == []

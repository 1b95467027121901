"""Classes of the fifth round (issue 17): each derived from the third hand-written set's odd half
and kept because the first two sets' odd halves and the guard sets did not drop. Sentences are
written for the test."""

from __future__ import annotations

import pytest

from inspection.claims import repair_numbers
from inspection.rules import accuracy, first_contact, unresolved
from inspection.semantic import SemanticMatcher
from inspection.semantic_bank import Calibration, load_bank
from inspection.textmatch import PhraseMatcher
from tests.inspection.conftest import context, keyword_encoder, polite_call


def test_no_filler_right_after_a_negator() -> None:
    matcher = PhraseMatcher(["不知道", "不归我们管"])
    assert matcher.find("您上网翻一下不就知道了") == []
    assert [m.phrase for m in matcher.find("这个我也不知道")] == ["不知道"]
    assert [m.phrase for m in matcher.find("这个不归我们这边管")] == ["不归我们管"]


def _shape(label: str, text: str) -> bool:
    return any(p.search(text) for _, p in load_bank().labels[label].shapes)


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("impatience", "公众号上都有，您动动手指翻一下不就知道了"),
        ("impatience", "我刚才都讲明白了，还得跟您解释几遍？"),
        ("forbidden", "这种事可算不到我们头上。"),
        ("forbidden", "您没赶上，到时候可别赖到我们头上。"),
        ("forbidden", "卡丢没丢我哪知道。"),
        ("forbidden", "快不快不是我说了算的。"),
        ("forbidden", "我这边说了也不算。"),
    ],
)
def test_shapes_of_blame_and_disowning(label: str, text: str) -> None:
    assert _shape(label, text)


@pytest.mark.parametrize("text", ["我再给您重复一遍要点。", "这个要按政策规定算。", "您知道了就好。"])
def test_ordinary_sentences_take_no_shape(text: str) -> None:
    assert not _shape("impatience", text) and not _shape("forbidden", text)


def test_blame_that_also_disowns_is_impatience() -> None:
    matcher = SemanticMatcher(load_bank(), keyword_encoder, Calibration({}), k=1)
    hits = matcher.match([(2, "staff", "短信里写着呢，是您自己没仔细看，怪不到我们头上。")])
    assert [h.label for h in hits] == ["impatience"]


@pytest.mark.parametrize(
    "reply", ["可以，在开通了诊间结算的医院，用手机就能结算。", "可以大连有成人代儿童认证"]
)
def test_a_yes_or_no_to_the_callers_question_is_an_answer(reply: str) -> None:
    call = polite_call(
        ("C", "能用我手机给孩子结算吗？"),
        ("A", reply),
        ("C", "我上次试了没弄成。"),
        ("A", "您弄不弄得成那就是您自己的事了，我可管不着。"),
        ("C", "那我再去医院问问。"),
    )
    ctx = context(call)
    assert first_contact.check(ctx) == [] and unresolved.check(ctx) == []


def test_a_yes_to_a_push_is_no_answer() -> None:
    call = polite_call(("C", "这个药能报吗？"), ("A", "行，您去医院问吧。"), ("C", "好吧。"))
    assert [f.rule for f in first_contact.check(context(call))] == ["first_contact.deflection"]


def test_finding_someone_to_ask_is_a_push_away() -> None:
    assert first_contact.asks_elsewhere("转诊手续您直接找给您看病的大夫问吧。")


def test_a_hedged_promise_leaves_the_matter_open() -> None:
    call = polite_call(
        ("C", "那我到底能不能转？"),
        ("A", "回头有消息说不定会通知您的。"),
        ("C", "那好吧。"),
    )
    assert [f.rule for f in unresolved.check(context(call))] == ["unresolved.no_ticket"]


def test_a_leading_numeral_homophone_before_ten_is_repaired() -> None:
    assert repair_numbers("在而十个汞作日内完成支付") == "在二十个工作日内完成支付"
    assert repair_numbers("就十个工作日") == "就十个工作日"  # 就 is no 九: a common word


def test_a_duration_the_caller_stated_is_their_case() -> None:
    call = polite_call(
        ("C", "钱报上去半个月了还没到，是不是出问题了？"),
        ("A", "您报上去半个月，还在时限里面。"),
        ("C", "要是过了时限呢？"),
    )
    assert accuracy.caller_durations(context(call), 3) == {("month", 0.5)}
    assert accuracy.caller_durations(context(polite_call(("C", "要等半个月吗？"))), 3) == set()

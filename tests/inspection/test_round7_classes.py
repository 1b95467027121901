"""Classes of the seventh round (issue 17): mechanisms broader than a phrase, each kept because the
writer it was not taken from gained in a leave-one-writer-out run (the odd half of each of the three
hand-written sets scored with the lexicon phrases, bank examples, cue words and shapes found only in
that writer's calls removed) and no odd half or guard set dropped. Sentences and entries are written
for the test."""

from __future__ import annotations

import pytest

from inspection import Fact
from inspection.rules import emotion, first_contact, identity, one_time_notice, unresolved
from inspection.rules.howto import asks_howto, mentions
from inspection.semantic import SemanticMatcher
from inspection.semantic_bank import Calibration, load_bank
from tests.inspection.conftest import build, context, keyword_encoder, polite_call


# Identity: staff who look the caller's record up and read a figure out disclose personal data.
def test_a_lookup_read_out_in_the_same_turn_is_a_disclosure() -> None:
    call = polite_call(
        ("C", "我叫韩丽，想问我九月份交的零星报销到哪一步了。"),
        ("A", "好的我看一下。韩丽，九月十二号受理的，住院费用一万四千二，还没拨付。"),
    )
    assert [f.rule for f in identity.check(context(call))] == ["identity.unverified_disclosure"]


def test_looking_up_a_rule_is_no_disclosure() -> None:
    call = polite_call(("C", "异地住院报销比例是多少？"), ("A", "我查一下政策。跨省住院起付线是1200元。"))
    assert identity.check(context(call)) == []


# Unresolved: a caller who says whom they will ask has a next step.
@pytest.mark.parametrize("plan", ["行，那我到了苏州再问。", "那我问医院的护士长好了。"])
def test_a_caller_saying_whom_they_will_ask_leaves_a_push_a_first_contact_finding(plan: str) -> None:
    call = polite_call(("C", "医保关系怎么转过去？"), ("A", "转移的事您到苏州那边的医保局问。"), ("C", plan))
    ctx = context(call)
    assert [f.rule for f in first_contact.check(ctx)] == ["first_contact.deflection"]
    assert unresolved.caller_plans(ctx) and unresolved.check(ctx) == []


def test_a_caller_about_to_ask_staff_has_no_plan() -> None:
    call = polite_call(
        ("C", "医保关系怎么转过去？"), ("A", "转移的事您到苏州那边的医保局问。"), ("C", "那我问一下")
    )
    assert not unresolved.caller_plans(context(call))


# One-time notice: a how-to question by its shape, a channel heard by sound.
@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("想看看办到哪一步了，钱发了没有，怎么查？", True),
        ("每个月拿降压药，还非得回医院开方不？", True),
        ("我要上北京看腿，要先上哪儿开备案？", True),
        ("钱发了没有在哪茶", True),  # recognised speech, by sound
        ("怎么还没到账？", False),  # how come, not how to
        ("药店买药也能走统筹了，咋报啊？", False),  # how much, not how to
    ],
)
def test_a_how_to_question_is_known_by_its_shape(text: str, asks: bool) -> None:
    assert asks_howto(text) is asks


def test_a_channel_heard_as_a_homophone_is_told() -> None:
    assert mentions("channel", "到北京开通了异地就医的锭店一院直接拿社保卡结算就行")
    # Written text is read by its words only.
    assert not mentions("channel", "到北京开通了异地就医的锭店一院，直接拿社保卡结算就行。")
    assert not mentions("materials", "可县医院说今年转诊名额慢不给")  # 诊名 is no 证明


def test_a_how_to_question_in_other_words_is_judged() -> None:
    progress = Fact(
        "cd-progress",
        "成都医疗救助的办理进度和资金发放可在“天府市民云”APP查询。",
        {"channel": "天府市民云APP"},
        title="成都医疗救助进度查询",
    )
    call = polite_call(
        ("C", "我在成都申请了医疗救助，想看看办到哪一步了，怎么查？"),
        ("A", "成都的医疗救助办理进度都能查看，一天二十四小时都能查。"),
    )
    found = one_time_notice.check(context(call, facts=[progress]))
    assert [f.rule for f in found] == ["one_time_notice.missing"] and "办理渠道" in found[0].detail


# Emotion: recognised speech shows no sentence ends.
def test_a_long_angry_turn_of_recognised_speech_is_an_outburst() -> None:
    outburst = "医生开的时候也没人告诉我我跑了三家药店腿都跑断了你们这规定就是折腾老百姓我真是越想越来气"
    met = build(
        [("A", "您好12393医保热线工号1027"), ("C", outburst), ("A", "规定我刚才都讲明白了")], timed=False
    )
    assert emotion.angry_sentences(context(met), outburst, 0.7) >= 2
    assert [f.rule for f in emotion.check(context(met))] == ["emotion.unaddressed"]


# Semantic: sentence shapes of a class, whatever the words.
@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("这个在短信里写着呢", "impatience"),
        ("行了行了，这些我都知道", "impatience"),
        ("您不用讲那么细", "impatience"),
        ("您能不能想好了要问啥再打进来", "impatience"),
        ("后面一堆电话排着呢", "impatience"),
        ("一个词您还要我解释半天", "impatience"),
        ("就这么点小事也专门打热线", "impatience"),
        ("我又不是当官的，拍不了板", "forbidden"),
        ("您乐意等就等着", "forbidden"),
        ("您要投诉就去投", "forbidden"),
        ("想上哪儿告就上哪儿告", "forbidden"),
        ("您要头诉就去投我浙边", "forbidden"),  # recognised speech, by sound
    ],
)
def test_shapes_of_a_class_decide_whatever_the_words(sentence: str, label: str) -> None:
    matcher = SemanticMatcher(load_bank(), keyword_encoder, Calibration({}), k=1)
    assert [h.label for h in matcher.shaped([(2, "staff", sentence)])] == [label]


@pytest.mark.parametrize(
    "sentence",
    ["告知书上写着需要哪些材料", "您要办就去窗口办理", "一天二十四小时都能办", "您稍等，我帮您查一下"],
)
def test_ordinary_sentences_take_no_shape(sentence: str) -> None:
    matcher = SemanticMatcher(load_bank(), keyword_encoder, Calibration({}), k=1)
    assert matcher.shaped([(2, "staff", sentence)]) == []


def test_decimals_and_ranges_are_read_as_said() -> None:
    from inspection.claims import agrees, quantities

    (rate,) = quantities("次均费用下降百分之七点九")
    assert (rate.value, rate.unit) == (7.9, "percent")
    (said,) = quantities("授信额度在八千块到两万块之间")
    (base,) = quantities("授信额度8000至20000元不等")
    assert (said.low, said.top, base.low, base.top) == (8000, 20000, 8000, 20000)
    assert agrees(said, base)  # the same range: no contradiction
    (wrong,) = quantities("额度最多五千块")
    assert not agrees(wrong, base)  # below the base's range
    assert quantities("2023年1月1日至2025年6月30日起执行") == []  # a date range: no figures


def test_a_caller_asking_what_now_and_then_told_the_steps_is_no_open_matter() -> None:
    asked = polite_call(
        ("C", "热线不能直接给我报，那我咋办？"),
        ("A", "您先到线下补办异地就医备案，再按备案类型办手工报销，经办机构会把材料一次告诉您。"),
        ("C", "先补备案，再报销，明白了。"),
    )
    assert unresolved.check(context(asked)) == []
    gave_up = polite_call(
        ("C", "哪几家药店能刷门诊统筹？"),
        ("A", "那我这边也没法一家一家给您念。"),
        ("C", "哎，那算了吧。"),
    )
    assert [f.rule for f in unresolved.check(context(gave_up))] == ["unresolved.no_ticket"]

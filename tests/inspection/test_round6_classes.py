"""Classes of the sixth round (issue 17): each derived from one hand-written set's odd half and kept
because the other odd halves (clean and noised) and the guard sets did not drop. Sentences and
entries are written for the test."""

from __future__ import annotations

import re

import pytest

from inspection import Fact
from inspection.claims import agrees, drop_hours, quantities, repair_numbers
from inspection.rules import accuracy, emotion, first_contact, identity, one_time_notice, unresolved
from inspection.rules import semantic as semantic_rule
from inspection.semantic import SemanticHit, SemanticMatcher
from inspection.semantic_bank import Calibration, load_bank
from inspection.textmatch import PhraseMatcher, normalize, parse_lexicon, sound_pattern
from tests.inspection.conftest import build, context, keyword_encoder, polite_call


def _one(text: str):  # type: ignore[no-untyped-def]
    (q,) = quantities(text)
    return q


# Approximations: a numeral + 来/多 is a floor, compared with the base in calendar days.
def test_half_a_month_or_so_is_a_range_that_starts_at_half_a_month() -> None:
    q = _one("一般要半个来月")
    assert (q.low, q.top, q.upward) == (0.5, 0.65, True)


@pytest.mark.parametrize(
    ("said", "base", "agree"),
    [
        ("半个来月", "7个工作日", False),  # 15 days and more against at most 11
        ("二十来天", "15个工作日", True),
        ("一个多月", "20个工作日", True),
        ("十来天", "7个工作日", True),
        ("大概半个月", "10个工作日", True),  # no floor: a quarter either way
    ],
)
def test_a_floor_approximation_agrees_only_from_near_its_figure(said: str, base: str, agree: bool) -> None:
    assert agrees(_one(said), _one(base)) is agree


def test_counts_of_items_and_places_are_claims() -> None:
    assert agrees(_one("定了三十来项护理服务"), _one("制定了54项护理服务项目")) is False
    assert agrees(_one("有五十家定点医疗机构"), _one("全市有50家定点医疗机构上线")) is True


def test_a_figure_said_as_what_the_rule_is_not_is_no_claim() -> None:
    fact = Fact(
        "e-rx", "大连电子处方有效期5天。", {"time_limit": "电子处方有效期5天"}, title="大连电子处方有效期"
    )
    call = polite_call(
        ("C", "我大连的，电子处方过期了怎么办？"),
        ("A", "大连的电子处方有效期是5天。"),
        ("C", "凭什么就5天？"),
        ("A", "您再嚷嚷也不会变成六天。"),
    )
    assert accuracy.check(context(call, facts=[fact])) == []


def test_the_bases_yes_no_claims_are_read_by_their_characters() -> None:
    fact = Fact(
        "hebei-bj",
        "河北省取消参保人到北京、天津就医的备案手续，去京津看病视同已经备案。",
        {"materials": "无需备案"},
        title="河北参保人到北京就医视同备案",
    )
    call = polite_call(
        ("C", "我廊坊的，去北京看病医保能直接用吗？"), ("A", "河北参保人去北京看病，得先备案。")
    )
    found = accuracy.check(context(call, facts=[fact]))
    assert [f.rule for f in found] == ["accuracy.contradiction"]


def test_opening_hours_are_nobodys_figure() -> None:
    assert repair_numbers("审批信息一天儿十四小时都能查") == "审批信息一天二十四小时都能查"
    assert drop_hours("一天二十四小时都能查") == "都能查"
    call = polite_call(
        ("C", "我申请的救助办到哪一步了？"), ("A", "办理进度都能在线查看，一天二十四小时都能查。")
    )
    assert identity.check(context(call)) == []


def test_a_duration_before_a_final_le_is_stated_in_recognised_speech() -> None:
    call = polite_call(("C", "钱报上去半个月了还没到是不是出问题了"), ("A", "您报上去半个月还在时限里面"))
    assert accuracy.caller_durations(context(call), 3) == {("month", 0.5)}


# One-time notice: facets of the entry, and a can-do question answered yes.
def test_erhua_adds_no_syllable() -> None:
    assert [m.phrase for m in PhraseMatcher(["在哪办"]).find("备案在哪儿办？")] == ["在哪办"]
    assert normalize("那儿").chars == "那"


def test_how_come_is_no_how_to_question() -> None:
    matcher = PhraseMatcher(parse_lexicon(["咋办 | 咋就办"]))
    assert matcher.find("我都没申请，咋就办上了？") == []
    assert matcher.find("那我咋办？")


def test_materials_an_entry_asks_for_in_its_answer_are_a_facet() -> None:
    fact = Fact("rx", "慢病患者可以凭医保码实名认证，在线复诊续方。", {"channel": "互联网定点医疗机构"})
    assert one_time_notice.facet_points(fact)["materials"] == "医保码"


def test_the_action_after_a_channels_name_is_not_the_channel() -> None:
    assert not one_time_notice.covered("channel", "“超级绿叶码”小程序在线查看", "进度都能在线查看。")
    assert one_time_notice.covered("channel", "“超级绿叶码”小程序在线查看", "在超级绿叶码小程序上查。")


WEB_RX = Fact(
    "xm-rx",
    "厦门市慢病患者可以凭医保码实名认证，在线复诊续方。",
    {"channel": "医保码实名认证＋互联网定点医疗机构在线复诊续方"},
    region="厦门",
    title="厦门市凭医保码在线复诊续方",
)


def test_a_can_do_question_answered_yes_with_a_how_owes_every_point() -> None:
    call = polite_call(
        ("C", "我厦门的，慢病每个月开一样的药，能不能在网上开？"),
        ("A", "您好，可以。厦门有互联网定点医疗机构，慢病可以在线复诊续方。"),
        ("C", "那太方便了。"),
    )
    found = one_time_notice.check(context(call, facts=[WEB_RX]))
    assert [f.rule for f in found] == ["one_time_notice.missing"] and "所需材料" in found[0].detail


def test_a_bare_yes_on_a_benefit_owes_no_how() -> None:
    call = polite_call(
        ("C", "我厦门的，长期备案以后回来看病还能报吗？"),
        ("A", "可以的，回参保地看病也能正常享受待遇。"),
        ("C", "好的。"),
    )
    assert one_time_notice.check(context(call, facts=[WEB_RX])) == []


def test_a_farewell_heard_mid_sentence_does_not_close_a_turn() -> None:
    call = build([("A", "您好可以在江西省妇幼保健院窗口办理"), ("A", "好的再见")], timed=False)
    ctx = context(call)
    assert [one_time_notice._closing(ctx, t) for t in call.turns] == [False, True]


# Unresolved, first contact, identity.
def test_a_fear_of_being_pushed_around_reports_nothing() -> None:
    call = polite_call(
        ("C", "医疗救助要去几个部门挨个申请吗？"),
        ("A", "不用，统一受理，平均二十天以内办完。"),
        ("C", "要是二十天没办完呢？我可不想再被推来推去了。"),
        ("A", "平均二十天以内。"),
        ("C", "好吧，我先等二十天。"),
    )
    assert unresolved.check(context(call)) == []


def test_asking_in_person_is_the_callers_own_next_step() -> None:
    call = polite_call(
        ("C", "转诊手续怎么办？"),
        ("A", "转诊手续您直接找给您看病的大夫问吧。"),
        ("C", "哦，那我后天复查的时候当面问问大夫。"),
    )
    ctx = context(call)
    assert [f.rule for f in first_contact.check(ctx)] == ["first_contact.deflection"]
    assert unresolved.check(ctx) == []


def test_another_body_to_ask_is_heard_by_sound_in_recognised_speech() -> None:
    assert first_contact.asks_elsewhere("转诊手需您直接找给您看病的大夫翁吧")
    assert not first_contact.asks_elsewhere("转诊是由医院给开的")


def test_a_determination_on_the_callers_own_case_is_personal_data() -> None:
    call = polite_call(
        ("C", "我叫葛秀云，我的慢性病办上了吗？"), ("A", "九月份已经给您认定了门诊慢特病待遇。")
    )
    assert [f.rule for f in identity.check(context(call))] == ["identity.unverified_disclosure"]


# Emotion.
def test_an_outburst_met_with_nothing_is_unaddressed_anger() -> None:
    outburst = "我跑了三家药店，你们这规定就是折腾老百姓！我真是越想越来气！"
    met = polite_call(("C", outburst), ("A", "规定就是这样，您再嚷嚷也没用。"))
    assert [f.rule for f in emotion.check(context(met))] == ["emotion.unaddressed"]
    acted = polite_call(("C", outburst), ("A", "好的，我给您登记一个投诉工单。"))
    assert emotion.check(context(acted)) == []


# Semantic: shapes heard by sound, and service turns.
def test_shapes_are_matched_by_sound_in_recognised_speech() -> None:
    pattern = re.compile("我们?(这边|这儿)?说了?也?不算")
    sound = sound_pattern(pattern)
    assert sound is not None and sound.search(normalize("窝浙边说也不算").codes)
    matcher = SemanticMatcher(load_bank(), keyword_encoder, Calibration({}), k=1)
    hits = matcher.shaped([(2, "staff", "您要嫌慢就随便去哪儿反映好了窝浙边说也不算")])
    assert [h.label for h in hits] == ["forbidden"]
    assert matcher.shaped([(2, "staff", "窝浙边说也不算。")]) == []  # punctuated text is read by its words


def test_a_vector_hit_in_a_turn_that_takes_the_matter_on_is_no_impatience() -> None:
    call = polite_call(("C", "要带啥材料？"), ("A", "我给您登记个工单让医保部门联系您把材料一次说清楚"))
    ctx = context(call)
    hit = SemanticHit("impatience", 2, "把材料一次说清楚", "说清楚", 0.8, 0.0)
    shaped = SemanticHit("impatience", 2, "行行行", "", 1.0, 1.0, "连说三遍的敷衍")
    assert semantic_rule.serving(ctx, hit) and not semantic_rule.serving(ctx, shaped)


def test_a_plain_yes_opens_an_answer_to_a_can_do_question() -> None:
    video = Fact(
        "tj-video",
        "天津市12393热线提供5G视频办服务，以视频方式拨入12393，经过人脸比对核验身份后就可以远程办理业务。",
        {"channel": "以视频方式拨入12393医保服务热线", "materials": "需通过人脸比对身份核验"},
        title="天津12393热线5G视频办",
    )
    call = polite_call(
        ("C", "我爸出不了门，听说医保能视频办？"),
        ("A", "您好，对，12393有5G视频办，用视频方式拨入12393就能远程办业务。"),
        ("C", "好，那我周末帮他打过去。"),
    )
    found = one_time_notice.check(context(call, facts=[video]))
    assert [f.rule for f in found] == ["one_time_notice.missing"] and "所需材料" in found[0].detail


def test_a_caller_taking_an_answer_leaves_nothing_open() -> None:
    call = polite_call(
        ("C", "俺那个慢性病还能办不？"),
        ("A", "能办，材料会有人上门收，全程帮办。"),
        ("C", "那俺等着"),
    )
    ctx = context(call)
    assert unresolved.accepts_answer(ctx, 3, "那俺等着")
    assert not unresolved.accepts_answer(ctx, 3, "那俺怎么办")

"""Classes of the third cross-set round (issue 17): each derived from one hand-written set's odd
half and kept because the other set's odd half did not drop. Sentences and facts are written for
the test."""

from __future__ import annotations

import pytest

from inspection import Fact
from inspection.claims import repair_numbers
from inspection.rules import accuracy, first_contact, greeting_closing, identity, one_time_notice, unresolved
from inspection.rules.accuracy import qualifiers
from inspection.semantic_bank import load_bank
from tests.inspection.conftest import build, context, polite_call


def test_a_when_question_answered_without_a_time_leaves_the_matter_open() -> None:
    call = polite_call(
        ("C", "我的生育津贴还没到账。"),
        ("A", "我帮您跟经办那边说一声。"),
        ("C", "那大概要等几天？"),
        ("A", "有结果会告诉您的。"),
        ("C", "好吧。"),
    )
    found = unresolved.check(context(call))
    assert [f.rule for f in found] == ["unresolved.no_ticket"] and found[0].evidence == ("那大概要等几天？",)


@pytest.mark.parametrize("reply", ["一般十个工作日内到账。", "审核完下周就能打款。", "提交了马上就能用。"])
def test_a_when_question_answered_with_a_time_is_answered(reply: str) -> None:
    call = polite_call(("C", "钱什么时候能到？"), ("A", reply), ("C", "好的。"))
    assert unresolved.check(context(call)) == []


def test_a_stretch_of_days_is_no_when_question() -> None:
    call = polite_call(
        ("C", "我住院好几天了，没备案能报吗？"), ("A", "能报，出院前补办备案就行。"), ("C", "好的。")
    )
    assert unresolved.check(context(call)) == []


def test_a_work_order_counts_only_when_one_is_opened() -> None:
    said = context(polite_call(("C", "投诉半个月了。"), ("A", "工单都是按顺序处理的，我们会尽快处理的。")))
    assert not said.resolved() and unresolved.check(said)
    for opened in ("已经给您登记了催办工单。", "我给您提交一个工单，三天内回复。", "工单号是5520917。"):
        assert context(polite_call(("C", "投诉半个月了。"), ("A", opened))).resolved(), opened


def test_a_figure_staff_state_is_their_own_answer() -> None:
    def call(answer: str):  # type: ignore[no-untyped-def]
        return polite_call(("C", "在药店买药能报吗？"), ("A", answer), ("C", "好。"))

    assert first_contact.check(context(call("这个您得去药店问问。")))
    answered = call("起付六百元，报百分之七十，去之前可以先问一下药店开通没有。")
    assert first_contact.check(context(answered)) == []


def test_the_routine_offer_is_no_referral_in_recognised_speech() -> None:
    call = build(
        [("C", "慢病鉴定完还要盖章吗"), ("A", "不用了直接去拿就行请问还有别的问题吗"), ("C", "没了")]
    )
    assert first_contact.check(context(call)) == []


TIME_LIMIT = Fact(id="tl", answer="开封生育津贴在申请后20个工作日内支付到账。", region="河南/开封")


def test_time_the_callers_case_has_taken_is_no_claim() -> None:
    call = polite_call(
        ("C", "我开封的，生育津贴申请了还没到。"),
        ("A", "开封是二十个工作日内到账，您这才八个工作日，还在时限里。"),
    )
    assert accuracy.check(context(call, facts=[TIME_LIMIT])) == []
    wrong = polite_call(("C", "我开封的，生育津贴多久到？"), ("A", "开封是八个工作日内到账。"))
    assert accuracy.check(context(wrong, facts=[TIME_LIMIT]))


def test_an_emergency_ruled_out_is_planned_care() -> None:
    assert qualifiers("没转诊，也不是急诊")["urgency"] == "planned"
    assert "case" not in qualifiers("也不是急诊")
    assert qualifiers("急诊住院")["urgency"] == "emergency"


AUTO = Fact(
    id="auto",
    answer="厦门办理退休后，医保部门依据养老退休数据主动办结，无需另交材料。",
    points={"materials": "无需另交材料", "channel": "医保部门依据养老退休数据主动办结"},
    region="福建/厦门",
)


def test_a_point_that_asks_nothing_is_told_by_no_need_to_act() -> None:
    call = polite_call(
        ("C", "我厦门的，退休了医保要去哪里办一下？"),
        ("A", "不用跑，医保部门会主动给您转过来。"),
        ("C", "好的。"),
    )
    assert one_time_notice.check(context(call, facts=[AUTO])) == []


def test_closing_words_read_by_sound_and_in_words() -> None:
    invited = polite_call(("C", "好。"), ("A", "稍后请您给本次服务评个分，再见。"))
    assert not [f for f in greeting_closing.check(context(invited)) if f.rule == "closing.satisfaction"]
    plain = build(
        [
            ("A", "您好，12393医保热线，工号1027。"),
            ("C", "菜单在哪？"),
            ("A", "上面写得明明白白，请对服务评价。"),
        ]
    )
    assert [f.rule for f in greeting_closing.check(context(plain))] == ["closing.farewell"]


def test_the_said_to_the_wrong_person_shape() -> None:
    bank = load_bank()
    shape = next(p for name, p in bank.labels["forbidden"].shapes if "说不着" in name)
    assert shape.search("有意见您找领导提去，跟我这儿说不着。")
    assert shape.search("这关我们什么事？")
    assert not shape.search("您说的我都记下了。")


def test_a_numeral_heard_as_its_homophone_before_the_unit_is_repaired() -> None:
    assert repair_numbers("余额是三千二百六室元") == "余额是三千二百六十元"
    assert repair_numbers("第二是三个月内") == "第二是三个月内"  # before a numeral: an enumeration
    call = build(
        [
            ("A", "您好，12393医保服务热线，工号1027，请问有什么可以帮您？"),
            ("C", "帮我爸查下个人账户余额"),
            ("A", "查到了个人账户余额是一千二百四室元"),
        ]
    )
    assert [f.rule for f in identity.check(context(call))] == ["identity.unverified_disclosure"]

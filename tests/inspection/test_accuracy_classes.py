"""Claims the fact check used to pass over (issue 17, session 10): counts of people and kinds, a
figure's role (a ceiling is compared with the ceiling), groups named by a sibling clause, and a
topic only the agent names. Facts and sentences are written for the test."""

from __future__ import annotations

from inspection import Fact, Transcript
from inspection.claims import has_figure, quantities
from inspection.context import Context
from inspection.rules import accuracy, one_time_notice
from inspection.ruleset import default_ruleset
from tests.inspection.conftest import context, polite_call

FAMILY = Fact(
    id="fam",
    answer="沈阳市职工医保参保人可以在公众号开通家庭共济，1名参保人最多可以绑定5名家庭成员。",
    region="辽宁/沈阳",
)
DISEASES = Fact(
    id="dis",
    answer="萧县门诊慢特病实行免申即享，病种从21种增加到33种。",
    region="安徽/宿州/萧县",
)
PHARMACY = Fact(
    id="ph",
    answer="鹤岗市定点药店门诊统筹：起付标准500元，支付比例60%，退休人员再提高5个百分点，封顶线1500元。",
    region="黑龙江/鹤岗",
)
TRANSFER = Fact(
    id="tr",
    answer="在福建省，基本医保关系转移接续可以网上办，也可以跨省通办，办理时限不超过15个工作日。",
    region="福建",
)


def found(call: Transcript, facts: list[Fact]) -> list[str]:
    return [f.detail for f in accuracy.check(context(call, facts=facts))]


def test_counts_of_people_and_kinds_are_claims() -> None:
    assert [(q.value, q.unit) for q in quantities("最多能绑四个家庭成员")] == [(4.0, "person")]
    assert [(q.value, q.unit) for q in quantities("两位老人")] == [(2.0, "person")]
    kinds = quantities("病种从21种增加到33种")
    assert [(q.value, q.unit, q.historical) for q in kinds] == [(21.0, "kind", True), (33.0, "kind", False)]
    # 是个人 sounds like 十个人: a count of people said with 个 is not read at all.
    assert quantities("您是个人参保的") == [] and quantities("三个人") == []


def test_a_wrong_count_of_family_members_is_found_and_the_right_one_is_not() -> None:
    ask = ("C", "我沈阳的，家庭共济能绑几个人？")
    wrong = polite_call(ask, ("A", "沈阳的家庭共济，一个人最多能绑三个家庭成员。"))
    right = polite_call(ask, ("A", "最多可以绑五名家庭成员。"))
    assert len(found(wrong, [FAMILY])) == 1 and "3人" in found(wrong, [FAMILY])[0]
    assert found(right, [FAMILY]) == []


def test_the_old_number_of_diseases_contradicts_the_current_one() -> None:
    ask = ("C", "我萧县的，免申即享一共有多少种病？")
    old = polite_call(ask, ("A", "萧县免申即享一共是二十一种。"))
    current = polite_call(ask, ("A", "现在是三十三种。"))
    assert len(found(old, [DISEASES])) == 1
    assert found(current, [DISEASES]) == []


def test_a_ceiling_is_compared_with_the_ceiling() -> None:
    ask = ("C", "我鹤岗的，在职的，药店买药走统筹一年最多报多少？")
    wrong = polite_call(ask, ("A", "起付是五百元，报百分之六十，一年最多报三千块。"))
    right = polite_call(ask, ("A", "起付是五百元，报百分之六十，一年最多报一千五百元。"))
    out = found(wrong, [PHARMACY])
    assert len(out) == 1 and "3000元" in out[0] and "封顶线1500元" in out[0]
    assert found(right, [PHARMACY]) == []
    # Run together as a recogniser writes it, with 封定 for 封顶: the role is the word just before.
    heard = polite_call(ask, ("A", "起付标准五百元报百分之六十退休人员再提高五个百分点封定一千五百元"))
    assert found(heard, [PHARMACY]) == []


def test_a_group_named_by_a_sibling_clause_stays_with_it() -> None:
    # 退休人员再提高5个百分点 is about retirees; the sentence's other figures are for everyone,
    # so a working caller's wrong ceiling is still compared.
    assert has_figure("退休人员再提高5个百分点") and not has_figure("鹤岗市定点药店门诊统筹")
    clauses = {k.text: k.quals for k in accuracy.kb_clauses(PHARMACY, 0)}
    assert "status" not in clauses["封顶线1500元"]
    assert clauses["退休人员再提高5个百分点"]["status"] == "retired"
    # The agent's own list of groups: 在职的是60% is not about 居民.
    assert accuracy.shared("在职的是60%", "在职的是60%，居民医保是50%") == "在职的是60%"


def test_the_agent_naming_the_topic_finds_the_entry() -> None:
    call = polite_call(
        ("C", "我在厦门交的，想弄回老家，大概要多久？"),
        ("A", "福建的医保关系转移接续可以网上办，差不多要两个月。"),
    )

    def lookup(text: str) -> list[Fact]:
        return [TRANSFER] if "关系转移" in text else []

    out = accuracy.check(Context(call, default_ruleset(), kb_lookup=lookup))
    assert [f.kb_entry for f in out] == ["tr"]
    right = polite_call(
        ("C", "我在厦门交的，想弄回老家，大概要多久？"),
        ("A", "福建的医保关系转移接续可以网上办，半个来月就好。"),
    )
    assert accuracy.check(Context(right, default_ruleset(), kb_lookup=lookup)) == []


def test_one_time_notice_judged_on_the_entry_the_agent_names() -> None:
    # The caller's 弄回老家 finds no entry; the agent's 医保关系转移接续 does, and the answer
    # leaves out the time limit.
    call = polite_call(
        ("C", "我在厦门交的医保，现在回江西了，要怎么弄回来？"),
        ("A", "福建的医保关系转移接续可以网上办，也可以跨省通办。"),
    )

    def lookup(text: str) -> list[Fact]:
        return [TRANSFER_POINTS] if "关系转移" in text else []

    out = one_time_notice.check(Context(call, default_ruleset(), kb_lookup=lookup))
    assert [f.kb_entry for f in out] == ["tr"] and "办理时限" in out[0].detail
    full = polite_call(
        ("C", "我在厦门交的医保，现在回江西了，要怎么弄回来？"),
        ("A", "福建的医保关系转移接续可以网上办，也可以跨省通办，15个工作日内办完。"),
    )
    assert one_time_notice.check(Context(full, default_ruleset(), kb_lookup=lookup)) == []


TRANSFER_POINTS = Fact(
    id="tr",
    answer=TRANSFER.answer,
    points={"channel": "网上办、跨省通办", "time_limit": "不超过15个工作日"},
    region="福建",
)

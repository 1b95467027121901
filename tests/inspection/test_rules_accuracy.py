"""答得准: agent statements against hand-built knowledge-base facts."""

from __future__ import annotations

from inspection import Fact
from inspection.rules import accuracy
from tests.inspection.conftest import context, polite_call

RATES = Fact(
    id="ty-rates",
    answer="太原市非急未转住院：在职职工由原来的50%提高到72%，退休职工提高到81%，居民医保由35%提高到50%。",
    region="山西/太原",
)
IN_PROVINCE = Fact(
    id="ty-in-province",
    answer="太原参保人在山西省内定点医药机构看病、买药，都不用备案，可以直接结算。",
    points={"materials": "无需备案"},
    region="山西/太原",
    title="太原省内异地就医免备案",
)
CROSS = Fact(
    id="ty-cross", answer="太原参保人跨省就医需要备案，可以自助备案，不用提供证明材料。", region="山西/太原"
)
KAIFENG = Fact(id="kf-maternity", answer="开封市生育保险待遇支付在20个工作日内完成。", region="河南/开封")


def found(call, facts):  # type: ignore[no-untyped-def]
    return accuracy.check(context(call, facts=facts))


def test_wrong_percentage_for_the_right_group() -> None:
    call = polite_call(
        ("C", "我是太原退休职工，没转诊去外地住院能报多少？"), ("A", "退休职工报百分之七十五。")
    )
    out = found(call, [RATES])
    assert len(out) == 1 and out[0].kb_entry == "ty-rates" and "81%" in out[0].detail


def test_right_values_and_old_values_in_history() -> None:
    call = polite_call(("C", "我是太原的，非急未转能报多少？"), ("A", "在职职工72%，退休职工81%，居民50%。"))
    assert found(call, [RATES]) == []


def test_filing_claims_respect_scope() -> None:
    wrong = polite_call(("C", "我太原的，去忻州住院要备案吗？"), ("A", "要备案的，您得先去备案。"))
    right = polite_call(("C", "我太原的，去忻州住院要备案吗？"), ("A", "省内不用备案，直接结算。"))
    cross = polite_call(("C", "我太原的，那去外省呢？"), ("A", "去外省就医需要备案。"))
    assert [f.kb_entry for f in found(wrong, [IN_PROVINCE])] == ["ty-in-province"]
    assert found(right, [IN_PROVINCE]) == []
    assert found(cross, [IN_PROVINCE, CROSS]) == []


def test_time_limit_contradiction_and_promises_ignored() -> None:
    wrong = polite_call(("C", "开封的，生育待遇多久给？"), ("A", "一般三十个工作日之内。"))
    promise = polite_call(("C", "开封的，生育待遇多久给？"), ("A", "我给您登记工单，3个工作日内给您回电。"))
    assert [f.kb_entry for f in found(wrong, [KAIFENG])] == ["kf-maternity"]
    assert found(promise, [KAIFENG]) == []


def test_facts_of_regions_the_call_never_mentions_are_ignored() -> None:
    call = polite_call(("C", "我是郑州的，生育待遇多久给？"), ("A", "一般三十个工作日之内。"))
    assert found(call, [KAIFENG]) == []


def test_no_lookup_no_findings() -> None:
    call = polite_call(("C", "开封的，生育待遇多久给？"), ("A", "三十个工作日。"))
    assert accuracy.check(context(call)) == []


AUTO = Fact(
    id="ty-auto",
    answer="太原参保人临时外出跨省就医，即使没有办理备案，出院时也视同已经备案。",
    points={"materials": "无需办理备案手续"},
    region="山西/太原",
)
EMERGENCY = Fact(
    id="ty-emergency",
    answer="太原参保人在外地突发急症住院，不用办理备案，按急诊政策直接结算。",
    region="山西/太原",
)


def test_exceptions_do_not_contradict_the_general_rule() -> None:
    general = polite_call(("C", "我太原的，去外省看病呢？"), ("A", "去外省就医需要备案。"))
    assert found(general, [AUTO, EMERGENCY]) == []
    emergency = polite_call(("C", "我太原的，在外地突发急病住院了。"), ("A", "急诊住院也得先备案的。"))
    assert [f.kb_entry for f in found(emergency, [EMERGENCY])] == ["ty-emergency"]


KAIFENG_CLAIMS = Fact(
    id="kf-claims",
    answer="开封市医保经办机构的规范要求是：手工零星报销在30个工作日内办完。",
    region="河南/开封",
)
EXAMPLES = Fact(
    id="claims-differ",
    answer="各地不一样：河南开封市30个工作日内办完；浙江瑞安市做到7个工作日内办完。",
)


def test_an_approximation_that_contradicts_is_found_and_one_that_agrees_is_not() -> None:
    ask = ("C", "我开封的，零星报销交了，多久能办下来？")
    wrong = polite_call(ask, ("A", "一般十来天就能办好。"))
    right = polite_call(ask, ("A", "大概一个半月左右，最长三十个工作日。"))
    out = found(wrong, [KAIFENG_CLAIMS])
    assert [f.kb_entry for f in out] == ["kf-claims"] and "十来天" in out[0].detail
    assert found(right, [KAIFENG_CLAIMS]) == []


def test_other_places_figures_do_not_back_the_agent() -> None:
    # 一个礼拜 would agree with 瑞安's 7 working days, but the caller is from 开封.
    call = polite_call(("C", "我开封的，零星报销多久能办下来？"), ("A", "一个礼拜左右就能到账。"))
    assert [f.kb_entry for f in found(call, [KAIFENG_CLAIMS, EXAMPLES])] == ["kf-claims"]


def test_exact_figure_against_the_entry_single_figure() -> None:
    # "要等10个工作日" shares no words with the entry's clause, but the entry found for the question
    # states one time limit: an exact figure that differs is a contradiction, as an approximation is.
    call = polite_call(("C", "开封的，生育津贴多久能到？"), ("A", "您好，要等10个工作日。"))
    out = found(call, [KAIFENG])
    assert len(out) == 1 and out[0].kb_entry == "kf-maternity" and "10个工作日" in out[0].detail
    right = polite_call(("C", "开封的，生育津贴多久能到？"), ("A", "您好，要等20个工作日。"))
    assert found(right, [KAIFENG]) == []


def test_homophone_unit_is_compared() -> None:
    call = polite_call(("C", "开封的生育津贴多久能到"), ("A", "您好要等10个公作日"))
    assert [f.kb_entry for f in found(call, [KAIFENG])] == ["kf-maternity"]


def test_a_group_raised_by_points_agrees_and_other_figures_do_not() -> None:
    pharmacy = Fact(
        id="sys-pharmacy",
        answer="双鸭山职工在开通门诊统筹的定点药店购药，起付600元，支付70%，退休人员提高5个百分点，封顶2000元。",
        region="黑龙江/双鸭山",
    )
    question = ("C", "我双鸭山的，退休了，药店买药能报多少？")
    assert found(polite_call(question, ("A", "退休的是百分之七十五。")), [pharmacy]) == []
    wrong = found(polite_call(question, ("A", "退休的是百分之八十。")), [pharmacy])
    assert [f.kb_entry for f in wrong] == ["sys-pharmacy"]


def test_opening_hours_in_words_are_no_time_limit() -> None:
    hours = Fact(
        id="zz-hours", answer="郑州12393热线一天24小时、一周7天都可以打电话咨询。", region="河南/郑州"
    )
    call = polite_call(("C", "我郑州的，晚上有人接吗？"), ("A", "有的，一天二十四小时、一周七天都能打。"))
    assert found(call, [hours]) == []

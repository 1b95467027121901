"""Subject terms a question names and an entry never mentions (knowledge/terms.py)."""

from __future__ import annotations

from knowledge.search import Doc
from knowledge.terms import TermCoverage, subject_terms
from tests.knowledge.hits import entry_doc


def doc(key: str, text: str) -> Doc:
    return entry_doc(key, None, answer=text, topic=key, title=text, lexical_text=text)


def test_subjects_beside_the_domain_terms_count() -> None:
    terms = subject_terms()
    assert "补办" in terms and "异地就医" in terms  # topic_terms.txt beside domain_terms.txt
    assert list(terms) == sorted(terms, key=lambda t: (-len(t), t))


def test_an_entry_that_never_names_the_asked_subject_is_foreign() -> None:
    overview = doc("reimbursement", "零星报销的办结时限各地不一样，一般多久到账要看参保地")
    others = [doc(f"o{i}", f"医保其他条目{i}") for i in range(10)]  # 医保 is generic here
    coverage = TermCoverage([overview, *others])
    assert coverage.foreign("医保卡补办一般要多久能拿到？", overview) == ["补办"]
    assert coverage.foreign("零星报销一般要多久能到账？", overview) == []


def test_another_name_of_the_subject_counts_as_naming_it() -> None:
    voucher = doc("evoucher", "大连医保电子凭证可以绑定孩子，看病时用家长手机付款")
    others = [doc(f"o{i}", f"医保其他条目{i}") for i in range(10)]
    coverage = TermCoverage([voucher, *others])
    assert coverage.foreign("能用我手机上的医保码给孩子付钱不？", voucher) == []


def test_the_callers_scheme_told_in_the_story_is_foreign_only_to_a_rule_for_other_groups() -> None:
    everyone = doc("filing", "跨省异地就医备案可以在手机上自助办理，不用交证明材料")
    by_group = doc("ratio", "非急未转住院报销比例：在职职工72%，退休职工81%")
    residents = doc("residents", "居民医保参保人外出就医的报销比例是50%")
    others = [doc(f"o{i}", f"医保其他条目{i}") for i in range(10)]
    coverage = TermCoverage([everyone, by_group, residents, *others])
    story = "我交的职工医保，下个月去外省，备案要交证明材料吗？"
    assert coverage.foreign(story, everyone) == []  # a rule for every group
    assert "职工医保" not in coverage.foreign(story, by_group)  # 在职职工: its short name
    assert "职工医保" in coverage.foreign(story, residents)  # a rule for another group
    # Said in the question itself, the scheme is what is asked about.
    assert coverage.foreign("能给爸妈交职工医保不？", everyone) == ["职工医保"]

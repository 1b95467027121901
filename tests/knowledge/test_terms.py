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

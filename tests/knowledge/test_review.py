"""knowledge/review.py: review dates, figures with units, and entries of a topic and region that disagree."""

from __future__ import annotations

import datetime as dt

import pytest

from api.settings import PROJECT_ROOT
from knowledge.catalog import load_entries
from knowledge.review import GENERIC_TERMS, conflicts, date_label, figures, is_stale, review_due
from knowledge.textnorm import domain_terms

D = dt.date
TERMS = tuple(t for t in domain_terms() if len(t) >= 2)


def terms_of(clause: str) -> list[str]:
    return [t for t in TERMS if t in clause]


@pytest.mark.parametrize(
    ("effective", "months", "due"),
    [
        ("2023", 12, D(2024, 1, 1)),
        ("2023-08", 12, D(2024, 8, 1)),
        ("2023-08-15", 6, D(2024, 2, 15)),
        ("", 12, None),
    ],
)
def test_review_due(effective: str, months: int, due: dt.date | None) -> None:
    assert review_due(effective, months) == due


def test_stale_after_the_review_months_and_never_with_zero() -> None:
    assert is_stale("2023-08", months=12, today=D(2024, 8, 1))
    assert not is_stale("2023-08", months=12, today=D(2024, 7, 31))
    assert not is_stale("2019", months=0, today=D(2026, 12, 6))
    assert not is_stale("", months=12, today=D(2026, 12, 6))


def test_date_label_is_what_a_caller_hears() -> None:
    assert date_label("2023-08-15") == "2023年8月"
    assert date_label("2023") == "2023年"
    assert date_label("soon") == ""


def test_figures_read_chinese_numerals_and_units_but_not_dates() -> None:
    found = figures("2023年8月起，手工零星报销三十个工作日内办完，最高支付5万元，比例为70%。", terms_of)
    assert [(f.value, f.unit) for f in found] == [(30.0, "工作日"), (50000.0, "元"), (70.0, "%")]
    assert all("零星报销" in f.terms for f in found)  # one clause: each figure is about 零星报销


def _row(entry_id: str, text: str, topic: str = "零星报销时限", region: str | None = "河南/开封") -> tuple:
    return (entry_id, topic, region, text)


def test_same_topic_and_region_with_different_days_conflict() -> None:
    rows = [
        _row("kaifeng-30", "开封市手工零星报销在30个工作日内办完。"),
        _row("kaifeng-20", "开封零星报销二十个工作日内完成。"),
    ]
    (found,) = conflicts(rows, terms_of, generic=GENERIC_TERMS)
    assert (found.first, found.second) == ("kaifeng-30", "kaifeng-20")
    assert (found.first_figure, found.second_figure) == ("30个工作日", "二十个工作日")
    assert "零星报销" in found.about


@pytest.mark.parametrize(
    "rows",
    [
        # Another region: each city has its own time limit.
        [
            _row("kaifeng", "零星报销30个工作日内办完。"),
            _row("quzhou", "零星报销20个工作日内办完。", region="浙江/衢州"),
        ],
        # Same region, figures about different things.
        [_row("a", "零星报销30个工作日内办完。"), _row("b", "生育津贴20个工作日内发放。")],
        # Same figure, stated twice.
        [_row("a", "零星报销30个工作日内办完。"), _row("b", "手工零星报销在三十个工作日内完成。")],
        # Another unit.
        [_row("a", "零星报销30个工作日内办完。"), _row("b", "零星报销20天内提交材料。")],
    ],
)
def test_no_conflict_without_a_real_disagreement(rows: list[tuple]) -> None:
    assert conflicts(rows, terms_of, generic=GENERIC_TERMS) == []


def test_the_curated_entries_do_not_disagree_within_a_topic_and_region() -> None:
    # The seeds' 30 vs 20 working days for 零星报销 are 开封's rule and 衢州's former offline time:
    # two regions, so the curated entries hold no conflict (the example is across regions).
    entries = load_entries(PROJECT_ROOT / "knowledge" / "entries")
    rows = [(e.id, e.topic, e.region, "。".join([e.answer, *e.points.values()])) for e in entries]
    assert conflicts(rows, terms_of, generic=GENERIC_TERMS) == []
    kaifeng = next(e for e in entries if e.id == "reimbursement-kaifeng-30-working-days")
    assert kaifeng.region == "河南/开封" and "30个工作日" in kaifeng.answer

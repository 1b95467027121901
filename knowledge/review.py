"""Review of curated entries: which are past their review date, and which disagree on a figure.

- ``review_due`` / ``is_stale``: an entry is due for review ``months`` after its ``effective``
  date (``YYYY`` counts from 1 January, ``YYYY-MM`` from the first of the month);
  ``date_label`` writes that date as a caller hears it (2023年8月).
- ``figures``: the numbers with units an answer states (30个工作日, 5000元, 70%), Chinese
  numerals read by ``vocab.numerals``, each with the domain terms of its clause (what it is about).
- ``conflicts``: two entries of the same topic and region stating different values of the same
  unit about the same thing (a shared clause term), e.g. 零星报销 30 vs 20 个工作日.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from vocab.numerals import parse_number

__all__ = [
    "GENERIC_TERMS",
    "Conflict",
    "Figure",
    "conflicts",
    "date_label",
    "figures",
    "is_stale",
    "review_due",
]

# Domain terms too broad to say what a figure or a sentence is about.
GENERIC_TERMS = frozenset({"医保", "参保", "医疗保障", "医疗保险", "参保地", "缴费"})

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_NUMBER = r"(?P<num>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)"
# Longest units first; 日 alone is a calendar day (自然日) unless 工作 precedes it.
_UNITS = {
    "个工作日": "工作日",
    "工作日": "工作日",
    "个自然日": "日",
    "自然日": "日",
    "个月": "月",
    "周岁": "岁",
    "万元": "元",
    "元": "元",
    "天": "日",
    "日": "日",
    "年": "年",
    "岁": "岁",
    "%": "%",
    "％": "%",
    "倍": "倍",
}
_SCALE = {"万元": 10_000.0}
_FIGURE_RE = re.compile(_NUMBER + r"\s*(?P<unit>" + "|".join(map(re.escape, _UNITS)) + ")")
_CLAUSE_SPLIT_RE = re.compile(r"[。；;！!？?\n]")
_DATE_LIKE_RE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*日")


def _start(effective: str) -> dt.date | None:
    match = _DATE_RE.match((effective or "").strip())
    if not match:
        return None
    year, month, day = match.groups()
    return dt.date(int(year), int(month or 1), int(day or 1))


def review_due(effective: str, months: int) -> dt.date | None:
    """The date ``months`` after ``effective`` (None when the date is missing or malformed)."""
    start = _start(effective)
    if start is None:
        return None
    total = start.year * 12 + start.month - 1 + months
    year, month = divmod(total, 12)
    return dt.date(year, month + 1, min(start.day, 28))


def is_stale(effective: str, *, months: int, today: dt.date | None = None) -> bool:
    """True when ``months`` (> 0) have passed since ``effective``; 0 months means never stale."""
    if months <= 0:
        return False
    due = review_due(effective, months)
    return due is not None and (today or dt.date.today()) >= due


def date_label(effective: str) -> str:
    """The entry's date as said to a caller: 2023年8月, or 2023年 when only the year is known."""
    match = _DATE_RE.match((effective or "").strip())
    if not match:
        return ""
    year, month, _ = match.groups()
    return f"{int(year)}年{int(month)}月" if month else f"{int(year)}年"


@dataclass(frozen=True)
class Figure:
    """A number with its unit, as stated in one clause, and the terms that say what it is about."""

    value: float
    unit: str
    text: str
    terms: frozenset[str]


def figures(text: str, terms_of: Callable[[str], Iterable[str]]) -> list[Figure]:
    """The figures of a text; ``terms_of(clause)`` gives the domain terms of a clause."""
    found: list[Figure] = []
    for clause in _CLAUSE_SPLIT_RE.split(text or ""):
        dated = clause
        for match in _DATE_LIKE_RE.finditer(clause):  # 2023年8月, 1月1日 are dates, not figures
            dated = dated.replace(match.group(0), " " * len(match.group(0)))
        matches = list(_FIGURE_RE.finditer(dated))
        if not matches:
            continue
        terms = frozenset(terms_of(clause))
        for match in matches:
            value = parse_number(match.group("num"))
            unit = match.group("unit")
            if value is None or (_UNITS[unit] == "年" and value >= 1900):
                continue
            found.append(Figure(value * _SCALE.get(unit, 1.0), _UNITS[unit], match.group(0), terms))
    return found


@dataclass(frozen=True)
class Conflict:
    """Two entries of one topic and region that state different values of one figure."""

    topic: str
    region: str | None
    first: str
    second: str
    first_figure: str
    second_figure: str
    about: tuple[str, ...]


def conflicts(
    entries: Sequence[tuple[str, str, str | None, str]],
    terms_of: Callable[[str], Iterable[str]],
    *,
    generic: Iterable[str] = (),
) -> list[Conflict]:
    """Pairs of entries ``(id, topic, region, text)`` of the same topic and region that disagree.

    Two figures disagree when their unit is the same, their values differ, and their clauses
    share a domain term that is not ``generic`` (the topic's own name usually is): 开封 "零星报销
    30个工作日" and 开封 "零星报销 20个工作日" disagree; "零星报销 30个工作日" and "生育待遇
    20个工作日" do not. Each pair of entries is reported once, with its first disagreement.
    """
    ignore = set(generic)
    by_group: dict[tuple[str, str | None], list[tuple[str, list[Figure]]]] = {}
    for entry_id, topic, region, text in entries:
        by_group.setdefault((topic, region), []).append((entry_id, figures(text, terms_of)))
    found: list[Conflict] = []
    for (topic, region), members in sorted(by_group.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        ignore_here = ignore | {topic}
        for i, (a_id, a_figs) in enumerate(members):
            for b_id, b_figs in members[i + 1 :]:
                clash = _first_clash(a_figs, b_figs, ignore_here)
                if clash is not None:
                    fa, fb, about = clash
                    found.append(Conflict(topic, region, a_id, b_id, fa.text, fb.text, about))
    return found


def _first_clash(
    a_figs: Sequence[Figure], b_figs: Sequence[Figure], ignore: set[str]
) -> tuple[Figure, Figure, tuple[str, ...]] | None:
    b_values = {(f.unit, f.value) for f in b_figs}
    a_values = {(f.unit, f.value) for f in a_figs}
    for fa in a_figs:
        if (fa.unit, fa.value) in b_values:
            continue  # the other entry states this value too: no disagreement about it
        for fb in b_figs:
            if fb.unit != fa.unit or fb.value == fa.value or (fb.unit, fb.value) in a_values:
                continue
            about = sorted((fa.terms & fb.terms) - ignore)
            if about:
                return fa, fb, tuple(about)
    return None

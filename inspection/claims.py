"""Factual statements in agent speech: numbers with units and yes/no policy claims.

Used by the accuracy rule (compare with the knowledge base) and the one-time-notice rule
(did the agent give a time limit). Chinese numerals are read because ASR often writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vocab.numerals import SPOKEN_DIGITS, UNITS, parse_number

_NUM = rf"(?:\d+(?:\.\d+)?|[{SPOKEN_DIGITS}{UNITS}]+)"
_UNIT_WORDS = {
    "个工作日": "workday",
    "工作日": "workday",
    "个小时": "hour",
    "小时": "hour",
    "分钟": "minute",
    "个月": "month",
    "天": "day",
    "日": "day",
    "%": "percent",
    "％": "percent",
    "元": "yuan",
    "块": "yuan",
}
_UNIT_RE = "|".join(sorted(map(re.escape, _UNIT_WORDS), key=len, reverse=True))
_QUANTITY = re.compile(rf"(?P<pct>百分之(?P<pv>{_NUM}))|(?P<num>{_NUM})\s*(?P<unit>{_UNIT_RE})")
_CLAUSE_SPLIT = re.compile(r"[，。；！？,;!?\n：:]+")
# In "由原来的50%提高到72%" only the number after the change verb is the current rule.
_CHANGE = re.compile(
    r"提高到|提高至|降到|降低到|降至|调整为|调整到|缩短到|缩短至|压缩至|压缩到|减到|减少到|变为|变成"
)
# "全年365天、一天24小时", "7×24小时": opening hours, not a time limit.
_AVAILABILITY = re.compile(r"(?:全年)?365天|(?:一天|全天|每天)24小时|7\s*[×xX*乘]\s*24(?:小时)?|24小时全天")
TIME_UNITS = frozenset({"workday", "day", "hour", "minute", "month"})
UNIT_LABELS = {
    "workday": "个工作日",
    "day": "天",
    "hour": "小时",
    "minute": "分钟",
    "month": "个月",
    "percent": "%",
    "yuan": "元",
}


@dataclass(frozen=True)
class Quantity:
    """A number with a unit found in a clause."""

    value: float
    unit: str
    text: str
    historical: bool = False

    @property
    def label(self) -> str:
        v = int(self.value) if self.value == int(self.value) else self.value
        return f"{v}{UNIT_LABELS.get(self.unit, '')}"


def split_clauses(text: str) -> list[str]:
    """Clauses of a sentence, split at punctuation."""
    return [c.strip() for c in _CLAUSE_SPLIT.split(text) if c.strip()]


def quantities(clause: str) -> list[Quantity]:
    """Numbers with units in one clause; values before a change verb are marked historical."""
    clause = _AVAILABILITY.sub("", clause)
    change = _CHANGE.search(clause)
    out: list[Quantity] = []
    for m in _QUANTITY.finditer(clause):
        if m.group("pct"):
            value, unit = parse_number(m.group("pv")), "percent"
        else:
            value, unit = parse_number(m.group("num")), _UNIT_WORDS[m.group("unit")]
            if (
                unit == "day"
                and m.group("unit") == "日"
                and clause[m.end() : m.end() + 1] in ("起", "前", "后")
            ):
                continue  # a date (8月1日起), not a duration
        if value is None:
            continue
        historical = bool(change and m.end() <= change.start())
        out.append(Quantity(value, unit, m.group(0), historical))
    return out


def has_time_expression(text: str) -> bool:
    """Whether the text states any time limit (a duration, or 当天/即时/马上 and the like)."""
    if any(q.unit in TIME_UNITS for c in split_clauses(text) for q in quantities(c)):
        return True
    return bool(re.search(r"当天|当日|即时|马上|立即|当场|实时|秒批|秒办|随时|立刻|几天|多少天|工作日", text))


_BIGRAM_STOP = frozenset(
    "工作 作日 个工 小时 分钟 个月 我们 您的 可以 就是 这个 那个 的话 一下 的时 时候 "
    "如果 现在 然后 一般 需要 不用 是的 好的 对的".split()
)


def bigrams(text: str) -> set[str]:
    """Character bigrams of the Chinese content of a text (digits and common words dropped)."""
    chars = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    return {chars[i : i + 2] for i in range(len(chars) - 1)} - _BIGRAM_STOP


def overlap(a: str, b: str) -> float:
    """Share of the bigrams of ``a`` that also occur in ``b`` (0..1)."""
    ba = bigrams(a)
    if not ba:
        return 0.0
    return len(ba & bigrams(b)) / len(ba)

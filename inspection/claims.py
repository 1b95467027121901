"""Factual statements in agent speech: numbers with units and yes/no policy claims.

Used by the accuracy rule (compare with the knowledge base) and the one-time-notice rule
(did the agent give a time limit). Chinese numerals are read because ASR often writes them, and
spoken amounts as ranges (二十来天, 一个多月, 十几天, 两三个礼拜, 个把月, 八成): ``agrees`` compares
them with the base in calendar days (percentage points for rates), so an approximation that
agrees is no contradiction and one that does not is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from inspection.textmatch import char_code, normalize
from vocab.numerals import DIGIT_VALUES, SPOKEN_DIGITS, UNITS, parse_number, parse_range

# A number in digits or Chinese numerals, decimals included (7.9, 十八点六).
_NUM = rf"(?:\d+(?:\.\d+)?|[{SPOKEN_DIGITS}{UNITS}]+(?:点[{SPOKEN_DIGITS}]+)?)"
_UNIT_WORDS = {
    "个工作日": "workday",
    "工作日": "workday",
    "个小时": "hour",
    "小时": "hour",
    "分钟": "minute",
    "个月": "month",
    "月": "month",
    "个礼拜": "week",
    "礼拜": "week",
    "个星期": "week",
    "星期": "week",
    "周": "week",
    "年": "year",
    "天": "day",
    "日": "day",
    "%": "percent",
    "％": "percent",
    "成": "tenth",
    "元": "yuan",
    "块": "yuan",
    # Counts the base states: 绑定6名家庭成员, 27种病.
    "种": "kind",
    "项": "item",
    "家": "place",  # 50家定点医疗机构
    "名": "person",
    "位": "person",
    "家庭成员": "person",
    "家人": "person",
    "亲属": "person",
    "人": "person",
}
_UNIT_RE = "|".join(sorted(map(re.escape, _UNIT_WORDS), key=len, reverse=True))
# 二十来天, 一个多月, 十几天, 个把月, 一个半月, 半个月, 两三个礼拜: spoken amounts are often ranges.
_QUANTITY = re.compile(
    rf"(?P<pct>百分之(?P<pv>{_NUM}))"
    rf"|(?P<geba>个把)\s*(?P<unit2>{_UNIT_RE})"
    rf"|(?P<num>{_NUM}|半)(?P<mod>来|多|几)?\s*(?P<ge>个)?(?P<half>半)?(?P<mod2>来|多)?(?P<unit>{_UNIT_RE})"
)
# "8000至20000元", "八千块到两万块": one range, its unit said after the second number or after both.
_RANGE = re.compile(
    rf"(?P<a>{_NUM})(?P<ua>{_UNIT_RE})?\s*(?:到|至|~|～|－|—)\s*(?P<b>{_NUM})(?P<ub>{_UNIT_RE})"
)
_RANGE_UNITS = frozenset(
    {"yuan", "percent", "workday", "day", "hour", "minute", "week", "item", "kind", "place"}
)
_APPROX = re.compile(r"左右|上下|大概|大约|大致|差不多|将近|估计|约|前后")
_CLAUSE_SPLIT = re.compile(r"[，。；！？,;!?\n：:]+")
# In "由原来的50%提高到72%" only the number after the change verb is the current rule.
_CHANGE = re.compile(
    r"提高到|提高至|降到|降低到|降至|调整为|调整到|缩短到|缩短至|压缩至|压缩到|减到|减少到|变为|变成"
    r"|增加到|增加至|增至|扩大到|扩大至|扩到"
)
# "全年365天、一天24小时", "7×24小时": opening hours, not a time limit.
# Said in words too: 一天二十四小时、一周七天, 七乘二十四小时.
_H24 = r"(?:24|二十四)个?小时"
_AVAILABILITY = re.compile(
    rf"(?:全年)?(?:365|三百六十五)天|(?:一天|全天|每天){_H24}|(?:一周|每周|一星期)(?:7|七)天"
    rf"|(?:7|七)\s*[×xX*乘]\s*(?:24|二十四)(?:个?小时)?|{_H24}全天"
)


def drop_hours(text: str) -> str:
    """The text without opening hours (一天二十四小时, 7×24小时): they are nobody's figure."""
    return _AVAILABILITY.sub("", text)


# "支付70%，退休人员提高5个百分点": the raised group's rate (75%) is a figure of the base too.
_RAISE = re.compile(rf"(?:提高|增加|上浮|提升|多报|再报)(?P<n>{_NUM})个?百分点")
TIME_UNITS = frozenset({"workday", "day", "hour", "minute", "month", "week", "year"})
UNIT_LABELS = {
    "workday": "个工作日",
    "day": "天",
    "hour": "小时",
    "minute": "分钟",
    "month": "个月",
    "week": "周",
    "year": "年",
    "percent": "%",
    "yuan": "元",
    "kind": "种",
    "item": "项",
    "place": "家",
    "person": "人",
}
# Calendar days per unit; a working day is 1 to 1.4 days plus a weekend at most.
_DAYS = {"day": 1.0, "hour": 1 / 24, "minute": 1 / 1440, "week": 7.0, "month": 30.0, "year": 365.0}
APPROX_TOLERANCE = 0.25  # a spoken approximation agrees within a quarter of its value
FLOOR_TOLERANCE = 0.1  # below the figure of 二十来天 / 一个多月 (said as a floor) only a tenth
PERCENT_TOLERANCE = 5.0  # 八成 agrees with 81%: percentage points


@dataclass(frozen=True)
class Quantity:
    """A number with a unit found in a clause; ``low``..``high`` when it was said as a range."""

    value: float
    unit: str
    text: str
    historical: bool = False
    high: float | None = None
    approx: bool = False
    upward: bool = False  # said with 来/多/几 (二十来天, 半个来月): the figure is a floor, not a midpoint

    @property
    def low(self) -> float:
        return self.value

    @property
    def top(self) -> float:
        return self.value if self.high is None else self.high

    @property
    def label(self) -> str:
        if self.high is not None and self.high != self.value:
            return self.text
        v = int(self.value) if self.value == int(self.value) else self.value
        return f"{v}{UNIT_LABELS.get(self.unit, '')}"

    @property
    def vague(self) -> bool:
        """Said as an approximation or a range, or in units that are approximate in speech (周, 月, 年)."""
        return self.approx or self.top != self.value or self.unit in ("week", "month", "year")


# Recognised speech writes numbers and units with homophones (15个公作日, 两各礼拜): unit words
# of two or more characters are restored by their (folded) sound, 个 by its syllable between a
# number and a unit, and one non-numeral character read like a numeral just before 个 + unit.
_LONG_UNITS = tuple(w for w in _UNIT_WORDS if len(w) >= 2 and not w.startswith("个"))
_NUMERAL_CHARS = SPOKEN_DIGITS + UNITS + "半几"


def _codes(text: str) -> str:
    return "".join(char_code(ch) for ch in text)


_LONG_UNIT_CODES = {_codes(w): w for w in _LONG_UNITS}
_NUMERAL_SOUNDS = {lazy_pinyin(ch)[0]: ch for ch in "一二两三四五六七八九十"}
_GE = lazy_pinyin("个")[0]
_SAFE_LEADS = frozenset("二三六")


def _is_number(ch: str) -> bool:
    return ch.isdigit() or ch in _NUMERAL_CHARS


def repair_numbers(text: str) -> str:
    """Undo homophones in spoken amounts: 十五个公作日 -> 十五个工作日, 两各礼拜 -> 两个礼拜."""
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text
    chars = list(text)
    for i in range(len(chars)):
        for length in (3, 2):
            piece = "".join(chars[i : i + length])
            word = _LONG_UNIT_CODES.get(_codes(piece)) if len(piece) == length else None
            if word and piece != word and (i == 0 or _is_number(chars[i - 1]) or chars[i - 1] in "个各"):
                chars[i : i + length] = word
                break
    starts = {m.start() for m in re.finditer(_UNIT_RE, "".join(chars))}
    for i in range(1, len(chars) - 1):
        if (
            chars[i] != "个"
            and i + 1 in starts
            and lazy_pinyin(chars[i])[0] == _GE
            and _is_number(chars[i - 1])
        ):
            chars[i] = "个"
    # A numeral heard as its homophone at the end of a spoken amount, before its unit: 三千二百六室元 is
    # 三千二百六十元 (not before another numeral: 第二是三个月).
    for i in range(1, len(chars) - 1):
        numeral = _NUMERAL_SOUNDS.get(lazy_pinyin(chars[i])[0])
        if numeral and not _is_number(chars[i]) and _is_number(chars[i - 1]) and i + 1 in starts:
            chars[i] = numeral
    # A leading numeral heard as its homophone before 十/百/千 of an amount: 而十个汞作日 is 二十个工作日
    # (only numerals whose sound is no common function word: not 就 for 九, 以 for 一, 是 for 十).
    for i in range(len(chars) - 2):
        numeral = _NUMERAL_SOUNDS.get(lazy_pinyin(chars[i])[0])
        if numeral in _SAFE_LEADS and not _is_number(chars[i]) and (i == 0 or not _is_number(chars[i - 1])):
            j = i + 1
            while j < len(chars) and chars[j] in "十百千":
                j += 1
            tens = j > i + 1
            while tens and j < len(chars) and chars[j] in SPOKEN_DIGITS:
                j += 1  # 儿十四小时 is 二十四小时: the ones after the tens
            if tens and j in starts:
                chars[i] = numeral
    text = "".join(chars)
    for m in re.finditer(rf"(?<![\d{_NUMERAL_CHARS}])([\u4e00-\u9fff])(?=个(?:{_UNIT_RE}))", text):
        numeral = _NUMERAL_SOUNDS.get(lazy_pinyin(m.group(1))[0])
        if numeral and m.group(1) not in DIGIT_VALUES:
            text = text[: m.start()] + numeral + text[m.end() :]
    return text


def split_clauses(text: str) -> list[str]:
    """Clauses of a sentence, split at punctuation."""
    return [c.strip() for c in _CLAUSE_SPLIT.split(text) if c.strip()]


def _amount(m: re.Match[str]) -> tuple[float, float] | None:
    """The (low, high) said by a match of ``_QUANTITY``'s number part."""
    if m.group("geba"):
        return 1.0, 1.5
    num = m.group("num")
    found = (0.5, 0.5) if num == "半" else parse_range(num)
    if found is None:
        return None
    low, high = found
    if m.group("half"):
        low, high = low + 0.5, high + 0.5
    mod = m.group("mod") or m.group("mod2")
    if num == "半":  # 半个来月: half a month or a bit more
        return (low, high * 1.3) if mod in ("来", "多") else (low, high)
    if mod == "几":
        return low + 1, low + 9  # 十几 11-19, 二十几 21-29
    if mod == "多":
        return low, high + (9 if low >= 10 else 0.9)
    if mod == "来":
        return low, high * 1.3
    return low, high


def _range(m: re.Match[str]) -> tuple[float, float, str] | None:
    """(low, high, unit) of a range said "X到Y" in one kind of unit; not dates (1日至12月, 2023年至2025年)."""
    word = m.group("ub")
    unit = _UNIT_WORDS[word]
    if unit not in _RANGE_UNITS or word == "日":
        return None
    if m.group("ua") and _UNIT_WORDS[m.group("ua")] != unit:
        return None
    low, high = parse_number(m.group("a")), parse_number(m.group("b"))
    if low is None or high is None or low >= high:
        return None
    return low, high, unit


def quantities(clause: str) -> list[Quantity]:
    """Numbers with units in one clause; values before a change verb are marked historical."""
    return list(_quantities(clause))


@lru_cache(maxsize=8192)
def _quantities(clause: str) -> tuple[Quantity, ...]:
    clause = _AVAILABILITY.sub("", repair_numbers(clause))
    change = _CHANGE.search(clause)
    approx = bool(_APPROX.search(clause))
    out: list[Quantity] = []
    for m in _RANGE.finditer(clause):
        found = _range(m)
        if found is not None:
            low, high, unit = found
            historical = bool(change and m.end() <= change.start())
            out.append(Quantity(low, unit, m.group(0), historical, high, approx))
            clause = clause[: m.start()] + " " * (m.end() - m.start()) + clause[m.end() :]
    for m in _QUANTITY.finditer(clause):
        if m.group("pct"):
            value = parse_number(m.group("pv"))
            if value is None:
                continue
            low, high, unit = value, value, "percent"
        else:
            word = m.group("unit") or m.group("unit2")
            unit = _UNIT_WORDS[word]
            after = clause[m.end() : m.end() + 1]
            if (
                unit in ("day", "month", "year")
                and not m.group("ge")
                and after in ("起", "前", "后", "底", "初", "至")
            ):
                continue  # a date (8月1日起, 2023年起), not a duration
            if unit == "year" and not (m.group("mod") or m.group("half") or m.group("num") == "半"):
                continue  # 2023年 is a date; only 半年, 一年多 are durations here
            if unit == "month" and word == "月" and not (m.group("ge") or m.group("geba") or m.group("mod")):
                continue  # 8月 is a date; 两个来月, 一个月 are durations
            if word == "人" and m.group("ge"):
                continue  # 三个人 also reads 是个人 (a homophone of 十个人); 3人, 三名 are counts
            amount = _amount(m)
            if amount is None:
                continue
            low, high = amount
            if unit == "tenth":
                low, high, unit = low * 10, high * 10, "percent"  # 八成 is 80%, and a round figure
        historical = bool(change and m.end() <= change.start())
        vague = approx or m.group(0).endswith("成")
        upward = bool(not m.group("pct") and (m.group("mod") or m.group("mod2")))
        out.append(Quantity(low, unit, m.group(0), historical, high if high != low else None, vague, upward))
    return tuple(out)


def raised_rates(text: str) -> list[Quantity]:
    """Rates a group gets on top of a stated rate: "支付70%，退休人员提高5个百分点" also states 75%."""
    ups = [n for m in _RAISE.finditer(text) if (n := parse_number(m.group("n"))) is not None]
    if not ups:
        return []
    rates = [
        q for c in split_clauses(text) for q in quantities(c) if q.unit == "percent" and not q.historical
    ]
    return [Quantity(r.value + u, "percent", f"{r.value + u:g}%") for r in rates for u in ups]


@lru_cache(maxsize=8192)
def has_figure(clause: str) -> bool:
    """Whether a clause states a figure of its own (an amount, or a rate raised by some points)."""
    return bool(quantities(clause) or _RAISE.search(clause))


def days(q: Quantity) -> tuple[float, float] | None:
    """The calendar days a time quantity spans (a working day counts as 1 to 1.4 days, plus a weekend)."""
    if q.unit == "workday":
        return q.low, q.top * 1.4 + 2
    per = _DAYS.get(q.unit)
    return None if per is None else (q.low * per, q.top * per)


def comparable(a: Quantity, b: Quantity) -> bool:
    """Whether two quantities measure the same kind of thing (any time units together)."""
    return a.unit == b.unit or (a.unit in TIME_UNITS and b.unit in TIME_UNITS)


def agrees(said: Quantity, base: Quantity) -> bool:
    """Whether a spoken, possibly approximate amount agrees with the knowledge base's amount."""
    if not said.vague and said.unit == base.unit:
        return base.low <= said.value <= base.top
    if said.unit == "percent" or base.unit == "percent":
        if said.unit != base.unit:
            return False
        pad = PERCENT_TOLERANCE if said.vague else 0.0
        return said.low - pad <= base.top and base.low <= said.top + pad
    span_said, span_base = days(said), days(base)
    if span_said is None or span_base is None:
        if said.unit != base.unit:
            return False
        span_said, span_base = (said.low, said.top), (base.low, base.top)
    pad = APPROX_TOLERANCE if said.vague else 0.0
    low_pad = min(pad, FLOOR_TOLERANCE) if said.upward else pad
    lo, hi = span_said[0] * (1 - low_pad), span_said[1] * (1 + pad)
    return lo <= span_base[1] and span_base[0] <= hi


def has_time_expression(text: str) -> bool:
    """Whether the text states any time limit (a duration, or 当天/即时/马上 and the like)."""
    if any(q.unit in TIME_UNITS for c in split_clauses(text) for q in quantities(c)):
        return True
    return bool(re.search(r"当天|当日|即时|马上|立即|当场|实时|秒批|秒办|随时|立刻|几天|多少天|工作日", text))


_BIGRAM_STOP = frozenset(
    _codes(w)
    for w in "工作 作日 个工 小时 分钟 个月 我们 您的 可以 就是 这个 那个 的话 一下 的时 时候 "
    "如果 现在 然后 一般 需要 不用 是的 好的 对的".split()
)


def bigrams(text: str) -> set[str]:
    """Sound bigrams of the Chinese content of a text (digits and common words dropped): a
    recogniser's homophones (成度 for 成都) share them."""
    codes = _codes("".join(ch for ch in normalize(text).chars if "\u4e00" <= ch <= "\u9fff"))
    return {codes[i : i + 2] for i in range(len(codes) - 1)} - _BIGRAM_STOP


def overlap(a: str, b: str) -> float:
    """Share of the bigrams of ``a`` that also occur in ``b`` (0..1), compared by sound."""
    ba = bigrams(a)
    if not ba:
        return 0.0
    return len(ba & bigrams(b)) / len(ba)

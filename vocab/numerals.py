"""Chinese numerals, read (``parse_number``, ``to_ascii_digits``) and written (``cardinal``, ``read_digits``).

Callers and speech recognition write numbers as Chinese numerals: digit by digit (幺三八…,
一二三九三) or as a whole number (两千零三, 二十万). Whole numbers are converted by ``cn2an``, the
maintained library; this module adds what the hotline needs around it: 幺 for 1, full-width
digits, ranges such as 两三天 that are no single value, and the way an operator reads numbers.
"""

from __future__ import annotations

import re

__all__ = [
    "DIGITS",
    "DIGIT_VALUES",
    "PHONE_DIGITS",
    "SPOKEN_DIGITS",
    "UNITS",
    "cardinal",
    "fold_width",
    "parse_number",
    "parse_range",
    "read_digits",
    "to_ascii_digits",
]

DIGITS = "零一二三四五六七八九"  # DIGITS[d] writes the digit d
PHONE_DIGITS = "零幺二三四五六七八九"  # as operators read phone and work-order numbers (幺 for 1)
# Every character that stands for one digit: 〇 and 零, 幺 and 一, 两 and 二.
DIGIT_VALUES: dict[str, int] = {**{ch: d for d, ch in enumerate(DIGITS)}, "〇": 0, "幺": 1, "两": 2}
SPOKEN_DIGITS = "".join(DIGIT_VALUES)  # for regex classes: f"[{SPOKEN_DIGITS}]"
UNITS = "十百千万"

_FULL_WIDTH = "０１２３４５６７８９"
_WIDTH = str.maketrans(_FULL_WIDTH + "＋", "0123456789+")
_TO_ASCII = str.maketrans(
    "".join(DIGIT_VALUES) + _FULL_WIDTH, "".join(map(str, DIGIT_VALUES.values())) + "0123456789"
)
_NONZERO = "".join(ch for ch, d in DIGIT_VALUES.items() if d)
# Two non-zero digits in a row name a range (两三天, 三四百, 十五六岁), not a value.
_RANGE_RE = re.compile(f"[{_NONZERO}]{{2}}")
_BIG = 10**8  # from 亿 on, numbers are read digit by digit


def fold_width(text: str) -> str:
    """Full-width digits and ＋ as ASCII; the length is unchanged, so match positions hold."""
    return text.translate(_WIDTH)


def to_ascii_digits(text: str) -> str:
    """Chinese and full-width digits to ASCII digits, one for one (幺三八 → 138); the rest unchanged."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    return text.translate(_TO_ASCII)


def parse_number(text: str) -> float | None:
    """Arabic or Chinese numeral to a number; None when it is not a single clear value.

    ``三十`` 30, ``两千零三`` 2003, ``十五`` 15, ``一二三九三`` 12393 (three or more digits read one by
    one), ``七点九`` 7.9, ``十八点六`` 18.6 (a decimal: digits after 点); ``两三`` and ``三四百`` are
    ranges and ``几`` is no value (None).
    """
    import cn2an  # imported on first use: it takes ~0.3 s

    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    whole_part, dot, decimals = text.partition("点")
    if dot:  # 七点九: a whole number, then digits read one by one
        head = parse_number(whole_part) if whole_part else None
        if head is None or not decimals or any(ch not in DIGIT_VALUES for ch in decimals):
            return None
        return head + float("0." + to_ascii_digits(decimals))
    if any(ch not in DIGIT_VALUES and ch not in UNITS for ch in text):
        return None
    if all(ch in DIGIT_VALUES for ch in text):
        if len(text) == 2:
            return None  # 两三, 三五: a range
        return float(to_ascii_digits(text))
    if _RANGE_RE.search(text):
        return None
    whole = ("一" if text[0] in UNITS else "") + text.replace("幺", "一").replace("〇", "零")
    try:
        return float(cn2an.cn2an(whole, "normal"))
    except ValueError:  # units out of order (十十, 百千)
        return None


def parse_range(text: str) -> tuple[float, float] | None:
    """A numeral as a (low, high) range: 两三 (2, 3), 十五六 (15, 16), 三四百 (300, 400); 二十 (20, 20).

    None when it is neither a value nor a range of two neighbouring digits.
    """
    value = parse_number(text)
    if value is not None:
        return value, value
    m = _RANGE_RE.search(text.strip())
    if m is None:
        return None
    head, tail = text.strip()[: m.start()], text.strip()[m.end() :]
    low = parse_number(head + m.group()[0] + tail)
    high = parse_number(head + m.group()[1] + tail)
    if low is None or high is None:
        return None
    return min(low, high), max(low, high)


def cardinal(n: int) -> str:
    """How the whole number ``n`` (0 or more) is said: 二十四, 一千零五, 十万零一十.

    From 10^8 on the digits are read one by one, as an operator reads a long number.
    """
    import cn2an  # imported on first use: it takes ~0.3 s

    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    if n >= _BIG:
        return read_digits(str(n))
    return str(cn2an.an2cn(n, "low"))


def read_digits(digits: str, *, phone: bool = False) -> str:
    """ASCII digits read one by one (2024 → 二零二四); ``phone`` reads 1 as 幺 (幺三八…)."""
    table = PHONE_DIGITS if phone else DIGITS
    return "".join(table[int(ch)] for ch in digits)

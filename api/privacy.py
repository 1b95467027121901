"""Masking of personal numbers before they reach a log, an export or a non-privileged view.

Callers say their mobile number, ID number or bank-card number aloud or type it into the
widget, so free text (descriptions, transcripts, ASR output) is masked too, not only the
phone field. ``mask_text`` recognises, in this order: 18/15-digit resident ID numbers,
16-19 digit bank-card numbers (also written in groups of four; an unbroken run counts as a
card when it starts with an issuer digit 3-6 or passes the Luhn check), 11-digit mainland mobile
numbers (optionally +86/86 and with spaces or dashes), landlines with an area code
(``010-12345678``, ``(0571)8765432``, ``0755 12345678-123``), and runs of seven or more
spoken digits written as Chinese numerals (``幺三八...``) as ASR produces them.
Full-width digits (``１３８…``) count as digits. Short service numbers such as 12393,
12345 or 400/800 lines are public and left alone, as are amounts, dates and ticket numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from vocab.numerals import SPOKEN_DIGITS, fold_width
from vocab.patterns import AREA_CODE, ID_NUMBER, ID_NUMBER_15, NO_DIGIT_AFTER, NO_DIGIT_BEFORE, mobile

__all__ = ["luhn_valid", "mask_bank_card", "mask_id_number", "mask_phone", "mask_text"]

MASK = "*"

_WIDE_X = str.maketrans("Ｘｘ", "Xx")

# Matched on text with full-width digits folded to ASCII (``fold_width`` keeps the length, so a
# match's positions hold in the original text); a number never continues into a neighbouring digit.
_SEP = "[ \u3000-]?"
_ID_RE = re.compile(NO_DIGIT_BEFORE + f"(?:{ID_NUMBER}|{ID_NUMBER_15})" + "(?![0-9Xx])")
_CARD_RE = re.compile(
    NO_DIGIT_BEFORE
    + "(?:[0-9]{4}(?:[ \u3000-][0-9]{4}){3}(?:[ \u3000-]?[0-9]{1,3})?|[0-9]{16,19})"
    + NO_DIGIT_AFTER
)
_MOBILE_RE = re.compile(NO_DIGIT_BEFORE + mobile(_SEP, country_code=True) + NO_DIGIT_AFTER)
_LANDLINE_RE = re.compile(
    NO_DIGIT_BEFORE
    + rf"(?P<main>(?:[(（]{AREA_CODE}[)）]|{AREA_CODE})[ \u3000-]?[1-9][0-9]{{2,3}}{_SEP}[0-9]{{4}})"
    + "(?P<ext>[ \u3000]?(?:-|转|ext\\.?)[ \u3000]?[0-9]{1,5})?"
    + NO_DIGIT_AFTER
)
_SPOKEN_RE = re.compile(f"[{SPOKEN_DIGITS}](?:[ \u3000,，]?[{SPOKEN_DIGITS}]){{6,}}")


def _fold(value: str) -> str:
    """Full-width digits, ＋ and Ｘ as ASCII (same length)."""
    return fold_width(value).translate(_WIDE_X)


def _digits(value: str) -> str:
    """ASCII digits (and a trailing X of an ID) of ``value``, full-width folded."""
    return re.sub(r"[^0-9X]", "", _fold(value).upper())


# What mask_phone / mask_id_number / mask_bank_card return: mobile, landline, ID, the rest.
_MASKED_RE = re.compile(r"\d{3}\*{4}\d{4}|0\d{2,3}-\*+\d{4}|\d{3}\*+[0-9X]{4}|\*+[0-9X]{0,4}")


def _already_masked(value: str) -> bool:
    """A value in the exact shape a mask_* function returns, so masking twice keeps it."""
    return _MASKED_RE.fullmatch(value) is not None


def mask_phone(phone: str | None) -> str:
    """Mask a phone number for display: ``138****5678``, ``010-****5678``.

    Keeps the first three digits of a mobile (the carrier) or the area code of a landline,
    and the last four digits, which callers use to recognise their own number.
    """
    if phone is None:
        return ""
    if not isinstance(phone, str):
        raise TypeError(f"phone must be a str, not {type(phone).__name__}")
    if _already_masked(phone):
        return phone  # masking twice must not lose the visible digits
    digits = _digits(phone).rstrip("X")
    if not digits:
        return ""
    if len(digits) == 13 and digits.startswith("86") and digits[2] == "1":
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + MASK * 4 + digits[-4:]
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4  # 010, 02x are three digits; others four
        local = digits[area:]
        return digits[:area] + "-" + MASK * max(len(local) - 4, 1) + local[-4:]
    if len(digits) <= 4:
        return MASK * len(digits)
    return MASK * (len(digits) - 4) + digits[-4:]


def mask_id_number(id_number: str | None) -> str:
    """Mask a resident ID number, keeping the first three and last four characters."""
    if id_number is None:
        return ""
    if not isinstance(id_number, str):
        raise TypeError(f"id_number must be a str, not {type(id_number).__name__}")
    if _already_masked(id_number):
        return id_number  # masking twice must not lose the visible digits
    chars = _digits(id_number)
    if len(chars) <= 7:
        return MASK * len(chars)
    return chars[:3] + MASK * (len(chars) - 7) + chars[-4:]


def mask_bank_card(card: str | None) -> str:
    """Mask a bank-card number, keeping only the last four digits."""
    if card is None:
        return ""
    if not isinstance(card, str):
        raise TypeError(f"card must be a str, not {type(card).__name__}")
    if _already_masked(card):
        return card  # masking twice must not lose the visible digits
    digits = _digits(card).rstrip("X")
    if len(digits) <= 4:
        return MASK * len(digits)
    return MASK * (len(digits) - 4) + digits[-4:]


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (ASCII or full width, separators ignored) pass the Luhn check of card numbers."""
    plain = _digits(digits).rstrip("X")
    if not plain:
        return False
    total = 0
    for i, ch in enumerate(reversed(plain)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(raw: str) -> str:
    """Mask a card-like number: written in groups of four, issuer prefix 3-6, or a valid Luhn sum.

    A misheard card number fails Luhn but still starts like a card, so it is masked too; other long
    runs (order and transaction numbers) are left alone unless their check digit says "card".
    """
    digits = _digits(raw)
    grouped = any(not _fold(ch).isdigit() for ch in raw)
    if grouped or digits[0] in "3456" or luhn_valid(digits):
        return _keep_last(raw, 4)
    return raw


def _keep_last(raw: str, keep: int) -> str:
    """Replace every digit of ``raw`` but the last ``keep`` ones, keeping separators."""
    positions = [i for i, ch in enumerate(raw) if _fold(ch) in "0123456789Xx"]
    visible = set(positions[-keep:]) if keep else set()
    return "".join(MASK if i in positions and i not in visible else ch for i, ch in enumerate(raw))


def _landline(raw: str, match: re.Match[str]) -> str:
    """Mask the number of a landline match, keeping its extension visible."""
    main = match.end("main") - match.start()
    return _keep_last(raw[:main], 4) + raw[main:]


def _sub(regex: re.Pattern[str], text: str, mask: Callable[[str, re.Match[str]], str]) -> str:
    """``regex.sub`` matched on ``text`` with full-width digits folded; ``mask`` gets the original
    characters of each match (and the match) and returns their replacement."""
    parts: list[str] = []
    last = 0
    for match in regex.finditer(fold_width(text)):
        parts += (text[last : match.start()], mask(text[match.start() : match.end()], match))
        last = match.end()
    parts.append(text[last:])
    return "".join(parts)


def mask_text(value: str | None) -> str:
    """Mask every personal number found in free text; the rest of the text is unchanged."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"value must be a str, not {type(value).__name__}")
    out = _sub(_ID_RE, value, lambda raw, _: _keep_last(raw, 4))
    out = _sub(_CARD_RE, out, lambda raw, _: _card(raw))
    out = _sub(_MOBILE_RE, out, lambda raw, _: _keep_last(raw, 4))
    out = _sub(_LANDLINE_RE, out, _landline)
    return _SPOKEN_RE.sub(lambda m: MASK * len(m.group(0)), out)

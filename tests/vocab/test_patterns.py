"""vocab.patterns: the shapes of mobile, landline area code and resident ID numbers."""

from __future__ import annotations

import re

import pytest

from vocab.numerals import fold_width
from vocab.patterns import AREA_CODE, ID_NUMBER, ID_NUMBER_15, MOBILE_RE, mobile


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("电话13812345678谢谢", "13812345678"),
        ("19912345678", "19912345678"),
        ("12812345678", None),  # 12x is no mobile prefix
        ("138123456789", None),  # part of a longer number
        ("0138123456780", None),
        ("138 1234 5678", None),  # separators need mobile(sep)
    ],
)
def test_mobile_re(text: str, found: str | None) -> None:
    match = MOBILE_RE.search(text)
    assert (match.group(1) if match else None) == found


@pytest.mark.parametrize(
    "text", ["138 1234 5678", "138-1234-5678", "+86 138-1234-5678", "8613812345678", "+8613812345678"]
)
def test_mobile_with_separators_and_country_code(text: str) -> None:
    assert re.fullmatch(mobile("[- ]?", country_code=True), text)
    assert not re.fullmatch(mobile(), text)


def test_full_width_digits_are_folded_in_place() -> None:
    text = "手机１３８１２３４５６７８，＋86"
    folded = fold_width(text)
    assert folded == "手机13812345678，+86" and len(folded) == len(text)
    match = MOBILE_RE.search(folded)
    assert match is not None and text[match.start() : match.end()] == "１３８１２３４５６７８"


def test_area_code_and_id_numbers() -> None:
    assert re.fullmatch(AREA_CODE, "010") and re.fullmatch(AREA_CODE, "0571")
    assert not re.fullmatch(AREA_CODE, "571") and not re.fullmatch(AREA_CODE, "05712")
    for valid in ("11010119900307123X", "110101199003071234", "110101188001011234"):
        assert re.fullmatch(ID_NUMBER, valid)
    for invalid in ("110101199013071234", "010101199003071234", "11010117900307123X"):
        assert not re.fullmatch(ID_NUMBER, invalid)
    assert re.fullmatch(ID_NUMBER_15, "110101900307123")

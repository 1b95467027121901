"""vocab.numerals: Chinese numerals read (parse_number, to_ascii_digits) and written (cardinal)."""

from __future__ import annotations

import pytest

from vocab.numerals import SPOKEN_DIGITS, cardinal, parse_number, parse_range, read_digits, to_ascii_digits


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("30", 30),
        ("2.5", 2.5),
        ("七", 7),
        ("幺", 1),
        ("三十", 30),
        ("十五", 15),
        ("十", 10),
        ("百", 100),
        ("万", 10000),
        ("二十万", 200000),
        ("三万二千", 32000),
        ("一千八百六十二", 1862),
        ("两千零三", 2003),
        ("一千零五", 1005),
        ("一万零一", 10001),
        ("一千二", 1200),  # 一千二 is 1200 as people say it
        ("两百", 200),
        ("一二三九三", 12393),  # digits read one by one
        ("幺二三九三", 12393),
        ("二〇二四", 2024),
        ("两三", None),  # a range
        ("三四百", None),
        ("十五六", None),
        ("三点五", 3.5),
        ("十八点六", 18.6),
        ("二十七点二", 27.2),
        ("三点", None),  # a time of day, no decimal
        ("点五", None),
        ("三点五十", None),  # 3:50, not a decimal
        ("几", None),
        ("", None),
        ("十十", None),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("n", "said"),
    [
        (0, "零"),
        (7, "七"),
        (12, "十二"),
        (20, "二十"),
        (24, "二十四"),
        (102, "一百零二"),
        (1005, "一千零五"),
        (2023, "二千零二十三"),
        (32000, "三万二千"),
        (100010, "十万零一十"),
        (123456789, "一二三四五六七八九"),  # from 10^8 on, digit by digit
    ],
)
def test_cardinal(n: int, said: str) -> None:
    assert cardinal(n) == said
    assert n >= 10**8 or parse_number(said) == n


def test_cardinal_refuses_negative_numbers() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        cardinal(-1)


def test_digits_one_by_one() -> None:
    assert read_digits("2024") == "二零二四"
    assert read_digits("13812393", phone=True) == "幺三八幺二三九三"
    assert to_ascii_digits("幺三八〇两２０") == "1380220"
    assert to_ascii_digits("三十五") == "3十5"  # units are not digits
    assert set(to_ascii_digits(SPOKEN_DIGITS)) <= set("0123456789")
    with pytest.raises(TypeError):
        to_ascii_digits(12)  # type: ignore[arg-type]


def test_parse_range_reads_values_and_neighbouring_digit_ranges() -> None:
    assert parse_range("二十") == (20, 20)
    assert parse_range("两三") == (2, 3)
    assert parse_range("十五六") == (15, 16)
    assert parse_range("三四百") == (300, 400)
    assert parse_range("几") is None

"""Parsers of names, phone numbers and ratings as callers say them."""

from __future__ import annotations

import pytest

from bot.actions.parse import extract_name, extract_phone, is_correction, parse_rating, to_ascii_digits


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我叫王建国", "王建国"),
        ("我叫李秀英，电话13512345678", "李秀英"),
        ("王建国", "王建国"),
        ("我叫王明电话13800000000", "王明"),
        ("名字是欧阳娜娜", "欧阳娜娜"),
        ("不对，我叫王建军", "王建军"),
        ("我叫王建国啊", "王建国"),
        ("免贵姓李", "李先生/女士"),
        ("张先生", "张先生"),
        ("张桂芳，手机13866152093", "张桂芳"),
        ("张桂芳 幺三八六六幺五二零九三", "张桂芳"),
        ("医保报销13800001111", None),
        ("好的", None),
        ("我手机号是13912345678", None),
        ("就是县人民医院，我爸上周三住进去的", None),
        ("", None),
        # the surname spelled out after the name, as callers do on the phone
        ("陈志强，耳东陈", "陈志强"),
        ("张伟 弓长张", "张伟"),
        ("章敏，立早章的章", "章敏"),
        ("李四，木子李", "李四"),
        # the surname said first, then the whole name; a bare 姓X is a surname, not a name
        ("姓刘 刘桂芬", "刘桂芬"),
        ("我姓周，叫周建平", "周建平"),
        ("姓王", "王先生/女士"),
        # numerals are a name's characters too, but a spoken number is no name
        ("张三", "张三"),
        ("二十块", None),
        ("三天", None),
    ],
)
def test_extract_name(text: str, name: str | None) -> None:
    assert extract_name(text) == name


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("我手机号是13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("+86 139-1234-5678", "13912345678"),
        ("幺三九一二三四五六七八", "13912345678"),
        ("0571-87654321", "057187654321"),
        ("12393", None),
        ("1391234567", None),
        ("我不想说", None),
    ],
)
def test_extract_phone(text: str, phone: str | None) -> None:
    assert extract_phone(text) == phone


@pytest.mark.parametrize(
    ("text", "rating"),
    [("满意", "满意"), ("非常满意", "满意"), ("基本满意", "基本满意"), ("还行吧", "基本满意"),
     ("不满意", "不满意"), ("不太满意", "不满意"), ("差评", "不满意"), ("好的", None)],
)  # fmt: skip
def test_parse_rating(text: str, rating: str | None) -> None:
    assert parse_rating(text) == rating


def test_helpers_reject_non_text() -> None:
    with pytest.raises(TypeError, match="text"):
        extract_name(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text"):
        to_ascii_digits(123)  # type: ignore[arg-type]


def test_is_correction() -> None:
    assert is_correction("不对，电话是13800000000")
    assert is_correction("名字说错了")
    assert not is_correction("医院让我们出院")

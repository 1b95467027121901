"""Masking of phone, ID and bank-card numbers, alone and inside free text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.privacy import mask_bank_card, mask_id_number, mask_phone, mask_text


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("010-12345678", "010-****5678"),
        ("0571-87654321", "0571-****4321"),
        ("(0755)8765432", "0755-***5432"),
        ("12345678", "****5678"),
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(raw: str | None, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_mask_id_and_card() -> None:
    assert mask_id_number("11010119900307123X") == "110***********123X"
    assert mask_id_number("110101900307123") == "110********7123"
    assert mask_bank_card("6222 0212 3456 7890 123") == "***************0123"
    with pytest.raises(TypeError, match="phone"):
        mask_phone(13812345678)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="id_number"):
        mask_id_number(110101)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("我的电话13812345678，谢谢", "我的电话*******5678，谢谢"),
        ("手机 138 1234 5678", "手机 *** **** 5678"),
        ("打+86 138-1234-5678找我", "打+** ***-****-5678找我"),
        ("全角１３８１２３４５６７８", "全角*******５６７８"),
        ("身份证110101199003071234", "身份证**************1234"),
        ("身份证号11010119900307123x。", "身份证号**************123x。"),
        ("老证110101900307123", "老证***********7123"),
        ("卡号6222021234567890123", "卡号***************0123"),
        ("卡号 6222 0212 3456 7890", "卡号 **** **** **** 7890"),
        ("座机010-12345678转123", "座机***-****5678转123"),
        ("（0571）8765432", "（****）***5432"),
        ("0755 12345678-8001", "**** ****5678-8001"),
        ("我电话是幺三八一二三四五六七八九", "我电话是************"),
    ],
)
def test_mask_text_finds_numbers(raw: str, masked: str) -> None:
    assert mask_text(raw) == masked


@pytest.mark.parametrize(
    "keep",
    [
        "请拨打12393或12345热线",
        "客服400-123-4567",
        "工单GD202611230001已受理",
        "报销了12345678元",
        "2026-11-23 10:30来电",
        "日期20261123",
        "编号123456789012",
        "三三两两来办事",
        "",
    ],
)
def test_mask_text_leaves_public_numbers(keep: str) -> None:
    assert mask_text(keep) == keep


def test_several_numbers_in_one_text() -> None:
    text = "张三，电话13812345678，身份证110101199003071234，银行卡6222021234567890123，座机010-87654321。"
    masked = mask_text(text)
    for secret in ("13812345678", "110101199003071234", "6222021234567890123", "87654321"):
        assert secret not in masked
    assert masked.startswith("张三，电话") and masked.endswith("。")
    assert mask_text(masked) == masked  # idempotent


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.text(alphabet="请问我的电话是号码，。 abc", max_size=10),
    second=st.sampled_from("3456789"),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    suffix=st.text(alphabet="请问谢谢，。 abc", max_size=10),
)
def test_any_mobile_in_any_sentence_is_masked(prefix: str, second: str, rest: str, suffix: str) -> None:
    number = "1" + second + rest
    masked = mask_text(prefix + number + suffix)
    assert number not in masked
    assert masked.endswith(number[-4:] + suffix)
    assert len(masked) == len(prefix + number + suffix)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_mask_text_never_fails_and_keeps_length(value: str) -> None:
    masked = mask_text(value)
    assert len(masked) == len(value)
    assert re.sub(r"[*]", "", masked) == "".join(ch for ch, m in zip(value, masked, strict=True) if m != "*")

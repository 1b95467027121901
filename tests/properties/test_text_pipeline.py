"""Property-based tests of the text pipeline: on any input these functions return, never raise,
and keep their invariants (idempotence, no digits left, lengths, personal numbers hidden)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.privacy import luhn_valid, mask_bank_card, mask_id_number, mask_phone, mask_text
from bot.actions.parse import extract_name, extract_phone, parse_rating, to_ascii_digits
from knowledge.regions import extract_region
from knowledge.textnorm import clean_text, normalize_query
from voice.normalize import clean_transcript, normalize_transcript
from voice.tts import numbers_to_chinese, shorten_for_ear, to_tone_pinyin

# The machine is shared and the first calls load tables: no per-example deadline.
settings.register_profile(
    "pipeline", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("pipeline")

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
PUNCT = st.sampled_from(list("，。！？、：；（）“”,.!?:;()- \n\t~～【】0123456789０１２３４５６７８９Xx+*"))
# Mixed text that looks like what callers type: Chinese, digits, punctuation, anything at all.
TEXT = st.text(st.one_of(HAN, PUNCT, st.characters()), max_size=120)
CHINESE = st.text(st.one_of(HAN, st.sampled_from(list("，。？ "))), min_size=1, max_size=20)
DIGIT = st.sampled_from("0123456789")


def _run(length: int) -> st.SearchStrategy[str]:
    return st.text(DIGIT, min_size=length, max_size=length)


MOBILES = st.builds(lambda a, rest: "1" + a + rest, st.sampled_from("3456789"), _run(9))
IDS = st.builds(
    lambda area, y, m, d, seq, check: f"{area}{y}{m:02d}{d:02d}{seq}{check}",
    st.integers(110000, 659999).map(str),
    st.integers(1920, 2024).map(str),
    st.integers(1, 12),
    st.integers(1, 28),
    _run(3),
    st.sampled_from("0123456789X"),
)


def _with_luhn(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("a Luhn check digit always exists")


CARDS = st.builds(
    lambda first, body: _with_luhn(first + body), st.sampled_from("23456"), st.integers(14, 17).flatmap(_run)
)
# A boundary that cannot extend a number: Chinese text or punctuation without digits (Chinese
# numerals such as 一 and 幺 are digits to the parsers, as callers and ASR use them).
_NUMERALS = set("零〇一二三四五六七八九十幺两壹贰叁肆伍陆柒捌玖拾百千万亿")
_PLAIN_HAN = HAN.filter(lambda ch: ch not in _NUMERALS)
EDGE = st.text(st.one_of(_PLAIN_HAN, st.sampled_from(list("，。：电话号码是 "))), max_size=6)


# --- knowledge.textnorm --------------------------------------------------------------------------


@given(TEXT)
@example("😀😀  ，，，。。\x00\u200b异地  就医")
def test_clean_text_is_idempotent_and_tidy(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert not any(ord(ch) < 32 for ch in cleaned)


@given(TEXT)
def test_normalize_query_never_raises_and_is_deterministic(text: str) -> None:
    out = normalize_query(text)
    assert isinstance(out, str)
    assert out == normalize_query(text)
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in out)


# --- knowledge.regions ---------------------------------------------------------------------------


@given(TEXT)
def test_extract_region_returns_a_canonical_path_or_none(text: str) -> None:
    region = extract_region(text)
    assert region is None or (isinstance(region, str) and region and not region.startswith("/"))
    if region is not None:
        # A canonical path names itself: extracting from its own last part finds a region again.
        assert extract_region(region.replace("/", "")) is not None


@given(EDGE, st.sampled_from(["太原", "山西省太原市", "开封", "河南省"]), EDGE)
def test_a_named_region_is_found_inside_any_sentence(before: str, name: str, after: str) -> None:
    assert extract_region(f"{before}我是{name}的{after}") is not None


# --- api.privacy ---------------------------------------------------------------------------------


@given(TEXT)
@example("卡号6222 0212 3456 7890，电话138-1234-5678，身份证11010119900307123X")
def test_mask_text_is_idempotent_and_keeps_length(text: str) -> None:
    masked = mask_text(text)
    assert len(masked) == len(text)
    assert mask_text(masked) == masked


@given(EDGE, st.one_of(MOBILES, IDS, CARDS), EDGE)
def test_mask_text_hides_every_personal_number(before: str, number: str, after: str) -> None:
    masked = mask_text(before + number + after)
    assert number not in masked
    visible = re.sub(r"\D", "", masked[len(before) : len(before) + len(number)])
    assert len(visible) <= 4


@given(st.one_of(MOBILES, st.text(st.sampled_from("0123456789+-() "), max_size=20), TEXT))
def test_mask_phone_hides_the_middle_and_is_idempotent(phone: str) -> None:
    masked = mask_phone(phone)
    assert mask_phone(masked) == masked
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 8:
        assert digits not in masked
        assert len(re.sub(r"\D", "", masked)) <= 8  # a landline keeps its area code and last four


@given(st.one_of(IDS, CARDS, TEXT))
def test_mask_id_and_card_keep_at_most_seven_digits_and_are_idempotent(value: str) -> None:
    for mask in (mask_id_number, mask_bank_card):
        masked = mask(value)
        assert mask(masked) == masked
        digits = re.sub(r"[^0-9X]", "", value.upper())
        if len(digits) >= 8:
            assert digits not in masked
            assert len(re.sub(r"[^0-9X]", "", masked)) <= 7


# --- voice: ASR clean-up and text for the telephone TTS ------------------------------------------


@given(TEXT)
def test_transcript_normalisation_never_raises(text: str) -> None:
    cleaned = clean_transcript(text)
    assert clean_transcript(cleaned) == cleaned
    assert isinstance(normalize_transcript(text), str)


@given(TEXT, st.integers(20, 400))
def test_shorten_for_ear_respects_the_length(text: str, limit: int) -> None:
    spoken = shorten_for_ear(text, max_chars=limit)
    assert len(spoken) <= limit + 1
    assert "http" not in spoken.lower() or "http" in text.lower()


@given(TEXT)
def test_numbers_are_spelt_out_for_the_synthesiser(text: str) -> None:
    assert not re.search(r"[0-9]", numbers_to_chinese(to_ascii_digits(text)))
    assert isinstance(to_tone_pinyin(text), str)


# --- bot/actions/parse -----------------------------------------------------------------------------


@given(TEXT)
def test_parsers_never_raise(text: str) -> None:
    phone = extract_phone(text)
    assert phone is None or (phone.isdigit() and phone[0] in "01" and 10 <= len(phone) <= 12)
    name = extract_name(text)
    assert name is None or 1 <= len(name) <= 7
    assert parse_rating(text) in (None, "满意", "基本满意", "不满意")
    assert len(to_ascii_digits(text)) == len(text)


@given(EDGE, MOBILES, EDGE)
def test_extract_phone_finds_a_mobile_in_a_sentence(before: str, mobile: str, after: str) -> None:
    assert extract_phone(f"{before}{mobile}{after}") == mobile


@given(CHINESE)
def test_rating_and_name_on_chinese_text(text: str) -> None:
    parse_rating(text)
    extract_name(text)

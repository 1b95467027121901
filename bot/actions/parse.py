"""Pure parsers for what callers say in the work-order form: names, phone numbers, ratings.

Speech recognition writes digits as Chinese numerals (幺三九...), so numbers are normalised
before they are checked; names are cut out of the phrases people wrap them in (我叫..., 我姓...).
"""

from __future__ import annotations

import re

from vocab.numerals import DIGIT_VALUES, UNITS, to_ascii_digits
from vocab.patterns import AREA_CODE, MOBILE_RE, NO_DIGIT_AFTER, NO_DIGIT_BEFORE
from vocab.terms import Rating

__all__ = ["extract_name", "extract_phone", "is_correction", "parse_rating", "to_ascii_digits"]

_LANDLINE_RE = re.compile(rf"{NO_DIGIT_BEFORE}({AREA_CODE})-?([0-9]{{7,8}}){NO_DIGIT_AFTER}")
_HAN = r"[\u4e00-\u9fff]"
# Phrases that introduce a name; the name is the run of Chinese characters after them.
_NAME_MARKER = re.compile(r"(?:我的名字叫|我的名字是|名字叫|名字是|姓名是|姓名|我叫|叫我)\s*[:：]?\s*")
_SURNAME_MARKER = re.compile(rf"(?:免贵姓|我姓|^姓)\s*({_HAN})")
# The surname first, then the whole name: "姓刘 刘桂芬", "我姓周，叫周建平".
_SURNAME_THEN_NAME = re.compile(
    rf"(?:免贵|我)?姓({_HAN})[，,、\s]*(?:叫|名叫|全名)?(\1{_HAN}{{1,2}})(?!{_HAN})"
)
_HAN_RUN = re.compile(rf"{_HAN}+")
_NAME_CUT = re.compile(r"电话|手机|号码|联系|今年|住在|家住|是|的|啊|呀|吧|呢|哈|哦|嘛|了")
_NAME_STOP = re.compile(
    r"电话|手机|号码|我的|联系|就是|没有|不是|知道|投诉|举报|人工|医保|医院|谢谢|你好|好的|可以|不用|算了|对的|是的|嗯"
)
# How a surname is spelled out after the name: 陈志强，耳东陈 / 张伟 弓长张 / 章敏，立早章的章.
_SPELLED_SURNAME = re.compile(rf"^({_HAN})({_HAN}{{1,3}})[，,\s]+(?:是|就是)?{_HAN}{{1,3}}?\1(?:的\1)?$")
_TITLE_RE = re.compile(rf"^({_HAN})(先生|女士|小姐|阿姨|大爷|大姐|师傅|老师)$")
_PHONE_PART = re.compile(r"[，,\s]*(?:电话|手机|号码|联系方式)?(?:号码)?(?:是|：|:)?\s*\+?[0-9][0-9\-\s]{6,}")
_CORRECTION_RE = re.compile(r"不对|错了|说错|搞错|弄错|更正|改一下|改成|应该是|重新说")


def extract_phone(text: str) -> str | None:
    """A mainland mobile (11 digits) or a landline with area code found in ``text``, digits only."""
    flat = re.sub(r"(?<=\d)[\s\-－—]+(?=\d)", "", to_ascii_digits(text or ""))
    flat = re.sub(r"^\+?86", "", flat)
    mobile = MOBILE_RE.search(flat)
    if mobile:
        return mobile.group(1)
    landline = _LANDLINE_RE.search(to_ascii_digits(text or "").replace(" ", ""))
    return landline.group(1) + landline.group(2) if landline else None


def extract_name(text: str) -> str | None:
    """The caller's name (or 姓 + 先生/女士) from a phrase like "我叫王建国" or "免贵姓李"."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    text = text.strip()
    if not text:
        return None
    if _TITLE_RE.match(text):
        return text
    marker = _NAME_MARKER.search(text)
    if marker:
        run = _HAN_RUN.match(text, marker.end())
        name = _NAME_CUT.split(run.group(0))[0] if run else ""
        name = name[:4] if len(name) <= 4 else name[:3]
        return name if len(name) >= 2 and not _NAME_STOP.search(name) else None
    whole = _SURNAME_THEN_NAME.search(text)
    if whole and not _NAME_STOP.search(whole.group(2)):
        return whole.group(2)
    surname = _SURNAME_MARKER.search(text)
    if surname:
        return surname.group(1) + "先生/女士"
    # A bare name, also with the number said in the same breath ("张桂芳，手机13866152093"); numerals
    # are names' characters too (张三), so the words as said are tried before the digits.
    digits = _PHONE_PART.sub("", to_ascii_digits(text))
    for said in (text, digits):
        alone = _SPELLED_SURNAME.sub(r"\1\2", said.strip(" ，,。.！!、")).strip(" ，,。.！!、")
        bare = re.fullmatch(rf"({_HAN}{{2,4}})[。.！!]?", alone)
        name = bare.group(1) if bare else ""
        numerals = [c for c in name if c in DIGIT_VALUES or c in UNITS]
        spoken_number = len(numerals) > 1 or name[:1] in DIGIT_VALUES  # 二十块, 三天 (no surname)
        if name and not spoken_number and not _NAME_STOP.search(name) and not _NAME_CUT.search(name[1:]):
            return name
    return None


def is_correction(text: str) -> bool:
    """True when the caller corrects something said earlier (不对, 说错了, 应该是...)."""
    return bool(_CORRECTION_RE.search(text or ""))


def parse_rating(text: str) -> Rating | None:
    """满意 / 基本满意 / 不满意 from the caller's words, or None when no rating is given."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    t = text.replace(" ", "")
    if re.search(r"不满意|不太满意|差评|很差|太差|一星|两星|不好", t):
        return "不满意"
    if re.search(r"基本满意|还行|一般|凑合|还可以|三星", t):
        return "基本满意"
    if re.search(r"满意|好评|很好|挺好|不错|五星|四星|非常好", t):
        return "满意"
    return None

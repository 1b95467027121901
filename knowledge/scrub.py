"""Removal of personal data from documents before they are indexed.

Policy documents carry contact persons and phone numbers; none of that belongs in answers.
Removal here replaces a number whole; masking for people (``api.privacy``, which keeps part of
a number visible) composes wider patterns from the same shapes (``vocab.patterns``).
"""

from __future__ import annotations

import re

from vocab.patterns import AREA_CODE, ID_NUMBER, NO_DIGIT_AFTER, NO_DIGIT_BEFORE, mobile

ID_NUMBER_RE = re.compile(f"(?<![0-9A-Za-z]){ID_NUMBER}(?![0-9A-Za-z])")
MOBILE_RE = re.compile(NO_DIGIT_BEFORE + mobile("[- ]?", country_code=True) + NO_DIGIT_AFTER)
LANDLINE_RE = re.compile(f"{NO_DIGIT_BEFORE}(?:{AREA_CODE}[- ]?)?[2-9][0-9]{{6,7}}{NO_DIGIT_AFTER}")
BANK_CARD_RE = re.compile(r"(?<!\d)(?:62|4\d|5[1-5])\d{14,17}(?!\d)")
_PHONE_LABEL_RE = re.compile(r"(电话|手机|联系方式|热线电话|联系电话|座机)\s*[:：]?")
_CONTACT_NAME_RE = re.compile(
    r"(联系人|联络员|负责人|经办人|(?<![\u4e00-\u9fff])人)\s*[:：]\s*([\u4e00-\u9fff·]{2,4})(?=[\s，,；;。（(]|$)"
)

PLACEHOLDER_ID = "[身份证号]"
PLACEHOLDER_PHONE = "[电话]"
PLACEHOLDER_CARD = "[卡号]"
PLACEHOLDER_NAME = "[姓名]"


def scrub_line(line: str) -> str:
    """Replace ID numbers, bank cards, phone numbers and contact names in one line."""
    line = ID_NUMBER_RE.sub(PLACEHOLDER_ID, line)
    line = BANK_CARD_RE.sub(PLACEHOLDER_CARD, line)
    line = MOBILE_RE.sub(PLACEHOLDER_PHONE, line)
    if _PHONE_LABEL_RE.search(line):
        # Short local numbers are only phone numbers when labelled as such.
        line = LANDLINE_RE.sub(PLACEHOLDER_PHONE, line)
    line = _CONTACT_NAME_RE.sub(lambda m: f"{m.group(1)}：{PLACEHOLDER_NAME}", line)
    return line


def scrub(text: str) -> str:
    """Scrub every line; a name on the line just before a phone line is treated as its owner."""
    lines = text.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        cleaned = scrub_line(line)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            PLACEHOLDER_PHONE not in cleaned
            and _PHONE_LABEL_RE.search(nxt)
            and re.fullmatch(r"\s*[\u4e00-\u9fff]{2,4}\s*", cleaned)
        ):
            cleaned = PLACEHOLDER_NAME
        out.append(cleaned)
    return "\n".join(out)

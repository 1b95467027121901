"""Personal numbers as regular expressions: mainland mobiles, area codes and resident ID numbers.

Each shape is written once here as a regex source over ASCII digits; the modules that find such
numbers compose their own expressions from it (separators, a +86 prefix, what may stand around
it). Text that may hold full-width digits (１３８…) is matched after ``numerals.fold_width``,
which keeps its length, so the positions of a match hold in the original text.
"""

from __future__ import annotations

import re

__all__ = [
    "AREA_CODE",
    "ID_NUMBER",
    "ID_NUMBER_15",
    "MOBILE",
    "MOBILE_RE",
    "NO_DIGIT_AFTER",
    "NO_DIGIT_BEFORE",
    "mobile",
]

# A number never continues into a neighbouring digit.
NO_DIGIT_BEFORE = "(?<![0-9])"
NO_DIGIT_AFTER = "(?![0-9])"


def mobile(sep: str = "", *, country_code: bool = False) -> str:
    """Regex source of an 11-digit mainland mobile number: 1, then 3-9, then nine digits.

    ``sep`` (a regex such as ``[- ]?``) may stand between its groups of 3, 4 and 4 digits; with
    ``country_code`` the number may start with 86 or +86 (followed by ``sep``).
    """
    prefix = rf"(?:\+?86{sep})?" if country_code else ""
    return rf"{prefix}1[3-9][0-9]{sep}[0-9]{{4}}{sep}[0-9]{{4}}"


MOBILE = mobile()  # 13812345678
# A mobile number written without separators, not part of a longer number; group 1 is the number.
MOBILE_RE = re.compile(rf"{NO_DIGIT_BEFORE}({MOBILE}){NO_DIGIT_AFTER}")

AREA_CODE = "0[0-9]{2,3}"  # 010, 0571: the trunk prefix 0 and two or three digits

# Resident ID number (18 characters): region (6), birth year 18xx-20xx, month, day (2),
# sequence (3), check character (a digit or X). The day is not checked: a misheard one still
# makes the number personal.
ID_NUMBER = "[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])[0-9]{2}[0-9]{3}[0-9Xx]"
ID_NUMBER_15 = "[1-9][0-9]{14}"  # the 15-digit number issued before 1999

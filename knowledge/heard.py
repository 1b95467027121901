"""What the caller meant, recovered by sound: place names and domain terms written with wrong characters.

Two things write the right sound with the wrong characters. A speech recogniser on the phone line
(Whisper-base on 8 kHz writes 太原 as 太圆 or 害源, 济南 as 警南, 慢特病 as 慢特定), and a caller
typing with a pinyin input method who takes the wrong candidate (烟台 as 验太, 厦门 as 下门). Where
the words mark a place (济南的…, 我是X的, 在X, X参保, or the caller answers the 参保地 question)
the region table finds the place by its pinyin (``RegionTable.find_marked_by_sound``); domain terms
of three characters or more one syllable off are put back when the other syllables are the term's
own.

Two strictnesses, one code:
- **heard** (the phone line, ``strict=False``): a place may be a sound off (害源 for 太原) and a
  dictionary word that sounds exactly like a place is one (程度的 -> 成都的), as measured on
  Whisper's transcripts (voice/normalize.py).
- **typed** (every other text, ``strict=True``): a typed question is mostly right, so a span is
  rewritten only when it sounds exactly like the name and is no word: jieba's dictionary (without
  its guesser of new words) cuts it into single characters or place names, so 占线, 会有人, 残疾人,
  能走 and 俺的 stay as written while 验太, 娘平 and 整州 become 烟台, 梁平 and 郑州. A domain term is
  put back only where the window is no word either (医保大厅 holds no 医保码).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from knowledge.regions import EVERYDAY_CHARS

if TYPE_CHECKING:
    from knowledge.regions import Region

__all__ = [
    "ANSWER_MAX_CHARS",
    "MIN_TERM_CHARS",
    "county_places",
    "recover",
    "repair_places",
    "repair_terms",
]

_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
# Words next to a term, never the odd syllable of one (参保的 is no 参保地).
_FUNCTION_CHARS = frozenset("的地得了是在和与")
# Everyday characters a typed two-character place is never made of (没走 is no 梅州, 哪年 no 吕梁).
_TYPED_NOT_IN_PLACE = EVERYDAY_CHARS | frozenset("没哪咋啥")
MIN_TERM_CHARS = 3  # shorter terms have too many one-syllable neighbours among everyday words
# An answer to "您是哪个省哪个市参保的" is short; in longer words a place must be marked as one.
ANSWER_MAX_CHARS = 10


def county_places(regions: Iterable[str]) -> tuple[str, ...]:
    """The counties and districts among canonical region paths: the ``places`` to know by sound
    besides provinces and prefecture cities (the knowledge base's rule regions)."""
    from knowledge.regions import region_table

    table = region_table().regions
    return tuple(sorted({r for r in regions if r in table and table[r].level >= 3}))  # 重庆/梁平 too


def repair_places(
    text: str, *, places: Iterable[str] = (), asked_region: bool = False, strict: bool = False
) -> str:
    """Misheard or mistyped place names written as the place (警南的长期护理 -> 济南的长期护理).

    ``places``: canonical paths of regions to know besides provinces and prefecture cities (the
    counties the knowledge base has rules for). ``asked_region``: the caller answers a 参保地
    question, so in a short answer (``ANSWER_MAX_CHARS`` characters) a place may stand anywhere.
    ``strict``: typed text (see the module's docstring).
    """
    from knowledge.regions import region_table

    anywhere = asked_region and len(_HAN_RE.findall(text)) <= ANSWER_MAX_CHARS
    found = region_table().find_marked_by_sound(
        text, places=tuple(places), anywhere=anywhere, min_similarity=1.0 if strict else 0.8
    )
    if strict:
        found = [
            f for f in found if _no_words(text, f[2], f[3], places=True) and not _only_people(text, *f[2:])
        ]
        found = sorted([*found, *_unmarked(text, found)], key=lambda f: f[2])
    for _region, name, start, end in reversed(found):
        text = text[:start] + name + text[end:]
    return text


def _unmarked(text: str, marked: list[tuple[Region, str, int, int]]) -> list[tuple[Region, str, int, int]]:
    """Names misheard with the exact sound that no words mark (``RegionTable.find_by_sound``: half
    the characters right, 嘿龙江 and 佳目斯), that are no words either and overlap no marked one."""
    from knowledge.regions import region_table

    out: list[tuple[Region, str, int, int]] = []
    at = 0
    for region, heard in region_table().find_by_sound(text):
        start = text.index(heard, at)
        at = end = start + len(heard)
        if any(s < end and start < e for _, _, s, e in marked) or not _no_words(
            text, start, end, places=True
        ):
            continue
        name = region.full_name if len(region.full_name) == len(heard) else region.stem
        if len(name) == len(heard):
            out.append((region, name, start, end))
    return out


def _only_people(text: str, start: int, end: int) -> bool:
    """Whether the only mark of a place is a following 人: in typed text that is a kind of people
    more often (参疾人 mistyped for 残疾人 is no 昌吉人); 我是烟台人 is marked by 我是 too."""
    from knowledge.regions import PLACE_CONTEXT_BEFORE

    return text[end : end + 1] == "人" and not text[:start].endswith(PLACE_CONTEXT_BEFORE)


def _no_words(text: str, start: int, end: int, *, places: bool = False) -> bool:
    """Whether ``text[start:end]`` is made of whole single characters (or, with ``places``, place
    names) as jieba's dictionary cuts the text, and holds no everyday character in two."""
    from knowledge.lexical import dictionary_cut

    if end - start == 2 and any(c in _TYPED_NOT_IN_PLACE for c in text[start:end]):
        return False
    names = _place_names() if places else frozenset()
    at = 0
    for word in dictionary_cut(text):
        word_end = at + len(word)
        if at < end and word_end > start:  # the word overlaps the span
            if at < start or word_end > end:
                return False  # the span cuts a word
            if len(word) > 1 and word not in names:
                return False
        at = word_end
    return True


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    from knowledge.regions import all_region_names

    return frozenset(all_region_names())


@lru_cache(maxsize=1)
def _terms() -> dict[int, list[tuple[str, tuple[str, ...]]]]:
    from knowledge.textnorm import domain_terms, pinyin_keys

    out: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    for term in domain_terms():
        if len(term) >= MIN_TERM_CHARS and all(_HAN_RE.match(ch) for ch in term):
            out.setdefault(len(term), []).append((term, tuple(pinyin_keys(term))))
    return out


def repair_terms(text: str, *, strict: bool = False) -> str:
    """Domain terms of three characters or more with one syllable misheard (慢特定 -> 慢特病).

    Every other syllable must be the term's own (accent-folded), and the odd one must share its
    initial or its final with the term's; the fewest syllables off win, and a window that is a term
    or holds one written right (医保卡 holds 医保) or ends in a sentence particle (it asks a question)
    is left alone. ``strict``: the window must also be no word (typed text).
    """
    if not text:
        return text
    from knowledge.textnorm import PARTICLES, domain_terms, pinyin_keys, replace_spans

    terms = _terms()
    sounds = pinyin_keys(text)

    def find(start: int, length: int) -> str | None:
        window = text[start : start + length]
        if not _HAN_RE.fullmatch(window[0]) or window[-1] in PARTICLES:
            return None
        if any(t == window for t, _ in terms[length]):
            return window  # a term written right stays
        if any(t in window for t in domain_terms()):
            return None  # 医保卡, 医保大厅: a term written right with a word after it, no 医保码
        heard = sounds[start : start + length]
        odd_chars = _TYPED_NOT_IN_PLACE if strict else _FUNCTION_CHARS
        near = []
        for term, meant in terms[length]:
            odd = _one_off(window, heard, meant, odd_chars)
            if odd is not None:
                near.append((len(odd), term))
        if not near or (strict and not _no_words(text, start, start + length)):
            return None
        return min(near, key=lambda n: n[0])[1]  # 一保卡 is 医保卡 (no syllable off), not 医保码

    return replace_spans(text, sorted(terms, reverse=True), find)


def _one_off(
    window: str, heard: list[str], meant: tuple[str, ...], odd_chars: frozenset[str]
) -> list[int] | None:
    """The positions where ``heard`` is off ``meant`` (at most one, sharing an initial or a final
    with the term's syllable, its character not one of ``odd_chars``), or None when it is no match."""
    odd = [i for i, (h, m) in enumerate(zip(heard, meant, strict=True)) if h != m]
    if len(odd) > 1:
        return None
    if all(_shares_part(heard[i], meant[i]) and window[i] not in odd_chars for i in odd):
        return odd
    return None


def _shares_part(heard: str, meant: str) -> bool:
    """Same initial or same final (toneless, folded): ding/bing, bu/fu; not ding/bao."""
    return (
        _initial(heard) == _initial(meant) or heard[len(_initial(heard)) :] == meant[len(_initial(meant)) :]
    )


def _initial(syllable: str) -> str:
    for initial in ("zh", "ch", "sh"):
        if syllable.startswith(initial):
            return initial
    return syllable[0] if syllable and syllable[0] not in "aeiouv" else ""


def recover(
    text: str, *, places: Iterable[str] = (), asked_region: bool = False, strict: bool = False
) -> str:
    """Place names, then domain terms, put back where they were misheard or mistyped; typed text
    gets the exact sound-alike terms first (一保卡 -> 医保卡), so a term one syllable off is looked
    for only in what is left."""
    from knowledge.textnorm import normalize_domain_terms

    placed = repair_places(text, places=places, asked_region=asked_region, strict=strict)
    return repair_terms(normalize_domain_terms(placed) if strict else placed, strict=strict)

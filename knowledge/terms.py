"""Domain terms a question names and an entry never mentions: the entry is about something else.

"大病保险起付线是多少钱" is not answered by an entry on the 门诊统筹 起付线 of one city, however
close the words: 大病保险 appears nowhere in it. Terms that most entries use (医保, 参保) say
nothing about the topic and are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from knowledge.search import Doc
from knowledge.textnorm import DATA_DIR, domain_terms, normalize_query, read_lines

# A term in more than this share of the entries is too common to tell topics apart.
GENERIC_SHARE = 0.15
_CLAUSE_RE = re.compile(r"[，,。！!？?；;\s]+")


def doc_text(doc: Doc) -> str:
    """Everything an entry says about itself, normalised like a query."""
    return normalize_query(
        " ".join((doc.title, doc.topic, doc.lexical_text, doc.answer, *doc.points.values()))
    )


@lru_cache(maxsize=1)
def _topic_lines() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(line.split("=")) for line in read_lines(DATA_DIR / "topic_terms.txt"))


@lru_cache(maxsize=1)
def subject_terms() -> tuple[str, ...]:
    """Domain terms and the subjects of data/topic_terms.txt, two characters or more, longest first."""
    extra = [term for group in _topic_lines() for term in group]
    terms = {t for t in (*domain_terms(), *extra) if len(t) >= 2}
    return tuple(sorted(terms, key=lambda t: (-len(t), t)))


@lru_cache(maxsize=1)
def caller_groups() -> dict[str, tuple[str, ...]]:
    """Schemes and statuses a caller says of themselves, each with its names (data/caller_groups.txt)."""
    return {
        names[0]: tuple(names)
        for names in (line.split("=") for line in read_lines(DATA_DIR / "caller_groups.txt"))
    }


@lru_cache(maxsize=1)
def equivalents() -> dict[str, tuple[str, ...]]:
    """Names of one thing (医保码=医保电子凭证): an entry that says one of them names the others."""
    table: dict[str, tuple[str, ...]] = {}
    for group in _topic_lines():
        for term in group:
            table[term] = group
    return table


def terms_in(text: str) -> list[str]:
    """The subject terms a normalised text contains, longest first."""
    found: list[str] = []
    for term in subject_terms():
        if term in text and not any(term in longer for longer in found):
            found.append(term)
    return found


@lru_cache(maxsize=512)
def question_terms(question: str) -> tuple[str, ...]:
    """The domain terms of a question (kept: every candidate entry of a search is checked)."""
    return tuple(terms_in(normalize_query(question)))


def missing_terms(
    question: str, doc: Doc, *, ignore: Iterable[str] = (), known: str | None = None
) -> list[str]:
    """Domain terms of the question that the entry never mentions (``known``: its ``doc_text``)."""
    skip = set(ignore)
    said = doc_text(doc) if known is None else known
    same = equivalents()
    return [
        t
        for t in question_terms(question)
        if t not in skip and not any(name in said for name in same.get(t, (t,)))
    ]


def self_described(question: str) -> dict[str, tuple[str, ...]]:
    """The caller groups (with their names) said in the story before the question's last clause."""
    clauses = [c for c in _CLAUSE_RE.split(normalize_query(question)) if c]
    story, asked = "".join(clauses[:-1]), clauses[-1] if clauses else ""
    return {t: names for t, names in caller_groups().items() if t in story and t not in asked}


class TermCoverage:
    """Which domain terms are generic in a set of entries, and each entry's text (per base version)."""

    def __init__(self, docs: Iterable[Doc]):
        self._texts = {d.key: doc_text(d) for d in docs if d.kind == "entry"}
        terms = subject_terms()
        limit = GENERIC_SHARE * max(len(self._texts), 1)
        self.generic = frozenset(t for t in terms if sum(t in x for x in self._texts.values()) > limit)

    def foreign(self, question: str, doc: Doc) -> list[str]:
        """Topic terms of the question that the entry never mentions.

        The caller's own scheme or status told before the question ("我交的职工医保，……能报多少？")
        describes the caller, not the topic: it is foreign only to an entry that names such a group
        but not this one (a rule for the others); an entry naming none is a rule for every group.
        """
        known = self._texts.get(doc.key)
        said = doc_text(doc) if known is None else known
        groups = self_described(question)
        for_some = any(name in said for names in caller_groups().values() for name in names)
        return [
            t
            for t in missing_terms(question, doc, ignore=self.generic, known=said)
            if t not in groups or (for_some and not any(name in said for name in groups[t]))
        ]

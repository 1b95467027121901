"""Domain terms a question names and an entry never mentions: the entry is about something else.

"大病保险起付线是多少钱" is not answered by an entry on the 门诊统筹 起付线 of one city, however
close the words: 大病保险 appears nowhere in it. Terms that most entries use (医保, 参保) say
nothing about the topic and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from knowledge.search import Doc
from knowledge.textnorm import DATA_DIR, domain_terms, normalize_query, read_lines

# A term in more than this share of the entries is too common to tell topics apart.
GENERIC_SHARE = 0.15


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


class TermCoverage:
    """Which domain terms are generic in a set of entries, and each entry's text (per base version)."""

    def __init__(self, docs: Iterable[Doc]):
        self._texts = {d.key: doc_text(d) for d in docs if d.kind == "entry"}
        terms = subject_terms()
        limit = GENERIC_SHARE * max(len(self._texts), 1)
        self.generic = frozenset(t for t in terms if sum(t in x for x in self._texts.values()) > limit)

    def foreign(self, question: str, doc: Doc) -> list[str]:
        """Topic terms of the question that the entry never mentions."""
        return missing_terms(question, doc, ignore=self.generic, known=self._texts.get(doc.key))

"""Domain terms a question names and an entry never mentions: the entry is about something else.

"大病保险起付线是多少钱" is not answered by an entry on the 门诊统筹 起付线 of one city, however
close the words: 大病保险 appears nowhere in it. Terms that most entries use (医保, 参保) say
nothing about the topic and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

from knowledge.search import Doc
from knowledge.textnorm import domain_terms, normalize_query

# A term in more than this share of the entries is too common to tell topics apart.
GENERIC_SHARE = 0.15


def doc_text(doc: Doc) -> str:
    """Everything an entry says about itself, normalised like a query."""
    return normalize_query(
        " ".join((doc.title, doc.topic, doc.lexical_text, doc.answer, *doc.points.values()))
    )


def terms_in(text: str) -> list[str]:
    """The domain terms (two characters or more) a normalised text contains, longest first."""
    found: list[str] = []
    for term in sorted((t for t in domain_terms() if len(t) >= 2), key=len, reverse=True):
        if term in text and not any(term in longer for longer in found):
            found.append(term)
    return found


def missing_terms(question: str, doc: Doc, *, ignore: Iterable[str] = ()) -> list[str]:
    """Domain terms of the question that the entry never mentions."""
    skip = set(ignore)
    known = doc_text(doc)
    return [t for t in terms_in(normalize_query(question)) if t not in skip and t not in known]


class TermCoverage:
    """Which domain terms are generic in a set of entries (kept per base version)."""

    def __init__(self, docs: Iterable[Doc]):
        texts = [doc_text(d) for d in docs if d.kind == "entry"]
        terms = [t for t in domain_terms() if len(t) >= 2]
        limit = GENERIC_SHARE * max(len(texts), 1)
        self.generic = frozenset(t for t in terms if sum(t in x for x in texts) > limit)

    def foreign(self, question: str, doc: Doc) -> list[str]:
        """Topic terms of the question that the entry never mentions."""
        return missing_terms(question, doc, ignore=self.generic)

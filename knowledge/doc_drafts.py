"""Draft entries proposed from the fact-bearing sentences of a public document.

The sentences are those ``knowledge.coverage`` finds (amounts, ratios, time limits, channels, named
services, eligibility) that no entry cites yet. The fact sentences of one line become one draft:
its answer is the sentences as written, its questions are built from what the sentence is about
(the domain terms it names, else its section heading) and the kind of fact (how much, how long,
where, who may), its region, date and source come from the document (the region of the section
first, as ``knowledge.ingest`` reads it). The id is derived from the document name, line and text,
so proposing the same document again proposes the same ids (the caller skips those it has).

A draft is never an answer by itself: an editor checks, edits and publishes it, or rejects it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.catalog import DOCUMENT_PREFIX, Entry
from knowledge.chunk import split_sections
from knowledge.coverage import FactPatterns, FactSentence, citations, document_coverage, document_lines
from knowledge.ingest import detect_date, detect_region, detect_title
from knowledge.regions import region_table
from knowledge.review import GENERIC_TERMS
from knowledge.textnorm import domain_terms

__all__ = ["DRAFT_PREFIX", "DraftProposal", "draft_id", "propose"]

# Ids of drafts proposed from documents (their source is "<document> L<line>", any document name).
DRAFT_PREFIX = DOCUMENT_PREFIX
SUBJECT_MAX = 16
TITLE_MAX = 40
_NUMBERING_RE = re.compile(
    r"^(第[一二三四五六七八九十百]+[章节条部分]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．])\s*"
)

# Question templates per fact type ({s}: what the sentence is about), and the point a fact fills.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "amount": ("{s}要多少钱", "{s}的标准是多少", "{s}能给多少钱"),
    "ratio": ("{s}的比例是多少", "{s}能报多少", "{s}按多少比例算"),
    "time_limit": ("{s}要多长时间", "{s}几天能办好", "{s}的时限是多久"),
    "channel": ("{s}在哪里办", "{s}怎么办理", "{s}能在网上办吗"),
    "named_service": ("{s}是什么", "{s}怎么用", "{s}能办什么事"),
    "eligibility": ("什么人可以办{s}", "{s}需要什么条件", "{s}谁能享受"),
}
# Terms that say how or how much, not what about (the question templates ask for those).
MEANS_TERMS = frozenset(
    {"报销比例", "起付线", "公众号", "小程序", "在线客服", "人工客服", "12393", "12345", "刷脸"}
)
_QUOTED_RE = re.compile(r"“([^”]{2,12})”")
POINTS = {"amount": "cost", "time_limit": "time_limit", "channel": "channel", "eligibility": "eligibility"}


@dataclass(frozen=True)
class DraftProposal:
    """A proposed entry (the catalog's raw mapping) and where it comes from."""

    data: dict[str, Any]
    document: str
    line: int
    types: tuple[str, ...]

    @property
    def id(self) -> str:
        return str(self.data["id"])


def draft_id(document: str, line: int, text: str) -> str:
    """A stable id for the draft of a document line (same document, line and text: same id)."""
    digest = hashlib.sha1(f"{document}|{line}|{text}".encode()).hexdigest()[:12]
    return f"{DRAFT_PREFIX}{digest}"


def _heading(path: Sequence[str]) -> str:
    for title in reversed(path):
        cleaned = _NUMBERING_RE.sub("", title.strip("*# ")).strip("：: ")
        if 2 <= len(cleaned) <= SUBJECT_MAX and not re.search(r"[,，“”、]", cleaned):
            return cleaned
    return ""


def _terms_in(text: str) -> list[str]:
    """The specific domain terms a text names, longest first, none inside another."""
    named: list[str] = []
    for term in domain_terms():  # longest first: 异地就医 before 异地
        if len(term) >= 2 and term in text and term not in GENERIC_TERMS and term not in MEANS_TERMS:
            if not any(term in t for t in named):
                named.append(term)
    return named


def _subject(sentence: str, heading: str, title: str, types: Sequence[str]) -> str:
    """What a sentence is about: a quoted service name, the domain terms it shares with the
    document's title, its other terms, the title's terms, else its section heading."""
    quoted = _QUOTED_RE.search(sentence)
    if quoted and "named_service" in types:
        return quoted.group(1)
    in_title = set(_terms_in(title))
    named = sorted(_terms_in(sentence), key=lambda t: (t not in in_title, sentence.index(t)))
    if not named:
        named = sorted(in_title, key=title.index)
    if named:
        return "".join(sorted(named[:2], key=lambda t: (sentence + title).index(t)))[:SUBJECT_MAX]
    return heading or title[:SUBJECT_MAX]


def _questions(subject: str, types: Sequence[str], place: str) -> list[str]:
    out: list[str] = []
    for kind in types:
        for template in QUESTIONS.get(kind, ()):
            question = place + template.format(s=subject)
            if question not in out:
                out.append(question)
    return out[:6]


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _sections(lines: Sequence[str]) -> list[tuple[int, tuple[str, ...]]]:
    """(first line, heading path) of each section, in order."""
    return [(s.start_line, tuple(s.path)) for s in split_sections("\n".join(lines))]


def _path_at(sections: Sequence[tuple[int, tuple[str, ...]]], line: int) -> tuple[str, ...]:
    path: tuple[str, ...] = ()
    for start, heads in sections:
        if start > line:
            break
        path = heads
    return path


def propose(
    path: Path,
    entries: Iterable[Entry],
    patterns: FactPatterns,
    *,
    topic_default: str = "文档摘录",
) -> list[DraftProposal]:
    """Draft entries for the uncited fact sentences of one public document (none if restricted)."""
    path = Path(path)
    coverage = document_coverage(path, citations(entries), patterns)
    if coverage.skipped or not coverage.uncited:
        return []
    lines, _ = document_lines(path)
    text = "\n".join(lines)
    title = detect_title(text, path.stem)
    date = detect_date(text)
    doc_region = detect_region(title) or detect_region("\n".join(lines[:15]))
    sections = _sections(lines)
    table = region_table()
    by_line: dict[int, list[FactSentence]] = {}
    for fact in coverage.uncited:
        by_line.setdefault(fact.line, []).append(fact)
    proposals = []
    for line, facts in sorted(by_line.items()):
        heads = _path_at(sections, line)
        answer = "".join(f.text for f in facts)
        region = (detect_region(" ".join(heads)) if heads else None) or doc_region
        types = tuple(dict.fromkeys(t for f in facts for t in f.types))
        heading = _heading(heads)
        subject = _subject(answer, heading, title, types)
        place = table.display(region) if region else ""
        questions = _questions(subject, types, place)
        points = {POINTS[t]: _shorten(answer, 200) for t in types if t in POINTS}
        data: dict[str, Any] = {
            "id": draft_id(path.name, line, answer),
            "topic": (heading or subject or topic_default)[:64],
            "title": _shorten(answer, TITLE_MAX),
            "questions": questions,
            "answer": answer,
            "region": region,
            "audience": "public",
            "source": f"{path.name} L{line}",
            "effective": date,
            "points": points,
        }
        proposals.append(DraftProposal(data, path.name, line, types))
    return proposals


def skip_known(
    proposals: Iterable[DraftProposal], known_ids: Mapping[str, object] | set[str]
) -> list[DraftProposal]:
    """The proposals whose id is not known yet (re-ingesting a document proposes nothing twice)."""
    return [p for p in proposals if p.id not in known_ids]

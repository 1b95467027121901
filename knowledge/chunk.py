"""Splitting documents into passages along headings and sentences.

A passage keeps the path of headings above it, so an answer can say which section of which
document it comes from, and the region named in a heading can be inherited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vocab.numerals import DIGITS

_CN_NUM = DIGITS[1:] + "十百"  # heading numbers: 一、 （二） 第十二条 (not 零, 两 or 千)
_H2_RE = re.compile(rf"^[{_CN_NUM}]+、")
_H3_RE = re.compile(rf"^[（(][{_CN_NUM}]+[)）]")
_H4_RE = re.compile(r"^\d{1,2}[.、．]\s*(?!\d)")
_ARTICLE_RE = re.compile(rf"^第[{_CN_NUM}\d]+[章节条]")
_MD_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_SENTENCE_END_RE = re.compile(r"(?<=[。！？；!?;])")
_TOC_RE = re.compile(r"\s\d{1,4}\s*$")


@dataclass
class Section:
    """A heading path and the body lines under it."""

    path: list[str]
    lines: list[str] = field(default_factory=list)
    start_line: int = 0


@dataclass(frozen=True)
class Passage:
    """A retrievable piece of a document."""

    text: str
    section_path: tuple[str, ...]
    line: int


def heading_level(line: str) -> tuple[int, str] | None:
    """The level and text of a heading line, or None for body text."""
    line = line.strip().strip("*").strip()
    if not line:
        return None
    md = _MD_RE.match(line)
    if md:
        return len(md.group(1)), md.group(2).strip("* ")
    if _ARTICLE_RE.match(line) and len(line) <= 30:
        return 2, line
    if _H2_RE.match(line):
        return 2, _first_clause(line)
    if _H3_RE.match(line):
        return 3, _first_clause(line)
    if _H4_RE.match(line) and len(line) <= 40 and not _TOC_RE.search(line):
        return 4, _first_clause(line)
    if len(line) <= 40 and not re.search(r"[。！？；!?;]|[，,：:.]$", line) and not _TOC_RE.search(line):
        return 1, line
    return None


def _first_clause(line: str) -> str:
    head = re.split(r"[。：:]", line, maxsplit=1)[0]
    return head[:40]


def split_sections(text: str) -> list[Section]:
    """Group lines under their headings; numbered sub-headings nest under the last title."""
    sections: list[Section] = [Section(path=[], start_line=1)]
    path: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        found = heading_level(line)
        if found is None:
            sections[-1].lines.append(line)
            continue
        level, title = found
        path = [(lv, t) for lv, t in path if lv < level] + [(level, title)]
        sections.append(Section(path=[t for _, t in path], start_line=number))
        # A numbered heading that runs on into sentences is body text too.
        if level >= 2 and len(line.strip("*# ")) > len(title) + 1:
            sections[-1].lines.append(line)
    kept = [s for s in sections if s.lines]
    if not kept and text.strip():
        # A document made only of short lines: keep them all as one body.
        kept = [Section(path=[], lines=[ln.strip() for ln in text.split("\n") if ln.strip()], start_line=1)]
    return kept


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END_RE.split(text) if s.strip()]


def chunk_text(text: str, *, max_chars: int = 320, overlap_sentences: int = 1) -> list[Passage]:
    """Passages of at most ``max_chars`` (a longer single sentence stays whole), with overlap."""
    if max_chars < 50:
        raise ValueError("max_chars must be at least 50")
    passages: list[Passage] = []
    for section in split_sections(text):
        sentences = [s for ln in section.lines for s in split_sentences(ln)]
        current: list[str] = []
        for sentence in sentences:
            if current and sum(map(len, current)) + len(sentence) > max_chars:
                passages.append(Passage("".join(current), tuple(section.path), section.start_line))
                current = current[-overlap_sentences:] if overlap_sentences else []
                if sum(map(len, current)) + len(sentence) > max_chars:
                    current = []
            current.append(sentence)
        if current:
            passages.append(Passage("".join(current), tuple(section.path), section.start_line))
    return passages

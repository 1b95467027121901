"""Names a document gives its measures that the answer of the entry citing it leaves out.

Entries are written in plain words, and a plain rewording easily drops the document's own name for
what it describes: the measure in quotes (“免申即享”, “一单结算”), the service or channel
(“粤医保”小程序). A caller who heard the name, and a reviewer checking the answer against the
document, look for that name. This lists, per entry, the quoted names of the cited sentences the
answer restates (it shares at least ``MIN_SHARED`` of the sentence's character pairs) but does not
say. Sentences the answer does not restate are other facts of the same line and are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge.catalog import Entry
from knowledge.chunk import split_sentences
from knowledge.coverage import document_lines, parse_source

MIN_SHARED = 0.3
_QUOTED_RE = re.compile(r"[“「\"]([^”」\"]{2,16})[”」\"]")
_NOT_WORD_RE = re.compile(r"[^\w]")


@dataclass(frozen=True)
class DroppedName:
    """A quoted name of a cited sentence that the entry's answer does not say."""

    entry_id: str
    document: str
    line: int
    name: str
    shared: float  # share of the sentence's character pairs the answer also has
    sentence: str


def _squeeze(text: str) -> str:
    """Text without spaces and punctuation (documents write “医保 e 站”, answers “医保e站”)."""
    return _NOT_WORD_RE.sub("", text)


def char_pairs(text: str) -> set[str]:
    """The adjacent character pairs of the text's word characters."""
    text = _squeeze(text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def shared_share(sentence: str, answer_pairs: set[str]) -> float:
    """The share of the sentence's character pairs that the answer also has (0 for an empty one)."""
    pairs = char_pairs(sentence)
    return len(pairs & answer_pairs) / len(pairs) if pairs else 0.0


def _restated(
    lines: list[str], cited: Iterable[int], answer_pairs: set[str], min_shared: float
) -> Iterator[tuple[int, str, float]]:
    """(line, sentence, share) of each cited sentence the answer (its character pairs) restates."""
    for number in cited:
        line = lines[number - 1]
        for sentence in split_sentences(line) if line.strip() else ():
            share = shared_share(sentence, answer_pairs)
            if share >= min_shared:
                yield number, sentence, share


def dropped_names(
    paths: Iterable[Path], entries: Iterable[Entry], min_shared: float = MIN_SHARED
) -> list[DroppedName]:
    """Every quoted name the entries' answers leave out of the cited sentences they restate.

    Only documents among ``paths`` are read; restricted documents are skipped, as in coverage.
    """
    if not 0.0 < min_shared <= 1.0:
        raise ValueError(f"min_shared must be in (0, 1], got {min_shared}")
    by_name = {Path(p).name: Path(p) for p in paths}
    lines_of: dict[str, list[str] | None] = {}
    found = []
    for entry in entries:
        answer = _squeeze(entry.answer)
        answer_pairs = char_pairs(entry.answer)
        for name, ranges in parse_source(entry.source).items():
            if name in by_name and name not in lines_of:
                read, restricted = document_lines(by_name[name])
                lines_of[name] = None if restricted else read
            lines = lines_of.get(name)
            if lines is None:
                continue
            last = len(lines)
            cited = sorted({n for start, end in ranges for n in range(start, min(end, last) + 1)})
            for number, sentence, share in _restated(lines, cited, answer_pairs, min_shared):
                for quoted in dict.fromkeys(_QUOTED_RE.findall(sentence)):
                    said = _squeeze(quoted)
                    if said and said not in answer:
                        found.append(DroppedName(entry.id, name, number, quoted, round(share, 2), sentence))
    return found

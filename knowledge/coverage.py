"""Coverage of the seed documents by the curated entries: which stated facts no entry cites.

A public seed document is read the way ingestion reads it (boilerplate dropped, text cleaned,
personal data scrubbed) but line by line, so that line numbers stay those of the file, which are
the numbers an entry's ``source`` names. Each line is split into sentences; a sentence is
fact-bearing when it states an amount, a ratio, a time limit, a channel, a named service or an
eligibility rule (patterns in ``data/fact_patterns.yaml``). An entry cites a sentence when its
``source`` names the document and a line or line range containing the sentence's line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.catalog import Entry
from knowledge.chunk import heading_level, split_sentences
from knowledge.ingest import is_restricted, read_document, strip_boilerplate
from knowledge.scrub import scrub
from knowledge.textnorm import DATA_DIR, clean_text

log = logging.getLogger(__name__)

DEFAULT_PATTERNS = DATA_DIR / "fact_patterns.yaml"

# A document name, or a line reference with an optional end: L61, L61-63, L61–L63, L61至63.
_CITATION_RE = re.compile(
    r"(?P<file>[\w.-]+\.(?:txt|md|docx|pdf|html?))|L(?P<start>\d+)(?:\s*[-–—~～至]\s*L?(?P<end>\d+))?"
)


@dataclass(frozen=True)
class FactType:
    """One kind of fact, recognised by regular expressions (see the data file's header)."""

    name: str
    any: tuple[re.Pattern[str], ...]
    not_: tuple[re.Pattern[str], ...] = ()
    with_: tuple[re.Pattern[str], ...] = ()

    def found_in(self, sentence: str) -> bool:
        """Whether the sentence states a fact of this type."""
        if self.with_ and not any(p.search(sentence) for p in self.with_):
            return False
        for pattern in self.any:
            for match in pattern.finditer(sentence):
                if not any(p.search(match.group(0)) for p in self.not_):
                    return True
        return False


@dataclass(frozen=True)
class FactPatterns:
    """The fact types, and which lines are not body text at all."""

    types: tuple[FactType, ...]
    skip_lines: tuple[re.Pattern[str], ...] = ()
    min_chars: int = 0

    def classify(self, sentence: str) -> tuple[str, ...]:
        """The names of the fact types a sentence states, in the data file's order."""
        return tuple(t.name for t in self.types if t.found_in(sentence))


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document and the file line it stands on (1-based)."""

    line: int
    text: str


@dataclass(frozen=True)
class FactSentence:
    """A fact-bearing sentence and the entries citing its line."""

    line: int
    text: str
    types: tuple[str, ...]
    cited_by: tuple[str, ...] = ()

    @property
    def cited(self) -> bool:
        return bool(self.cited_by)


@dataclass(frozen=True)
class DocumentCoverage:
    """The fact-bearing sentences of one document; ``skipped`` says why a document was not read."""

    name: str
    facts: tuple[FactSentence, ...] = ()
    skipped: str = ""

    @property
    def cited(self) -> int:
        return sum(1 for f in self.facts if f.cited)

    @property
    def uncited(self) -> tuple[FactSentence, ...]:
        return tuple(f for f in self.facts if not f.cited)


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of every document; the summary counts read documents only."""

    documents: tuple[DocumentCoverage, ...]
    by_type: dict[str, tuple[int, int]] = field(default_factory=dict)  # type -> (facts, cited)

    @property
    def facts(self) -> int:
        return sum(len(d.facts) for d in self.documents)

    @property
    def cited(self) -> int:
        return sum(d.cited for d in self.documents)

    def summary(self) -> dict[str, Any]:
        """Counts and the coverage percentage (100 when there is nothing to cite)."""
        return {
            "documents": sum(1 for d in self.documents if not d.skipped),
            "skipped": [d.name for d in self.documents if d.skipped],
            "fact_sentences": self.facts,
            "cited": self.cited,
            "uncited": self.facts - self.cited,
            "coverage_pct": percent(self.cited, self.facts),
        }

    def to_dict(self, *, include_cited: bool = False) -> dict[str, Any]:
        """Plain data for ``--json``: per document the uncited sentences (and cited ones if asked)."""
        documents = []
        for doc in self.documents:
            item: dict[str, Any] = {"name": doc.name}
            if doc.skipped:
                item["skipped"] = doc.skipped
            else:
                item.update(
                    fact_sentences=len(doc.facts),
                    cited=doc.cited,
                    uncited=[_fact_dict(f) for f in doc.uncited],
                    coverage_pct=percent(doc.cited, len(doc.facts)),
                )
                if include_cited:
                    item["cited_sentences"] = [_fact_dict(f) for f in doc.facts if f.cited]
            documents.append(item)
        by_type = {
            name: {"fact_sentences": n, "cited": c, "coverage_pct": percent(c, n)}
            for name, (n, c) in self.by_type.items()
        }
        return {"summary": self.summary(), "by_type": by_type, "documents": documents}


def percent(part: int, whole: int) -> float:
    """A percentage rounded to one decimal; an empty whole counts as fully covered."""
    return round(100.0 * part / whole, 1) if whole else 100.0


def _fact_dict(fact: FactSentence) -> dict[str, Any]:
    data: dict[str, Any] = {"line": fact.line, "types": list(fact.types), "text": fact.text}
    if fact.cited_by:
        data["cited_by"] = list(fact.cited_by)
    return data


def _compile(values: object, where: str) -> tuple[re.Pattern[str], ...]:
    if values is None:
        return ()
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{where}: must be a list of regular expressions")
    try:
        return tuple(re.compile(v) for v in values)
    except re.error as exc:
        raise ValueError(f"{where}: bad regular expression ({exc})") from exc


def parse_fact_patterns(raw: Mapping[str, Any], where: str = "fact patterns") -> FactPatterns:
    """Build the patterns from the data file's mapping; a malformed file names the part at fault."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("types"), Mapping) or not raw["types"]:
        raise ValueError(f"{where}: needs a non-empty mapping 'types'")
    types = []
    for name, spec in raw["types"].items():
        if not isinstance(spec, Mapping) or not spec.get("any"):
            raise ValueError(f"{where}: type {name!r} needs a list 'any'")
        unknown = set(spec) - {"any", "not", "with"}
        if unknown:
            raise ValueError(f"{where}: type {name!r} has unknown keys {sorted(unknown)}")
        types.append(
            FactType(
                name=str(name),
                any=_compile(spec["any"], f"{where}: {name}.any"),
                not_=_compile(spec.get("not"), f"{where}: {name}.not"),
                with_=_compile(spec.get("with"), f"{where}: {name}.with"),
            )
        )
    return FactPatterns(
        types=tuple(types),
        skip_lines=_compile(raw.get("skip_lines"), f"{where}: skip_lines"),
        min_chars=int(raw.get("min_chars") or 0),
    )


@lru_cache(maxsize=4)
def load_fact_patterns(path: Path = DEFAULT_PATTERNS) -> FactPatterns:
    """The fact patterns of a YAML file (by default the bundled ``data/fact_patterns.yaml``)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return parse_fact_patterns(raw, str(path))


def document_lines(path: Path) -> tuple[list[str], bool]:
    """The cleaned, scrubbed lines of a document (file numbering kept) and whether it is restricted."""
    raw = read_document(Path(path)).replace("\r\n", "\n").replace("\r", "\n")
    # Boilerplate is dropped line by line so that a dropped line leaves its number behind.
    lines = [clean_text(strip_boilerplate(ln)) for ln in raw.split("\n")]
    text = scrub("\n".join(lines))
    return text.split("\n"), is_restricted(text)


def _is_heading(line: str) -> bool:
    # A heading that runs on into sentences is body text (as knowledge.chunk treats it).
    found = heading_level(line)
    return found is not None and len(line.strip("*# ")) <= len(found[1]) + 1


def line_sentences(lines: Sequence[str], patterns: FactPatterns) -> list[Sentence]:
    """The sentences of the body lines, each with its 1-based line number."""
    sentences = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or _is_heading(line) or any(p.search(line) for p in patterns.skip_lines):
            continue
        for text in split_sentences(line):
            if len(text) >= patterns.min_chars:
                sentences.append(Sentence(number, text))
    return sentences


def parse_source(source: str) -> dict[str, list[tuple[int, int]]]:
    """The line ranges an entry's ``source`` cites, per document name.

    A line reference belongs to the last document named before it, so
    ``"004_x.txt L10; L12–14; 000_y.txt L3"`` cites 004 lines 10 and 12 to 14, and 000 line 3.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be str, got {type(source).__name__}")
    cited: dict[str, list[tuple[int, int]]] = {}
    current = ""
    for match in _CITATION_RE.finditer(source):
        if match.group("file"):
            current = match.group("file")
            continue
        if not current:
            raise ValueError(f"source {source!r}: line reference before any document name")
        start = int(match.group("start"))
        end = int(match.group("end") or start)
        if end < start:
            raise ValueError(f"source {source!r}: line range L{start}-{end} runs backwards")
        cited.setdefault(current, []).append((start, end))
    return cited


def citations(entries: Iterable[Entry]) -> dict[str, list[tuple[int, int, str]]]:
    """Every cited line range per document name, with the citing entry's id."""
    table: dict[str, list[tuple[int, int, str]]] = {}
    for entry in entries:
        try:
            cited = parse_source(entry.source)
        except ValueError as exc:
            raise ValueError(f"entry {entry.id}: {exc}") from exc
        for name, ranges in cited.items():
            table.setdefault(name, []).extend((start, end, entry.id) for start, end in ranges)
    return table


def _citing(line: int, ranges: Sequence[tuple[int, int, str]]) -> tuple[str, ...]:
    return tuple(sorted({entry_id for start, end, entry_id in ranges if start <= line <= end}))


def document_coverage(
    path: Path,
    cited: Mapping[str, Sequence[tuple[int, int, str]]],
    patterns: FactPatterns,
) -> DocumentCoverage:
    """The fact-bearing sentences of one public document and who cites them."""
    path = Path(path)
    lines, restricted = document_lines(path)
    if restricted:
        log.info("coverage: %s is restricted (不予公开/内部资料), skipped", path.name)
        return DocumentCoverage(path.name, skipped="restricted")
    ranges = cited.get(path.name, ())
    facts = []
    for sentence in line_sentences(lines, patterns):
        types = patterns.classify(sentence.text)
        if types:
            facts.append(FactSentence(sentence.line, sentence.text, types, _citing(sentence.line, ranges)))
    return DocumentCoverage(path.name, tuple(facts))


def measure_coverage(
    paths: Iterable[Path],
    entries: Iterable[Entry],
    patterns: FactPatterns | None = None,
) -> CoverageReport:
    """Coverage of the given documents by the given entries."""
    patterns = patterns or load_fact_patterns()
    cited = citations(entries)
    documents = tuple(document_coverage(Path(p), cited, patterns) for p in paths)
    by_type: dict[str, tuple[int, int]] = {t.name: (0, 0) for t in patterns.types}
    for doc in documents:
        for fact in doc.facts:
            for name in fact.types:
                n, c = by_type[name]
                by_type[name] = (n + 1, c + fact.cited)
    return CoverageReport(documents, by_type)


def shorten(text: str, width: int = 60) -> str:
    """The text cut to ``width`` characters, with an ellipsis when cut."""
    if width < 2:
        raise ValueError("width must be at least 2")
    return text if len(text) <= width else text[: width - 1] + "…"

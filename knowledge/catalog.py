"""Curated knowledge entries: the YAML files under ``knowledge/entries/``.

Each entry is written for callers (or agents) and traceable to a seed source line.
The schema is checked on load so that a malformed entry fails loudly, naming its file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

AUDIENCES = ("public", "agent")
POINT_KEYS = ("materials", "channel", "time_limit", "eligibility", "cost", "steps")
_SOURCE_RE = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt L\d+")
# Entries imported from a centre's FAQ sheet (knowledge/faq_sheet.py) carry ids with this prefix.
# Their source is the sheet's free text (a URL, a document name) and a sheet gives one phrasing per
# row; curated entries keep the seed-line citation and at least three phrasings.
IMPORTED_PREFIX = "faq-"
# Drafts proposed from an ingested document carry this prefix and cite "<document name> L<line>".
DOCUMENT_PREFIX = "doc-"
# Drafts made from what callers asked and agents answered (api/services/kb_clusters.py): the source
# says where the answer came from until the editor names the rule; callers' own phrasings may be few.
LINE_PREFIX = "line-"
_DOCUMENT_SOURCE_RE = re.compile(r"^\S.*\.(?:txt|md|docx|pdf|html?) L\d+$")
SOURCE_MAX = 200


def is_imported(entry_id: str) -> bool:
    """Whether an entry id names an entry imported from an FAQ sheet."""
    return str(entry_id).startswith(IMPORTED_PREFIX)


def source_ok(entry_id: str, source: str) -> bool:
    """A curated source cites a seed line; an imported one is any free text up to ``SOURCE_MAX``;
    a draft proposed from a document (``knowledge/doc_drafts.py``) cites a line of any document."""
    if is_imported(entry_id) or str(entry_id).startswith(LINE_PREFIX):
        return 0 < len(source.strip()) <= SOURCE_MAX
    if str(entry_id).startswith(DOCUMENT_PREFIX):
        return len(source) <= SOURCE_MAX and bool(_DOCUMENT_SOURCE_RE.match(source))
    return bool(_SOURCE_RE.match(source))


def min_questions(entry_id: str) -> int:
    """Phrasings an entry needs: three for a curated entry, one for an imported row."""
    return 1 if is_imported(entry_id) or str(entry_id).startswith(LINE_PREFIX) else 3


@dataclass(frozen=True)
class Entry:
    """One curated question-and-answer unit (一次性告知: the answer is complete on its own)."""

    id: str
    topic: str
    questions: tuple[str, ...]
    answer: str
    region: str | None
    audience: str
    source: str
    effective: str
    points: dict[str, str] = field(default_factory=dict)
    title: str = ""

    @property
    def display_title(self) -> str:
        return self.title or self.questions[0]


class CatalogError(ValueError):
    """A curated entry breaks the schema; the message names the file and entry."""


def _as_date_text(value: object, where: str) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value or "").strip()
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
        raise CatalogError(f"{where}: effective must be YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    return text


def parse_entry(raw: dict, where: str) -> Entry:
    """Validate one raw YAML mapping and build an Entry."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: entry must be a mapping")
    missing = [k for k in ("id", "topic", "questions", "answer", "audience", "source") if not raw.get(k)]
    if missing:
        raise CatalogError(f"{where}: missing {', '.join(missing)}")
    questions = tuple(str(q).strip() for q in raw["questions"] if str(q).strip())
    if len(questions) < min_questions(str(raw["id"])):
        raise CatalogError(f"{where} ({raw['id']}): needs at least 3 question variants")
    audience = str(raw["audience"])
    if audience not in AUDIENCES:
        raise CatalogError(f"{where} ({raw['id']}): audience must be one of {AUDIENCES}")
    source = str(raw["source"]).strip()
    if not source_ok(str(raw["id"]), source):
        raise CatalogError(
            f"{where} ({raw['id']}): source must look like '004_<hash>.txt L123', got {source!r}"
        )
    points = raw.get("points") or {}
    unknown = set(points) - set(POINT_KEYS)
    if unknown:
        raise CatalogError(f"{where} ({raw['id']}): unknown points {sorted(unknown)}")
    region = raw.get("region")
    return Entry(
        id=str(raw["id"]),
        topic=str(raw["topic"]),
        questions=questions,
        answer=str(raw["answer"]).strip(),
        region=str(region).strip() if region else None,
        audience=audience,
        source=source,
        effective=_as_date_text(raw.get("effective"), f"{where} ({raw['id']})"),
        points={str(k): str(v) for k, v in points.items()},
        title=str(raw.get("title") or ""),
    )


def load_entries(paths: Iterable[Path] | Path) -> list[Entry]:
    """Load every ``*.yaml`` file (a folder or a list of files); ids must be unique."""
    if isinstance(paths, Path):
        paths = sorted(paths.glob("*.yaml")) if paths.is_dir() else [paths]
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for path in paths:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise CatalogError(f"{path}: top level must be a list of entries")
        for i, raw in enumerate(data):
            entry = parse_entry(raw, f"{Path(path).name}#{i}")
            if is_imported(entry.id):
                raise CatalogError(f"{path}: id {entry.id} uses the prefix reserved for imported FAQ rows")
            if entry.id in seen:
                raise CatalogError(f"{path}: duplicate id {entry.id} (also in {seen[entry.id]})")
            seen[entry.id] = Path(path).name
            entries.append(entry)
    return entries

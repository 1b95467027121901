"""A curated knowledge entry as the editor (and an import) sends it: the schema, the views of its
versions, the editor's errors, and the validation that names every problem in Chinese."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.errors import Conflict, DomainError, NotFound
from api.schemas import AnswerPublic
from api.texts import text
from knowledge.catalog import (
    AUDIENCES,
    POINT_KEYS,
    CatalogError,
    Entry,
    min_questions,
    parse_entry,
    source_ok,
)
from knowledge.regions import region_table

__all__ = [
    "EntryDetail",
    "EntryExists",
    "EntryIn",
    "EntryInvalid",
    "EntryNotFound",
    "EntryRetired",
    "EntrySummary",
    "NothingToPublish",
    "PreviewPublic",
    "PublishResult",
    "ReasonRequired",
    "VersionPublic",
    "entry_to_raw",
    "validate",
]

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class EntryInvalid(DomainError):
    status_code = 422
    key = "kb_entry_invalid"


class ReasonRequired(DomainError):
    status_code = 422
    key = "kb_reason_required"


class EntryExists(Conflict):
    key = "kb_entry_exists"


class EntryNotFound(NotFound):
    key = "kb_entry_not_found"


class EntryRetired(Conflict):
    key = "kb_entry_retired"


class NothingToPublish(Conflict):
    key = "kb_nothing_to_publish"


class EntryIn(BaseModel):
    """An entry as the editor form sends it (the catalog schema of knowledge/catalog.py)."""

    id: str = Field(default="", max_length=64)
    topic: str = Field(default="", max_length=64)
    title: str = Field(default="", max_length=120)
    questions: list[str] = Field(default_factory=list, max_length=60)
    answer: str = Field(default="", max_length=4000)
    region: str | None = Field(default=None, max_length=64)
    audience: str = Field(default="public", max_length=16)
    source: str = Field(default="", max_length=200)
    effective: str = Field(default="", max_length=10)
    points: dict[str, str] = Field(default_factory=dict)


class VersionPublic(BaseModel):
    entry_id: str
    version: int
    action: Literal["create", "edit", "retire"]
    author: str
    reason: str
    created_at: dt.datetime
    published_at: dt.datetime | None = None
    published_by: str | None = None
    data: dict[str, Any] | None = None


class EntrySummary(BaseModel):
    id: str
    title: str
    topic: str
    region: str | None = None
    audience: str
    status: Literal["yaml", "published", "retired", "new"]  # new: only a draft so far
    draft: Literal["create", "edit", "retire"] | None = None


class EntryDetail(BaseModel):
    summary: EntrySummary
    published: dict[str, Any] | None = None  # what callers get now (None: retired or not yet published)
    draft: dict[str, Any] | None = None
    history: list[VersionPublic] = Field(default_factory=list)


class PreviewPublic(BaseModel):
    question: str
    draft: AnswerPublic
    current: AnswerPublic


class PublishResult(BaseModel):
    published: list[str]
    added_or_changed: int
    removed: int
    total: int


def entry_to_raw(entry: Entry) -> dict[str, Any]:
    """An entry as the plain mapping the YAML files (and the version rows) hold."""
    return {
        "id": entry.id,
        "topic": entry.topic,
        "title": entry.title,
        "questions": list(entry.questions),
        "answer": entry.answer,
        "region": entry.region,
        "audience": entry.audience,
        "source": entry.source,
        "effective": entry.effective,
        "points": dict(entry.points),
    }


def validate(data: EntryIn | Mapping[str, Any]) -> Entry:
    """Check an entry against the catalog schema; the error names every problem in Chinese."""
    raw = data.model_dump() if isinstance(data, EntryIn) else dict(data)
    problems: list[str] = []
    entry_id = str(raw.get("id") or "").strip()
    required = ("id", "topic", "answer", "audience", "source", "effective")
    missing = [text(f"kb_field_{k}") for k in required if not str(raw.get(k) or "").strip()]
    if missing:
        problems.append(text("kb_missing", fields="、".join(missing)))
    if entry_id and not _ID_RE.match(entry_id):
        problems.append(text("kb_bad_id"))
    questions = []
    for q in raw.get("questions") or []:
        q = str(q).strip()
        if q and q not in questions:
            questions.append(q)
    if len(questions) < min_questions(entry_id):
        problems.append(text("kb_few_questions"))
    audience = str(raw.get("audience") or "")
    if audience and audience not in AUDIENCES:
        problems.append(text("kb_bad_audience"))
    source = str(raw.get("source") or "").strip()
    if source and not source_ok(entry_id, source):
        problems.append(text("kb_bad_source"))
    effective = str(raw.get("effective") or "").strip()
    if effective and not _DATE_RE.match(effective):
        problems.append(text("kb_bad_effective"))
    points = {str(k): str(v).strip() for k, v in (raw.get("points") or {}).items() if str(v).strip()}
    unknown = sorted(set(points) - set(POINT_KEYS))
    if unknown:
        problems.append(text("kb_bad_points", keys="、".join(unknown), allowed="、".join(POINT_KEYS)))
    region = str(raw.get("region") or "").strip() or None
    if region:
        try:
            region = region_table().canonical(region)
        except ValueError:
            problems.append(text("kb_bad_region", region=region))
    if problems:
        raise EntryInvalid("; ".join(problems), reason="；".join(problems))
    cleaned = {
        **raw,
        "id": entry_id,
        "questions": questions,
        "region": region,
        "source": source,
        "effective": effective,
        "points": points,
        "topic": str(raw["topic"]).strip(),
        "title": str(raw.get("title") or "").strip(),
        "answer": str(raw["answer"]).strip(),
    }
    try:
        return parse_entry(cleaned, f"editor:{entry_id}")
    except CatalogError as exc:  # the catalog's own check is the final word
        raise EntryInvalid(str(exc), reason=str(exc)) from exc

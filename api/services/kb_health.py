"""What in the published knowledge base needs an editor's look: stale entries and conflicting figures.

The entries looked at are those callers get: the curated YAML overlaid by what the editor published
(drafts are not live yet). An entry is stale ``HOTLINE_KB_REVIEW_MONTHS`` after its ``effective``
date (its answers then state that date, see ``knowledge.answering``); two entries of one topic and
region conflict when they state different values of one figure about the same thing
(``knowledge.review.conflicts``). The editor shows both as flags beside the entries.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.services import kb_editor
from api.services.knowledge import apply_overlay
from api.settings import Settings
from knowledge.catalog import Entry, load_entries
from knowledge.review import GENERIC_TERMS, conflicts, date_label, is_stale, review_due
from knowledge.textnorm import domain_terms

__all__ = [
    "ConflictPublic",
    "KbReview",
    "StaleEntry",
    "entry_text",
    "live_entries",
    "review",
    "terms_of",
    "yaml_entries",
]


class StaleEntry(BaseModel):
    id: str
    title: str
    topic: str
    region: str | None = None
    effective: str
    effective_label: str  # as callers hear it: 2023年8月
    review_due: dt.date


class ConflictPublic(BaseModel):
    topic: str
    region: str | None = None
    entry_ids: list[str]
    figures: list[str]  # the disagreeing figures, in the order of entry_ids
    about: list[str]  # the terms both clauses name


class KbReview(BaseModel):
    review_months: int
    stale: list[StaleEntry] = Field(default_factory=list)
    conflicts: list[ConflictPublic] = Field(default_factory=list)


@lru_cache(maxsize=1)
def _terms() -> tuple[str, ...]:
    return tuple(t for t in domain_terms() if len(t) >= 2)


def terms_of(clause: str) -> list[str]:
    """The domain terms a clause names (what its figure is about)."""
    return [t for t in _terms() if t in clause]


def entry_text(entry: Entry) -> str:
    """What an entry tells a caller: its answer and its points."""
    return "。".join([entry.answer, *entry.points.values()])


@lru_cache(maxsize=4)
def _yaml_entries(folder: str, stamp: float) -> tuple[Entry, ...]:
    return tuple(load_entries(Path(folder)))


def yaml_entries(settings: Settings) -> tuple[Entry, ...]:
    """The curated YAML entries, parsed once per change of the folder (parsing takes about a second)."""
    folder = Path(settings.kb_entries_dir)
    stamp = max((p.stat().st_mtime for p in folder.glob("*.yaml")), default=0.0) if folder.is_dir() else 0.0
    return _yaml_entries(str(folder), stamp)


def live_entries(session: Session, settings: Settings) -> list[Entry]:
    """The entries callers get now: the YAML files overlaid by the editor's published versions."""
    overlay = kb_editor.published_overlay(session, settings)
    return apply_overlay(yaml_entries(settings), overlay)


def review(session: Session, settings: Settings, *, today: dt.date | None = None) -> KbReview:
    """Stale entries (oldest first) and conflicting pairs among the published entries."""
    today = today or dt.date.today()
    months = settings.kb_review_months
    entries = live_entries(session, settings)
    stale = []
    for entry in entries:
        due = review_due(entry.effective, months)
        if due is not None and is_stale(entry.effective, months=months, today=today):
            stale.append(
                StaleEntry(
                    id=entry.id,
                    title=entry.display_title,
                    topic=entry.topic,
                    region=entry.region,
                    effective=entry.effective,
                    effective_label=date_label(entry.effective),
                    review_due=due,
                )
            )
    stale.sort(key=lambda s: (s.review_due, s.id))
    found = conflicts(
        [(e.id, e.topic, e.region, entry_text(e)) for e in entries], terms_of, generic=GENERIC_TERMS
    )
    return KbReview(
        review_months=months,
        stale=stale,
        conflicts=[
            ConflictPublic(
                topic=c.topic,
                region=c.region,
                entry_ids=[c.first, c.second],
                figures=[c.first_figure, c.second_figure],
                about=list(c.about),
            )
            for c in found
        ],
    )

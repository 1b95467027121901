"""The editor's review queue of proposed entries: drafts from documents, from the line, from imports.

- ``propose_from_documents``: the fact-bearing sentences of ingested public documents that no live
  entry cites become draft entries (``knowledge.doc_drafts``), stored as editor drafts by
  ``kb_editor.save_many`` in one transaction. Ids are stable, so ingesting a document again
  proposes nothing twice, and a rejected proposal stays rejected.
- ``queue``: every pending draft with where it comes from (document, line, import, editor).
- ``accept`` publishes one draft (``kb_editor.publish``), ``reject`` drops a never-published one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.services import kb_editor
from api.services.kb_entries import EntryInvalid, EntrySummary, PublishResult, VersionPublic, validate
from api.services.kb_health import live_entries, yaml_entries
from api.settings import Settings
from knowledge.catalog import DOCUMENT_PREFIX, IMPORTED_PREFIX, LINE_PREFIX
from knowledge.coverage import load_fact_patterns
from knowledge.doc_drafts import DraftProposal, propose

log = logging.getLogger(__name__)

__all__ = ["DraftReport", "QueueItem", "accept", "origin_of", "propose_from_documents", "queue", "reject"]

INGEST_AUTHOR = "kb-ingest"
Origin = Literal["document", "line", "import", "editor"]


class DraftReport(BaseModel):
    """What ``hotline kb ingest`` proposed: new drafts, and why other fact sentences were not."""

    documents: int
    created: list[str] = Field(default_factory=list)
    known: int = 0  # proposed before (pending, published or rejected)
    undated: int = 0  # the document states no date: an entry needs one (add it and ingest again)
    invalid: int = 0


class QueueItem(BaseModel):
    summary: EntrySummary
    draft: VersionPublic
    origin: Origin


def origin_of(entry_id: str) -> Origin:
    """Where a proposed entry comes from, told by its id's prefix."""
    if entry_id.startswith(DOCUMENT_PREFIX):
        return "document"
    if entry_id.startswith(LINE_PREFIX):
        return "line"
    if entry_id.startswith(IMPORTED_PREFIX):
        return "import"
    return "editor"


def _known_ids(session: Session, settings: Settings) -> set[str]:
    """Every entry id the editor has seen: YAML entries and any id with a version (rejected too)."""
    ids = {e.id for e in yaml_entries(settings)}
    ids.update(v.entry_id for _, v in kb_editor.pending(session, settings))
    overlay = kb_editor.published_overlay(session, settings)
    ids.update(overlay["entries"])
    ids.update(overlay["retired"])
    return ids


def propose_from_documents(
    session: Session, settings: Settings, paths: Sequence[Path], *, author: str = INGEST_AUTHOR
) -> DraftReport:
    """Store draft entries for the uncited fact sentences of ``paths`` (restricted ones are skipped)."""
    patterns = load_fact_patterns()
    entries = live_entries(session, settings)
    known = _known_ids(session, settings)
    report = DraftReport(documents=len(paths))
    fresh: list[DraftProposal] = []
    for path in paths:
        for proposal in propose(Path(path), entries, patterns):
            if proposal.id in known:
                report.known += 1
            elif not proposal.data["effective"]:
                report.undated += 1
            else:
                fresh.append(proposal)
                known.add(proposal.id)
    valid = []
    for proposal in fresh:
        try:
            valid.append(validate(proposal.data))
        except EntryInvalid as exc:
            report.invalid += 1
            log.info("kb_drafts.invalid id=%s source=%s: %s", proposal.id, proposal.data["source"], exc)
    if valid:
        names = "、".join(sorted({Path(p).name for p in paths}))[:200]
        outcome = kb_editor.save_many(
            session, settings, entries=valid, author=author, reason=f"文档摘录待审核：{names}"
        )
        session.commit()
        report.created = sorted(i for i, what in outcome.items() if what == "create")
    log.info(
        "kb_drafts.proposed documents=%d created=%d known=%d undated=%d invalid=%d",
        report.documents,
        len(report.created),
        report.known,
        report.undated,
        report.invalid,
    )
    return report


def queue(session: Session, settings: Settings, *, origin: Origin | None = None) -> list[QueueItem]:
    """The pending drafts, newest first, with their origin (optionally only one origin)."""
    items = [
        QueueItem(summary=summary, draft=draft, origin=origin_of(summary.id))
        for summary, draft in kb_editor.pending(session, settings)
    ]
    return [i for i in items if origin is None or i.origin == origin]


def accept(session: Session, settings: Settings, *, entry_id: str, by: str) -> PublishResult:
    """Publish one reviewed draft: callers get it from now on."""
    return kb_editor.publish(session, settings, by=by, entry_ids=[entry_id])


def reject(session: Session, settings: Settings, *, entry_id: str, by: str, reason: str) -> VersionPublic:
    """Drop a proposal that was never published; it is not proposed again."""
    return kb_editor.reject(session, settings, entry_id=entry_id, author=by, reason=reason)

"""Import a centre's FAQ spreadsheet into the knowledge base through the editor's versions.

Every row of the sheet is checked first (``knowledge/faq_sheet.py``); a sheet with any bad row
writes nothing and the report lists every problem by row. A good sheet becomes one entry per
row, with an id derived from its question and region, so a re-import of the same sheet matches
its rows and stores a new version only where a row changed. The phrasings callers use are
generated offline (``knowledge/phrasing.py``) and stored with the entry's questions. Imported
rows are published by default (a centre's FAQ is already approved) in one publish with one
index sync; ``draft`` leaves them in the editor's review queue instead.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.services import kb_editor
from api.services.kb_entries import validate
from api.settings import Settings
from api.texts import text
from knowledge.catalog import IMPORTED_PREFIX, Entry
from knowledge.faq_sheet import FaqRow, RowError, SheetInvalid, parse_sheet, question_key
from knowledge.phrasing import MAX_QUESTIONS, with_phrasings

log = logging.getLogger(__name__)

__all__ = ["ImportReport", "RowErrorPublic", "RowResult", "entry_id_for", "import_sheet", "row_entry"]

RowStatus = Literal["create", "edit", "unchanged", "pending", "retired"]


class RowErrorPublic(BaseModel):
    row: int
    column: str
    reason: str


class RowResult(BaseModel):
    row: int
    entry_id: str
    question: str
    region: str | None
    status: RowStatus
    phrasings: int


class ImportReport(BaseModel):
    """What an import did (or, with errors or a dry run, would do); nothing is written on errors."""

    file: str
    ok: bool
    draft: bool
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    drafts: int = 0  # rows left in the review queue
    retired: int = 0  # rows an editor retired: not brought back
    indexed: int = 0  # entries embedded again by the index sync
    rows: list[RowResult] = Field(default_factory=list)
    errors: list[RowErrorPublic] = Field(default_factory=list)


def entry_id_for(question: str, region: str | None) -> str:
    """A stable id of a sheet row: its question (punctuation ignored) and its region."""
    digest = hashlib.sha1(f"{question_key(question)}|{region or ''}".encode()).hexdigest()
    return f"{IMPORTED_PREFIX}{digest[:16]}"


def row_entry(row: FaqRow, *, variants: bool = True) -> Entry:
    """The entry of a checked row: its phrasings plus the generated ones (``variants``)."""
    questions = [row.question, *row.similar]
    if variants:
        questions = with_phrasings(questions, region=row.region, answer=row.answer)
    return validate(
        {
            "id": entry_id_for(row.question, row.region),
            "topic": row.topic,
            "title": row.question,
            "questions": questions[:MAX_QUESTIONS],
            "answer": row.answer,
            "region": row.region,
            "audience": row.audience,
            "source": row.source,
            "effective": row.effective,
            "points": {},
        }
    )


def _error_public(error: RowError) -> RowErrorPublic:
    column = text(f"kb_import_col_{error.column}") if error.column else ""
    return RowErrorPublic(
        row=error.row,
        column=column,
        reason=text(f"kb_import_{error.code}", detail=error.detail, column=column),
    )


def import_sheet(
    session: Session,
    settings: Settings,
    *,
    data: bytes,
    filename: str,
    author: str,
    draft: bool = False,
    dry_run: bool = False,
    variants: bool = True,
) -> ImportReport:
    """Check a sheet and store its rows as entry versions (published unless ``draft``).

    The versions and the publish are one transaction: the session is committed only after the
    index is saved, and rolled back (nothing imported) when the sheet or the sync fails.
    """
    name = Path(filename).name
    report = ImportReport(file=name, ok=False, draft=draft, dry_run=dry_run)
    try:
        rows = parse_sheet(data, name)
    except SheetInvalid as exc:
        report.errors = [_error_public(e) for e in exc.errors]
        log.info("kb_import.rejected file=%s errors=%d", name, len(exc.errors))
        return report
    entries = [row_entry(r, variants=variants) for r in rows]
    outcome = kb_editor.save_many(
        session, settings, entries=entries, author=author, reason=f"FAQ 导入: {name}", dry_run=dry_run
    )
    report.ok = True
    report.rows = [
        RowResult(
            row=r.row,
            entry_id=e.id,
            question=r.question,
            region=r.region,
            status=outcome[e.id],  # type: ignore[arg-type]
            phrasings=len(e.questions),
        )
        for r, e in zip(rows, entries, strict=True)
    ]
    statuses = [row.status for row in report.rows]
    report.created, report.updated = statuses.count("create"), statuses.count("edit")
    report.unchanged = statuses.count("unchanged") + statuses.count("pending")
    report.retired = statuses.count("retired")
    to_publish = [row.entry_id for row in report.rows if row.status in ("create", "edit", "pending")]
    if dry_run:
        return report
    if draft or not to_publish:
        report.drafts = len(to_publish) if draft else 0
        session.commit()
    else:
        result = kb_editor.publish(session, settings, by=author, entry_ids=to_publish)
        report.indexed = result.added_or_changed
    log.info(
        "kb_import.done file=%s created=%d updated=%d unchanged=%d drafts=%d",
        name,
        report.created,
        report.updated,
        report.unchanged,
        report.drafts,
    )
    return report

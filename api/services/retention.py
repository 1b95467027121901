"""Retention: callers' personal data is kept ``HOTLINE_RETENTION_DAYS`` days, then purged.

What goes, once older than the period (0 days keeps everything):
- chat and phone conversations idle that long: every turn's text and data are emptied (the rows,
  speakers, kinds and dates stay, so answer rates and volumes still count), hand-off slots cleared;
- call recordings and call transcripts under ``data_dir/calls`` (deleted);
- quality-inspection results scored that long ago: transcript text and finding evidence emptied
  (scores, rules and reviews stay);
- closed work orders (closed that long ago): caller name, phone and description, history
  comments, callback notes and attached transcripts (topic, category, region, status, department,
  satisfaction and dates stay for statistics).

Run by ``hotline purge [--dry-run]`` and once a day in the API process
(``HOTLINE_RETENTION_INTERVAL_S``, scheduled by ``api/jobs.py``). Only counts are logged, never
what was purged.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.orm import Session

from api.db import unit_of_work
from api.models.inspection import QaFinding, QaResult
from api.models.tickets import Ticket, TicketAttachment, TicketCallback, TicketEvent
from api.services.conversations import bulk
from api.services.registry import get_session_factory
from api.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["PURGED_TEXT", "PurgeReport", "purge", "run_purge"]

PURGED_TEXT = "（已超过保存期限，个人信息已清除）"
_CALL_SUFFIXES = (".wav", ".json")


@dataclass
class PurgeReport:
    """How many items were (or, in a dry run, would be) purged."""

    cutoff: dt.datetime
    dry_run: bool
    conversations: int = 0
    turns: int = 0
    call_files: int = 0
    qa_results: int = 0
    tickets: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cutoff"] = self.cutoff.isoformat()
        return data


def _purge_conversations(db: Session, cutoff: dt.datetime, report: PurgeReport) -> None:
    report.turns, report.conversations = bulk.erase_before(db, cutoff, dry_run=report.dry_run)


def _purge_inspection(db: Session, cutoff: dt.datetime, report: PurgeReport) -> None:
    rows = db.scalars(select(QaResult).where(QaResult.scored_at < cutoff)).all()
    stale = [r for r in rows if not (r.transcript or {}).get("purged")]
    report.qa_results = len(stale)
    if report.dry_run:
        return
    for result in stale:
        transcript = dict(result.transcript or {})
        turns = [
            {"speaker": t.get("speaker", ""), "text": ""}
            for t in transcript.get("turns", [])
            if isinstance(t, dict)
        ]
        result.transcript = {**transcript, "turns": turns, "purged": True}
    if stale:
        db.execute(
            update(QaFinding).where(QaFinding.result_id.in_([r.id for r in stale])).values(evidence=[])
        )


def _purge_tickets(db: Session, cutoff: dt.datetime, report: PurgeReport) -> None:
    from api.services.tickets import CLOSED_STATUSES

    stale = select(Ticket.id).where(
        Ticket.status.in_(sorted(CLOSED_STATUSES)),
        func.coalesce(Ticket.closed_at, Ticket.updated_at) < cutoff,
        or_(Ticket.caller_phone != "", Ticket.caller_name != "", Ticket.description != PURGED_TEXT),
    )
    ids = list(db.scalars(stale))
    report.tickets = len(ids)
    if report.dry_run or not ids:
        return
    personal = {"caller_name": "", "caller_phone": "", "description": PURGED_TEXT}
    db.execute(update(Ticket).where(Ticket.id.in_(ids)).values(**personal))
    db.execute(update(TicketEvent).where(TicketEvent.ticket_id.in_(ids)).values(comment="", data={}))
    db.execute(update(TicketCallback).where(TicketCallback.ticket_id.in_(ids)).values(result=""))
    # A Core DELETE on the table (no ORM session synchronisation). ``__table__`` is typed FromClause
    # since a class may be mapped to any selectable; this one is declared with __tablename__.
    attachments = TicketAttachment.__table__
    assert isinstance(attachments, Table)
    db.execute(attachments.delete().where(TicketAttachment.ticket_id.in_(ids)))


def _purge_call_files(folder: Path, cutoff: dt.datetime, report: PurgeReport) -> None:
    if not folder.is_dir():
        return
    limit = cutoff.timestamp()
    for path in folder.iterdir():
        if path.suffix in _CALL_SUFFIXES and path.is_file() and path.stat().st_mtime < limit:
            report.call_files += 1
            if not report.dry_run:
                path.unlink(missing_ok=True)


def purge(
    db: Session,
    *,
    days: int,
    data_dir: Path,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PurgeReport:
    """Purge (or count, when ``dry_run``) personal data older than ``days``; one unit of work."""
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    now = now or dt.datetime.now(dt.UTC)
    report = PurgeReport(cutoff=now - dt.timedelta(days=days), dry_run=dry_run)
    if days == 0:
        return report  # 0 keeps everything
    _purge_conversations(db, report.cutoff, report)
    _purge_inspection(db, report.cutoff, report)
    _purge_tickets(db, report.cutoff, report)
    if not dry_run:
        db.commit()
    _purge_call_files(Path(data_dir) / "calls", report.cutoff, report)
    return report


def run_purge(settings: Settings, *, dry_run: bool = False, now: dt.datetime | None = None) -> PurgeReport:
    """Purge on the configured database and data folder with ``HOTLINE_RETENTION_DAYS``."""
    with unit_of_work(get_session_factory(settings)) as db:
        report = purge(db, days=settings.retention_days, data_dir=settings.data_dir, dry_run=dry_run, now=now)
    log.info(
        "retention.purge dry_run=%s cutoff=%s conversations=%d turns=%d call_files=%d "
        "qa_results=%d tickets=%d",
        report.dry_run,
        report.cutoff.date().isoformat(),
        report.conversations,
        report.turns,
        report.call_files,
        report.qa_results,
        report.tickets,
    )
    return report

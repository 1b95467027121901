"""The audit log: who saw (or acted on) which caller's data, in which role, when, from where.

Routes that show a caller's data call ``record`` with the principal of the request; the row
is written in its own short transaction so that an audit entry exists even when the view
itself only reads. ``search`` serves ``GET /api/audit`` (administrators).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Annotated

from fastapi import Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models.users import AuditEntry

if TYPE_CHECKING:
    from api.deps import Principal

log = logging.getLogger(__name__)

__all__ = ["AuditList", "AuditPublic", "record", "search"]

# Actions recorded by the routes (kept short: they are filter values in the console).
TICKET_VIEW = "ticket.view"
TRANSCRIPT_VIEW = "transcript.view"
HANDOFF_ACCEPT = "handoff.accept"
QA_RESULT_VIEW = "qa_result.view"


class AuditPublic(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    role: str
    action: str
    subject_type: str
    subject_id: str
    ip: str | None = None


class AuditList(BaseModel):
    total: int
    items: list[AuditPublic]


def record(
    session: Session,
    principal: Principal | None,
    action: str,
    subject_type: str,
    subject_id: str | int,
    request: Request | None = None,
) -> None:
    """Write one audit row and commit it; anonymous access (the caller's own widget) is not logged."""
    if principal is None:
        return
    ip = request.client.host if request is not None and request.client else None
    session.add(
        AuditEntry(
            actor=principal.name[:64],
            role=principal.role[:16],
            action=action[:32],
            subject_type=subject_type[:32],
            subject_id=str(subject_id)[:128],
            ip=ip,
        )
    )
    session.commit()


def search(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Annotated[int, Field(ge=1, le=1000)] = 100,
    offset: int = 0,
) -> AuditList:
    """Audit rows, newest first, filtered by person, action, subject and time range."""
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if subject_type:
        query = query.where(AuditEntry.subject_type == subject_type)
    if subject_id:
        query = query.where(AuditEntry.subject_id == subject_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    return AuditList(total=total, items=[AuditPublic.model_validate(r, from_attributes=True) for r in rows])

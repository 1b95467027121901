"""``GET /api/audit``: the audit log of who saw which caller's data (administrators only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import Principal, SessionDep, require_role
from api.services import audit

router = APIRouter(prefix="/api/audit", tags=["audit"])

AdminDep = Annotated[Principal, Depends(require_role("admin"))]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Query datetimes without an offset are read as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


@router.get("", response_model=audit.AuditList)
def list_audit(
    session: SessionDep,
    principal: AdminDep,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    subject_type: Annotated[str | None, Query(max_length=32)] = None,
    subject_id: Annotated[str | None, Query(max_length=128)] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,  # bounded: DB int range
) -> audit.AuditList:
    """Audit rows, newest first; filter by person, action, subject (e.g. a ticket number) and time."""
    return audit.search(
        session,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        since=_aware(since),
        until=_aware(until),
        limit=limit,
        offset=offset,
    )

"""Escalation of overdue work orders (督办) and the supervisors' notifications it raises.

``escalate_overdue`` works inside the caller's transaction; ``run_escalation`` is one pass of the
job in a unit of work of its own (the API's background job and ``hotline tickets escalate``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import texts
from api.db import begin_write, unit_of_work
from api.models.base import utcnow
from api.models.tickets import Ticket, TicketNotification
from api.services.registry import get_session_factory
from api.services.ticket_rules import TicketRules, rules_from_settings
from api.services.tickets import store
from api.services.tickets.states import CLOCK_STATUSES, raise_priority
from api.settings import Settings

log = logging.getLogger(__name__)


def escalate_overdue(
    session: Session, *, now: dt.datetime | None = None, rules: TicketRules | None = None
) -> list[str]:
    """Escalate every order past its time limit once: priority up, supervisors notified.

    An order is escalated again only after a reopen gives it a new limit. Safe to run from
    several processes at once (PostgreSQL skips rows another run has locked).
    """
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(store.rules_or_configured(rules).timezone)
    begin_write(session)
    stmt = (
        select(Ticket)
        .where(Ticket.status.in_(CLOCK_STATUSES), Ticket.due_at < now, Ticket.escalated_at.is_(None))
        .order_by(Ticket.due_at)
        .with_for_update(skip_locked=True)
    )
    escalated: list[str] = []
    for ticket in session.scalars(stmt):
        before = ticket.priority
        ticket.priority = raise_priority(before)
        ticket.escalated_at = now
        ticket.escalation_count += 1
        ticket.updated_at = now
        due_local = ticket.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        message = texts.text(
            "ticket_escalated", number=ticket.number, due=due_local, priority=ticket.priority
        )
        store.add_event(
            ticket,
            kind="escalated",
            actor="system",
            channel="job",
            at=now,
            comment=message,
            data={"from_priority": before, "priority": ticket.priority, "due_at": ticket.due_at.isoformat()},
        )
        session.add(
            TicketNotification(
                ticket_id=ticket.id, role="supervisor", kind="overdue", message=message, created_at=now
            )
        )
        escalated.append(ticket.number)
    session.flush()
    if escalated:
        log.warning("tickets.escalated count=%d numbers=%s", len(escalated), ",".join(escalated))
    return escalated


def run_escalation(settings: Settings, *, now: dt.datetime | None = None) -> list[str]:
    """One pass of the escalation job on the configured database (CLI and the API's timer)."""
    with unit_of_work(get_session_factory(settings)) as session:
        return escalate_overdue(session, now=now, rules=rules_from_settings(settings))


def list_notifications(
    session: Session, *, role: str = "supervisor", unread_only: bool = True, limit: int = 100
) -> list[dict[str, Any]]:
    """Notifications for a role (overdue orders), newest first, for the supervisor's console."""
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValueError(f"limit must be an integer between 1 and 1000, got {limit!r}")
    stmt = (
        select(TicketNotification, Ticket.number)
        .join(Ticket, Ticket.id == TicketNotification.ticket_id)
        .where(TicketNotification.role == role)
        .order_by(TicketNotification.created_at.desc(), TicketNotification.id.desc())
        .limit(limit)
    )
    if unread_only:
        stmt = stmt.where(TicketNotification.read_at.is_(None))
    return [
        {"id": n.id, "number": number, "kind": n.kind, "message": n.message, "created_at": n.created_at}
        for n, number in session.execute(stmt)
    ]

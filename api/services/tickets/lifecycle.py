"""Changing a work order: status steps, dispatch (派单), callbacks (回访) and call recordings.

Every function takes the ``Session`` first and keyword arguments after it, works inside the
caller's unit of work (``api.db.unit_of_work`` commits or rolls back) and writes one history
event per change. A refused change raises before anything is touched.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import Conflict, DomainError
from api.models.base import utcnow
from api.models.tickets import Department, Ticket, TicketAttachment, TicketCallback
from api.schemas import TicketPublic
from api.services.ticket_rules import TicketRules
from api.services.tickets import store
from api.services.tickets.states import (
    REASON_REQUIRED,
    TRANSITIONS,
    TicketStatus,
    parse_status,
)
from api.services.tickets.views import public
from vocab.terms import RATINGS, SATISFIED_RATINGS

log = logging.getLogger(__name__)

S = TicketStatus


class IllegalTransition(Conflict):
    key = "ticket_bad_transition"


class UseAssign(Conflict):
    key = "ticket_use_assign"


class UseCallback(Conflict):
    key = "ticket_use_callback"


class ReasonRequired(DomainError):
    status_code = 422
    key = "ticket_comment_required"


class UnknownDepartment(DomainError):
    status_code = 422
    key = "ticket_unknown_department"


def reset_clock(ticket: Ticket, rules: TicketRules, now: dt.datetime) -> None:
    """A reopened order gets a fresh time limit from the moment it is reopened."""
    ticket.due_at = rules.due(ticket.category, ticket.topic, ticket.region, now)
    ticket.closed_at = None
    ticket.escalated_at = None
    ticket.satisfaction = None


def _view(session: Session, ticket: Ticket, now: dt.datetime) -> TicketPublic:
    session.flush()
    return public(session, ticket, now=now)


def change_status(
    session: Session,
    *,
    number: str,
    to_status: str,
    actor: str,
    comment: str = "",
    channel: str = "api",
    rules: TicketRules | None = None,
    now: dt.datetime | None = None,
) -> TicketPublic:
    """Move an order along the state machine; an illegal step raises ``IllegalTransition``."""
    target = parse_status(to_status, "to_status")
    actor = store.check_name(actor, "actor", 64)
    channel = store.check_name(channel, "channel", 16)
    comment = (comment or "").strip()
    now = now or utcnow()
    ticket = store.load_for_change(session, number)
    current = S(ticket.status)
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(from_status=current, to_status=target)
    if target == S.ASSIGNED:
        raise UseAssign()
    if target == S.CALLED_BACK:
        raise UseCallback()
    if target in REASON_REQUIRED and not comment:
        raise ReasonRequired(to_status=target)
    ticket.status = target
    ticket.updated_at = now
    if target == S.RESOLVED:
        ticket.closed_at = now
    elif target == S.REOPENED:
        reset_clock(ticket, store.rules_or_configured(rules), now)
    elif target == S.RETURNED:
        ticket.assignee = None
    store.add_event(
        ticket,
        kind="status",
        actor=actor,
        channel=channel,
        at=now,
        from_status=current,
        to_status=target,
        comment=comment,
    )
    log.info("tickets.status number=%s %s->%s actor=%s", ticket.number, current, target, actor)
    return _view(session, ticket, now)


def assign(
    session: Session,
    *,
    number: str,
    department: str,
    actor: str,
    comment: str = "",
    assignee: str | None = None,
    channel: str = "api",
    rules: TicketRules | None = None,
    now: dt.datetime | None = None,
) -> TicketPublic:
    """Dispatch (派单) an order to a department, optionally to a named handler there."""
    actor = store.check_name(actor, "actor", 64)
    channel = store.check_name(channel, "channel", 16)
    department = store.check_name(department, "department", 64)
    assignee = (assignee.strip()[:64] or None) if assignee else None
    now = now or utcnow()
    ticket = store.load_for_change(session, number)
    current = S(ticket.status)
    if S.ASSIGNED not in TRANSITIONS[current]:
        raise IllegalTransition(from_status=current, to_status=S.ASSIGNED)
    known = session.scalar(select(Department.id).where(Department.name == department)) is not None
    configured = store.rules_or_configured(rules).departments
    if not known and department not in configured:
        raise UnknownDepartment(department=department)
    if not known:
        store.ensure_department(session, department, configured[department])
    previous = ticket.department
    ticket.department = department
    ticket.assignee = assignee
    ticket.status = S.ASSIGNED
    ticket.updated_at = now
    store.add_event(
        ticket,
        kind="assign",
        actor=actor,
        channel=channel,
        at=now,
        from_status=current,
        to_status=S.ASSIGNED,
        comment=(comment or "").strip(),
        data={"from_department": previous, "department": department, "assignee": assignee},
    )
    log.info("tickets.assign number=%s department=%s actor=%s", ticket.number, department, actor)
    return _view(session, ticket, now)


def add_callback(
    session: Session,
    *,
    number: str,
    result: str,
    satisfaction: str | None,
    actor: str,
    channel: str = "api",
    rules: TicketRules | None = None,
    now: dt.datetime | None = None,
) -> TicketPublic:
    """Record a 回访 on a closed order: satisfied -> 已回访, 不满意 -> 重开 with a new time limit.

    Without ``satisfaction`` the attempt is recorded (caller not reached) and the status stays.
    """
    if satisfaction is not None and satisfaction not in RATINGS:
        raise ValueError(f"satisfaction must be 满意, 基本满意, 不满意 or None, got {satisfaction!r}")
    result = store.check_name(result, "result", 2000)
    actor = store.check_name(actor, "actor", 64)
    channel = store.check_name(channel, "channel", 16)
    now = now or utcnow()
    ticket = store.load_for_change(session, number)
    current = S(ticket.status)
    if current != S.RESOLVED:
        raise IllegalTransition(from_status=current, to_status=S.CALLED_BACK)
    ticket.callbacks.append(TicketCallback(at=now, actor=actor, result=result, satisfaction=satisfaction))
    target: TicketStatus | None = None
    if satisfaction in SATISFIED_RATINGS:
        target = S.CALLED_BACK
    elif satisfaction == "不满意":
        target = S.REOPENED
        reset_clock(ticket, store.rules_or_configured(rules), now)
    if target is not None:
        ticket.status = target
        ticket.satisfaction = satisfaction
    ticket.updated_at = now
    store.add_event(
        ticket,
        kind="callback",
        actor=actor,
        channel=channel,
        at=now,
        from_status=current,
        to_status=target,
        comment=result,
        data={"satisfaction": satisfaction},
    )
    log.info("tickets.callback number=%s satisfaction=%s actor=%s", ticket.number, satisfaction, actor)
    return _view(session, ticket, now)


def attach_recording(session: Session, *, number: str, call_id: str, path: str) -> None:
    """Attach a call's recording to an order opened during that call (known only at hang-up)."""
    ticket = store.load(session, number)
    ticket.attachments.append(
        TicketAttachment(kind="recording", conversation_id=call_id[:64], content=[{"path": path}])
    )
    session.flush()

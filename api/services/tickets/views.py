"""Reading work orders: the staff views, the caller's masked view, lists and the caller's lookup.

Views are read from the stored rows by pydantic (``from_attributes``); what is not a column (the
transcript and recordings kept as attachments, the related orders, whether an order is overdue)
is added here. Functions taking a ``Session`` read inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from api.db import unit_of_work
from api.models.base import utcnow
from api.models.tickets import Ticket, TicketLink
from api.privacy import mask_phone, mask_text
from api.schemas import ProgressStep, TicketList, TicketMasked, TicketPublic, TicketSummary, TranscriptTurn
from api.services.registry import get_session_factory
from api.services.tickets.states import CLOCK_STATUSES, parse_status
from api.services.tickets.store import NUMBER_RE, TicketLookupFailed, TicketNotFound, normalise_number
from api.settings import Settings

TicketSummaryT = TypeVar("TicketSummaryT", bound=TicketSummary)


def is_overdue(ticket: Ticket, now: dt.datetime) -> bool:
    """Past its time limit while the centre's clock runs (not 挂起, not closed)."""
    return ticket.status in CLOCK_STATUSES and ticket.due_at < now


def summary(ticket: Ticket, now: dt.datetime) -> TicketSummary:
    view = TicketSummary.model_validate(ticket, from_attributes=True)
    return view.model_copy(update={"overdue": is_overdue(ticket, now)})


def related_numbers(session: Session, ticket_id: int) -> list[str]:
    """Numbers of the orders linked to this one, in either direction."""
    forward = (
        select(Ticket.number)
        .join(TicketLink, TicketLink.related_id == Ticket.id)
        .where(TicketLink.ticket_id == ticket_id)
    )
    backward = (
        select(Ticket.number)
        .join(TicketLink, TicketLink.ticket_id == Ticket.id)
        .where(TicketLink.related_id == ticket_id)
    )
    return sorted(set(session.scalars(forward)) | set(session.scalars(backward)))


def public(session: Session, ticket: Ticket, *, now: dt.datetime, duplicate: bool = False) -> TicketPublic:
    """The full order: row, history, callbacks, transcript, recordings and related orders."""
    transcript: list[TranscriptTurn] = []
    recordings: list[str] = []
    for attachment in ticket.attachments:
        if attachment.kind == "transcript":
            transcript.extend(TranscriptTurn.model_validate(turn) for turn in attachment.content)
        elif attachment.kind == "recording":
            recordings.extend(str(item.get("path", "")) for item in attachment.content if item.get("path"))
    view = TicketPublic.model_validate(ticket, from_attributes=True)
    return view.model_copy(
        update={
            "overdue": is_overdue(ticket, now),
            "transcript": transcript,
            "recordings": recordings,
            "related": related_numbers(session, ticket.id),
            "duplicate": duplicate,
        }
    )


def _with_children(stmt: Select[Any]) -> Select[Any]:
    return stmt.options(
        selectinload(Ticket.events), selectinload(Ticket.callbacks), selectinload(Ticket.attachments)
    )


def get_ticket(session: Session, *, number: str, now: dt.datetime | None = None) -> TicketPublic:
    """The work order with its full history; ``TicketNotFound`` for an unknown number."""
    number = normalise_number(number)
    if not NUMBER_RE.match(number):
        raise TicketNotFound(number=number)
    ticket = session.scalars(_with_children(select(Ticket).where(Ticket.number == number))).one_or_none()
    if ticket is None:
        raise TicketNotFound(number=number)
    return public(session, ticket, now=now or utcnow())


def list_tickets(
    session: Session,
    *,
    status: str | Sequence[str] | None = None,
    department: str | None = None,
    overdue: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> TicketList:
    """Orders matching every given filter, newest first; ``since``/``until`` bound creation time."""
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValueError(f"limit must be an integer between 1 and 1000, got {limit!r}")
    if not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
    now = now or utcnow()
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        conditions.append(Ticket.status.in_([parse_status(s) for s in wanted]))
    if department is not None:
        conditions.append(Ticket.department == department)
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")
    if since is not None:
        conditions.append(Ticket.created_at >= since)
    if until is not None:
        conditions.append(Ticket.created_at < until)
    if overdue is True:
        conditions += [Ticket.status.in_(CLOCK_STATUSES), Ticket.due_at < now]
    elif overdue is False:
        conditions.append(or_(Ticket.status.not_in(CLOCK_STATUSES), Ticket.due_at >= now))
    total = session.scalar(select(func.count(Ticket.id)).where(*conditions)) or 0
    rows = session.scalars(
        select(Ticket)
        .where(*conditions)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return TicketList(items=[summary(t, now) for t in rows], total=total, limit=limit, offset=offset)


def lookup_for_caller(session: Session, *, number: str, phone_last4: str) -> TicketMasked:
    """A caller's own order by number plus the last four phone digits, masked.

    Any mismatch gives the same ``TicketLookupFailed``, so the answer never reveals whether
    the number exists.
    """
    if not isinstance(number, str) or not isinstance(phone_last4, str):
        raise TicketLookupFailed()
    digits = phone_last4.strip()
    number = normalise_number(number)
    ticket = None
    if re.fullmatch(r"\d{4}", digits) and NUMBER_RE.match(number):
        ticket = session.scalars(
            select(Ticket).options(selectinload(Ticket.events)).where(Ticket.number == number)
        ).one_or_none()
    if ticket is None or not hmac.compare_digest(ticket.caller_phone[-4:].encode(), digits.encode()):
        raise TicketLookupFailed()
    return caller_view(public(session, ticket, now=utcnow()))


def lookup_order(settings: Settings, *, number: str, phone_last4: str) -> TicketMasked:
    """``lookup_for_caller`` in a unit of work of its own (the bot's status query; blocking)."""
    with unit_of_work(get_session_factory(settings)) as session:
        return lookup_for_caller(session, number=number, phone_last4=phone_last4)


def caller_view(ticket: TicketPublic) -> TicketMasked:
    """What the caller may see of ``ticket``: status progress, masked name and phone."""
    view = TicketMasked.model_validate(ticket, from_attributes=True)
    progress = [
        ProgressStep(at=e.at, status=parse_status(e.to_status))
        for e in ticket.events
        if e.to_status is not None and e.to_status != e.from_status
    ]
    return view.model_copy(
        update={
            "caller_name": mask_name(ticket.caller_name),
            "caller_phone": mask_phone(ticket.caller_phone),
            "progress": progress,
        }
    )


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***: enough for a caller to recognise their own order."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def present(ticket: TicketSummaryT, *, role: str, actor: str | None = None) -> TicketSummaryT:
    """The view of ``ticket`` (a summary or a full order) for a staff role.

    Supervisors and admins see everything. An agent sees the phone number only on orders
    assigned to them by name (they must call the caller back); otherwise the phone is masked
    and personal numbers inside the description, comments and transcript are masked too.
    """
    if role in ("supervisor", "admin") or (actor and ticket.assignee and actor == ticket.assignee):
        return ticket
    update: dict[str, Any] = {
        "caller_phone": mask_phone(ticket.caller_phone),
        "description": mask_text(ticket.description),
    }
    if isinstance(ticket, TicketPublic):
        update["events"] = [e.model_copy(update={"comment": mask_text(e.comment)}) for e in ticket.events]
        update["callbacks"] = [c.model_copy(update={"result": mask_text(c.result)}) for c in ticket.callbacks]
        update["transcript"] = [t.model_copy(update={"text": mask_text(t.text)}) for t in ticket.transcript]
    return ticket.model_copy(update=update)

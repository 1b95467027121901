"""HTTP adapter for work orders (工单); every handler parses, makes one service call, renders.

Who sees what:
- ``POST /api/tickets`` and ``GET /api/tickets/lookup`` are public (caller and bot channel);
  they answer with the masked caller view only.
- Reading, listing, status changes, dispatch and callbacks need a staff token (agent or above).
  Agents see the caller's phone masked, and personal numbers inside free text masked, unless
  the order is assigned to them by name (``X-Actor`` equals the assignee); supervisors and
  admins see everything. Supervisor notifications need the supervisor role.

A change runs in a unit of work of its own that commits before the answer is sent. The
escalation job runs in the app's background jobs (``api/jobs.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from api.db import unit_of_work
from api.deps import Principal, SessionDep, SettingsDep, require_role
from api.limits import limit_caller_ip
from api.schemas import (
    CallbackCreate,
    TicketAssign,
    TicketCreate,
    TicketList,
    TicketMasked,
    TicketPublic,
    TicketStatus,
    TicketUpdate,
)
from api.services import audit
from api.services import tickets as service
from api.services.registry import get_session_factory

log = logging.getLogger(__name__)

AgentDep = Annotated[Principal, Depends(require_role("agent"))]
SupervisorDep = Annotated[Principal, Depends(require_role("supervisor"))]

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


def _actor(principal: Principal) -> str:
    return principal.name


def _present(ticket: service.TicketSummaryT, principal: Principal) -> service.TicketSummaryT:
    return service.present(ticket, role=principal.role, actor=principal.name)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketMasked,
    dependencies=[Depends(limit_caller_ip)],
)
def create(body: TicketCreate, settings: SettingsDep) -> TicketMasked:
    """Open a work order from the widget or the bot; the number is returned after commit.

    Priority is the centre's decision and follow-ups are opened by the bot, so a public request
    sets neither. While the database is down this answers 503 (no conversation here to be told a
    provisional number in).
    """
    ticket = service.register_order(
        get_session_factory(settings),
        body.model_copy(update={"priority": None, "follow_up_of": None}),
        actor="caller",
        channel="api",
        rules=service.rules_from_settings(settings),
    )
    return service.caller_view(ticket)


@router.get("/lookup", response_model=TicketMasked, dependencies=[Depends(limit_caller_ip)])
def lookup(
    session: SessionDep,
    number: Annotated[str, Query(min_length=1, max_length=32)],
    phone_last4: Annotated[str, Query(min_length=1, max_length=8)],
) -> TicketMasked:
    """A caller's own order by number and the last four digits of the phone they gave."""
    return service.lookup_for_caller(session, number=number, phone_last4=phone_last4)


@router.get("", response_model=TicketList)
def list_(
    session: SessionDep,
    principal: AgentDep,
    status_: Annotated[list[TicketStatus] | None, Query(alias="status")] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,  # bounded: DB int range
) -> TicketList:
    """Orders filtered by status, department, overdue flag and creation date range."""
    page = service.list_tickets(
        session,
        status=status_,
        department=department,
        overdue=overdue,
        since=_aware(since),
        until=_aware(until),
        limit=limit,
        offset=offset,
    )
    return page.model_copy(update={"items": [_present(t, principal) for t in page.items]})


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Query datetimes without an offset are read as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


@router.get("/notifications")
def notifications(
    session: SessionDep, principal: SupervisorDep, unread_only: bool = True
) -> list[dict[str, Any]]:
    """Supervisor alerts raised by the escalation job."""
    return service.list_notifications(session, role="supervisor", unread_only=unread_only)


@router.get("/{number}", response_model=TicketPublic)
def read(number: str, session: SessionDep, principal: AgentDep, request: Request) -> TicketPublic:
    """One order with its history, callbacks and transcript (the view is audited)."""
    ticket = _present(service.get_ticket(session, number=number), principal)
    audit.record(session, principal, audit.TICKET_VIEW, "ticket", ticket.number, request)
    return ticket


@router.post("/{number}/status", response_model=TicketPublic)
def change_status(
    number: str, body: TicketUpdate, settings: SettingsDep, principal: AgentDep
) -> TicketPublic:
    """Move the order along its lifecycle with a comment for the history."""
    with unit_of_work(get_session_factory(settings)) as session:
        ticket = service.change_status(
            session,
            number=number,
            to_status=body.status,
            actor=_actor(principal),
            comment=body.comment,
            channel="api",
            rules=service.rules_from_settings(settings),
        )
    return _present(ticket, principal)


@router.post("/{number}/assign", response_model=TicketPublic)
def assign(number: str, body: TicketAssign, settings: SettingsDep, principal: AgentDep) -> TicketPublic:
    """Dispatch (派单) the order to a department, optionally to a named handler."""
    with unit_of_work(get_session_factory(settings)) as session:
        ticket = service.assign(
            session,
            number=number,
            department=body.department,
            assignee=body.assignee,
            actor=_actor(principal),
            comment=body.comment,
            channel="api",
            rules=service.rules_from_settings(settings),
        )
    return _present(ticket, principal)


@router.post("/{number}/callbacks", response_model=TicketPublic, status_code=status.HTTP_201_CREATED)
def add_callback(
    number: str, body: CallbackCreate, settings: SettingsDep, principal: AgentDep
) -> TicketPublic:
    """Record a 回访: result and satisfaction; 不满意 reopens the order."""
    with unit_of_work(get_session_factory(settings)) as session:
        ticket = service.add_callback(
            session,
            number=number,
            result=body.result,
            satisfaction=body.satisfaction,
            actor=_actor(principal),
            channel="api",
            rules=service.rules_from_settings(settings),
        )
    return _present(ticket, principal)

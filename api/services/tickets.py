"""Work orders (工单): intake, routing, time limits, lifecycle, callbacks and escalation.

The one service the Rasa actions, the HTTP routes and the CLI share. Every public function
takes the ``Session`` first and keyword arguments after it, and is one unit of work: it
commits before it returns, so a number handed to a caller always refers to a stored order.

Lifecycle (``TRANSITIONS``): 新建 -> 已分派 -> 处理中 -> 已办结 -> 已回访 -> 已归档, with 退回
(the department hands the order back for reassignment), 挂起 (waiting for the caller; the
escalation clock ignores it) and 重开 (the caller is not satisfied). 已分派 is reached only by
``assign`` (a department is needed) and 已回访 only by ``add_callback`` (a result is needed).

Routing and time limits come from YAML the centre edits (``api.services.ticket_rules``);
every function taking ``rules`` falls back to the files named in the process settings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import random
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload

from api import texts
from api.errors import Conflict, DomainError, NotFound, ServiceUnavailable
from api.models.base import utcnow
from api.models.tickets import (
    Department,
    Ticket,
    TicketAttachment,
    TicketCallback,
    TicketCounter,
    TicketEvent,
    TicketLink,
    TicketNotification,
)
from api.privacy import mask_phone, mask_text
from api.schemas import (
    CallbackPublic,
    EventPublic,
    ProgressStep,
    TicketCreate,
    TicketList,
    TicketMasked,
    TicketPublic,
    TicketSummary,
    TranscriptTurn,
)
from api.services.ticket_rules import CATEGORIES, TicketRules, load_rules, rules_from_settings
from api.services.workdays import deadline
from api.settings import Settings, get_settings

log = logging.getLogger(__name__)

TicketSummaryT = TypeVar("TicketSummaryT", bound=TicketSummary)

__all__ = [
    "CATEGORIES",
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "PRIORITIES",
    "STATUSES",
    "TRANSITIONS",
    "IllegalTransition",
    "TicketNotFound",
    "TicketRules",
    "add_callback",
    "assign",
    "caller_view",
    "change_status",
    "create_ticket",
    "escalate_overdue",
    "get_ticket",
    "list_notifications",
    "list_tickets",
    "load_rules",
    "lookup_for_caller",
    "present",
    "rules_from_settings",
    "run_escalation",
    "sync_departments",
]

# --- Vocabulary and the state machine -----------------------------------------------------------

PRIORITIES = ("一般", "紧急", "特急")
STATUSES = ("新建", "已分派", "处理中", "已办结", "已回访", "已归档", "挂起", "退回", "重开")

TRANSITIONS: dict[str, frozenset[str]] = {
    "新建": frozenset({"已分派"}),
    "已分派": frozenset({"已分派", "处理中", "退回", "挂起"}),  # 已分派 -> 已分派: re-dispatch
    "处理中": frozenset({"已办结", "挂起", "退回"}),
    "挂起": frozenset({"处理中"}),
    "退回": frozenset({"已分派"}),
    "已办结": frozenset({"已回访", "重开"}),
    "已回访": frozenset({"已归档", "重开"}),
    "重开": frozenset({"已分派", "处理中"}),
    "已归档": frozenset(),
}
OPEN_STATUSES = frozenset({"新建", "已分派", "处理中", "挂起", "退回", "重开"})
CLOSED_STATUSES = frozenset(STATUSES) - OPEN_STATUSES
# 挂起 waits for the caller, so its time limit is not the centre's to miss.
_CLOCK_STATUSES = OPEN_STATUSES - {"挂起"}
_REASON_REQUIRED = frozenset({"退回", "挂起", "重开"})
_SATISFIED = frozenset({"满意", "基本满意"})
_NUMBER_RE = re.compile(r"^GD\d{8}\d{4,6}$")
_MAX_SEQUENCE = 999_999
_MAX_ATTEMPTS = 8


# --- Errors -------------------------------------------------------------------------------------


class TicketNotFound(NotFound):
    key = "ticket_not_found"


class TicketLookupFailed(TicketNotFound):
    """Number and phone digits do not match; deliberately silent about which one is wrong."""

    key = "ticket_lookup_failed"


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


class TicketStoreBusy(ServiceUnavailable):
    key = "ticket_store_busy"


def _rules(rules: TicketRules | None) -> TicketRules:
    return rules if rules is not None else rules_from_settings(get_settings())


# --- Small helpers ------------------------------------------------------------------------------


def _check_name(value: str, argument: str, limit: int) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}")
    value = value.strip()
    if not value:
        raise ValueError(f"{argument} must not be empty")
    return value[:limit]


def _normalise_number(number: str) -> str:
    if not isinstance(number, str):
        raise TypeError(f"number must be a str, not {type(number).__name__}")
    return number.strip().upper()


def _begin_write(session: Session) -> None:
    """Take SQLite's write lock up front (BEGIN IMMEDIATE).

    A deferred SQLite transaction that reads and then writes fails at once with "database is
    locked" when another writer committed in between; taking the lock first makes concurrent
    writers queue on the busy timeout instead. PostgreSQL locks rows explicitly instead.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and not getattr(raw, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _retryable(exc: Exception) -> bool:
    """Unique-number races, SQLite busy and PostgreSQL serialisation errors are worth a retry."""
    if isinstance(exc, IntegrityError):
        return True
    message = str(getattr(exc, "orig", exc)).lower()
    return any(s in message for s in ("locked", "busy", "deadlock", "could not serialize"))


def _load(session: Session, number: str, *, for_update: bool = False) -> Ticket:
    number = _normalise_number(number)
    if not _NUMBER_RE.match(number):
        raise TicketNotFound(number=number)
    stmt = select(Ticket).where(Ticket.number == number)
    if for_update:
        stmt = stmt.with_for_update()
    ticket = session.scalars(stmt).one_or_none()
    if ticket is None:
        raise TicketNotFound(number=number)
    return ticket


def _event(
    ticket: Ticket,
    *,
    kind: str,
    actor: str,
    channel: str,
    at: dt.datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    event = TicketEvent(
        kind=kind,
        actor=actor,
        channel=channel,
        at=at,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        data=data or {},
    )
    ticket.events.append(event)
    return event


def _ensure_department(session: Session, name: str, description: str = "") -> None:
    if session.scalar(select(Department.id).where(Department.name == name)) is None:
        session.add(Department(name=name, description=description))
        session.flush()


def _related_numbers(session: Session, ticket_id: int) -> list[str]:
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


def _overdue(ticket: Ticket, now: dt.datetime) -> bool:
    return ticket.status in _CLOCK_STATUSES and ticket.due_at < now


def _summary_fields(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "category": ticket.category,
        "topic": ticket.topic,
        "region": ticket.region,
        "caller_name": ticket.caller_name,
        "caller_phone": ticket.caller_phone,
        "description": ticket.description,
        "channel": ticket.channel,
        "priority": ticket.priority,
        "department": ticket.department,
        "assignee": ticket.assignee,
        "status": ticket.status,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "due_at": ticket.due_at,
        "closed_at": ticket.closed_at,
        "escalated_at": ticket.escalated_at,
        "satisfaction": ticket.satisfaction,
        "overdue": _overdue(ticket, now),
        "conversation_id": ticket.conversation_id,
    }


def _public(session: Session, ticket: Ticket, *, now: dt.datetime, duplicate: bool = False) -> TicketPublic:
    transcript: list[TranscriptTurn] = []
    recordings: list[str] = []
    for attachment in ticket.attachments:
        if attachment.kind == "transcript":
            transcript.extend(TranscriptTurn.model_validate(turn) for turn in attachment.content)
        elif attachment.kind == "recording":
            recordings.extend(str(item.get("path", "")) for item in attachment.content if item.get("path"))
    return TicketPublic(
        **_summary_fields(ticket, now),
        events=[
            EventPublic(
                at=e.at,
                kind=e.kind,
                actor=e.actor,
                channel=e.channel,
                from_status=e.from_status,
                to_status=e.to_status,
                comment=e.comment,
                data=e.data or {},
            )
            for e in ticket.events
        ],
        callbacks=[
            CallbackPublic.model_validate(
                {"at": c.at, "actor": c.actor, "result": c.result, "satisfaction": c.satisfaction}
            )
            for c in ticket.callbacks
        ],
        transcript=transcript,
        recordings=recordings,
        related=_related_numbers(session, ticket.id),
        duplicate=duplicate,
    )


def _commit_and_return(session: Session, ticket: Ticket, now: dt.datetime) -> TicketPublic:
    session.flush()
    view = _public(session, ticket, now=now)
    session.commit()
    return view


def _reset_clock(ticket: Ticket, rules: TicketRules, now: dt.datetime) -> None:
    """A reopened order gets a fresh time limit from the moment it is reopened."""
    ticket.due_at = _due(rules, ticket.category, ticket.topic, ticket.region, now)
    ticket.closed_at = None
    ticket.escalated_at = None
    ticket.satisfaction = None


def _due(rules: TicketRules, category: str, topic: str, region: str, now: dt.datetime) -> dt.datetime:
    limit = rules.time_limit(category, topic, region)
    return deadline(
        now,
        days=limit.days,
        hours=limit.hours,
        timezone=rules.timezone,
        close_of_business=rules.close_of_business,
    )


def _advisory_key(*parts: str) -> int:
    """A signed 64-bit key for pg_advisory_xact_lock from the given strings."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _next_sequence(session: Session, day: str) -> int:
    """Increment and return the day's counter inside the current transaction.

    An UPSERT ... RETURNING is atomic on both databases: PostgreSQL keeps the counter row
    locked until commit, so concurrent creations queue on it; SQLite holds its write lock.
    """
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = pg_insert(TicketCounter) if dialect == "postgresql" else sqlite_insert(TicketCounter)
        stmt = (
            insert.values(day=day, value=1)
            .on_conflict_do_update(
                index_elements=[TicketCounter.day], set_={"value": TicketCounter.value + 1}
            )
            .returning(TicketCounter.value)
        )
        return int(session.execute(stmt).scalar_one())
    counter = session.scalars(select(TicketCounter).where(TicketCounter.day == day).with_for_update()).first()
    if counter is None:
        counter = TicketCounter(day=day, value=0)
        session.add(counter)
    counter.value += 1
    session.flush()
    return counter.value


# --- Creation -----------------------------------------------------------------------------------


def _find_duplicate(
    session: Session, data: TicketCreate, rules: TicketRules, now: dt.datetime
) -> Ticket | None:
    if rules.duplicate_window <= dt.timedelta(0):
        return None
    stmt = (
        select(Ticket)
        .where(
            Ticket.caller_phone == data.caller_phone,
            Ticket.topic == data.topic,
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.created_at >= now - rules.duplicate_window,
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def _attach_transcript(ticket: Ticket, data: TicketCreate, now: dt.datetime) -> None:
    if data.transcript:
        ticket.attachments.append(
            TicketAttachment(
                kind="transcript",
                conversation_id=data.conversation_id,
                content=[turn.model_dump() for turn in data.transcript],
                created_at=now,
            )
        )


def _create_once(
    session: Session, data: TicketCreate, *, actor: str, channel: str, rules: TicketRules, now: dt.datetime
) -> TicketPublic:
    _begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        # Two simultaneous requests from one caller on one topic must not both open an order.
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _advisory_key(data.caller_phone, data.topic)}
        )
    existing = _find_duplicate(session, data, rules, now)
    if existing is not None:
        _event(
            existing,
            kind="duplicate",
            actor=actor,
            channel=channel,
            at=now,
            comment=data.description,
            data={"intake_channel": data.channel, "conversation_id": data.conversation_id},
        )
        _attach_transcript(existing, data, now)
        existing.updated_at = now
        session.flush()
        view = _public(session, existing, now=now, duplicate=True)
        session.commit()
        log.info("tickets.duplicate number=%s actor=%s", existing.number, actor)
        return view

    local_day = now.astimezone(ZoneInfo(rules.timezone)).strftime("%Y%m%d")
    sequence = _next_sequence(session, local_day)
    if sequence > _MAX_SEQUENCE:
        raise TicketStoreBusy("daily ticket sequence exhausted")
    number = f"GD{local_day}{sequence:04d}"
    department, rule_index = rules.route(data.category, data.topic, data.region)
    _ensure_department(session, department, rules.departments.get(department, ""))
    limit = rules.time_limit(data.category, data.topic, data.region)
    ticket = Ticket(
        number=number,
        category=data.category,
        topic=data.topic,
        region=data.region,
        caller_name=data.caller_name,
        caller_phone=data.caller_phone,
        description=data.description,
        channel=data.channel,
        priority=data.priority or "一般",
        department=department,
        status="新建",
        conversation_id=data.conversation_id,
        created_at=now,
        updated_at=now,
        due_at=_due(rules, data.category, data.topic, data.region, now),
        escalation_count=0,
    )
    session.add(ticket)
    _event(
        ticket,
        kind="created",
        actor=actor,
        channel=channel,
        at=now,
        to_status="新建",
        data={
            "intake_channel": data.channel,
            "department": department,
            "routing_rule": rule_index,
            "time_limit": limit.label(),
        },
    )
    _attach_transcript(ticket, data, now)
    session.flush()
    unresolved = _link_related(session, ticket, data.related or [], now)
    if unresolved:
        ticket.events[0].data = {**ticket.events[0].data, "unresolved_related": unresolved}
    return _commit_and_return(session, ticket, now)


def _link_related(session: Session, ticket: Ticket, numbers: Iterable[str], now: dt.datetime) -> list[str]:
    """Link existing orders the caller mentioned; return numbers that were not found."""
    unresolved: list[str] = []
    for raw in dict.fromkeys(_normalise_number(n) for n in numbers):
        related_id = session.scalar(select(Ticket.id).where(Ticket.number == raw))
        if related_id is None or related_id == ticket.id:
            unresolved.append(raw)
            continue
        session.add(TicketLink(ticket_id=ticket.id, related_id=related_id, kind="related", created_at=now))
    return unresolved


def create_ticket(
    session: Session,
    *,
    data: TicketCreate,
    actor: str,
    channel: str,
    rules: TicketRules | None = None,
    now: dt.datetime | None = None,
) -> TicketPublic:
    """Open a work order (or link to the caller's open one on the same topic) and commit.

    ``actor`` is who records it (``bot``, an agent's name); ``channel`` is the system the
    request came through (``rasa``, ``api``, ``cli``), while ``data.channel`` is how the caller
    reached the hotline. The number exists only once this returns.
    """
    if not isinstance(data, TicketCreate):
        raise TypeError(f"data must be a TicketCreate, not {type(data).__name__}")
    actor = _check_name(actor, "actor", 64)
    channel = _check_name(channel, "channel", 16)
    rules = _rules(rules)
    now = now or utcnow()
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        try:
            view = _create_once(session, data, actor=actor, channel=channel, rules=rules, now=now)
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            if not _retryable(exc) or attempt == _MAX_ATTEMPTS:
                log.error("tickets.create.failed attempts=%d error=%s", attempt, type(exc).__name__)
                raise TicketStoreBusy(type(exc).__name__) from exc
            log.info("tickets.create.retry attempt=%d error=%s", attempt, type(exc).__name__)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
            continue
        except BaseException:
            session.rollback()
            raise
        if not view.duplicate:
            log.info(
                "tickets.created number=%s category=%s department=%s phone=%s",
                view.number,
                view.category,
                view.department,
                mask_phone(view.caller_phone),
            )
        return view
    raise TicketStoreBusy("unreachable")  # the loop returns or raises


# --- Reading ------------------------------------------------------------------------------------


def _with_children(stmt: Select[Any]) -> Select[Any]:
    return stmt.options(
        selectinload(Ticket.events), selectinload(Ticket.callbacks), selectinload(Ticket.attachments)
    )


def attach_recording(session: Session, *, number: str, call_id: str, path: str) -> None:
    """Attach a call's recording to an order opened during that call (known only at hang-up)."""
    ticket = _load(session, number)
    ticket.attachments.append(
        TicketAttachment(kind="recording", conversation_id=call_id[:64], content=[{"path": path}])
    )
    session.commit()


def get_ticket(session: Session, *, number: str, now: dt.datetime | None = None) -> TicketPublic:
    """The work order with its full history; ``TicketNotFound`` for an unknown number."""
    number = _normalise_number(number)
    if not _NUMBER_RE.match(number):
        raise TicketNotFound(number=number)
    ticket = session.scalars(_with_children(select(Ticket).where(Ticket.number == number))).one_or_none()
    if ticket is None:
        raise TicketNotFound(number=number)
    view = _public(session, ticket, now=now or utcnow())
    session.commit()  # end the read transaction so a long-lived session does not pin a snapshot
    return view


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
        statuses = [status] if isinstance(status, str) else list(status)
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise ValueError(f"status: unknown values {unknown}; use {list(STATUSES)}")
        conditions.append(Ticket.status.in_(statuses))
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
        conditions += [Ticket.status.in_(_CLOCK_STATUSES), Ticket.due_at < now]
    elif overdue is False:
        conditions.append(or_(Ticket.status.not_in(_CLOCK_STATUSES), Ticket.due_at >= now))
    total = session.scalar(select(func.count(Ticket.id)).where(*conditions)) or 0
    rows = session.scalars(
        select(Ticket)
        .where(*conditions)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    items = [TicketSummary(**_summary_fields(t, now)) for t in rows]
    session.commit()
    return TicketList(items=items, total=total, limit=limit, offset=offset)


def lookup_for_caller(session: Session, *, number: str, phone_last4: str) -> TicketMasked:
    """A caller's own order by number plus the last four phone digits, masked.

    Any mismatch gives the same ``TicketLookupFailed``, so the answer never reveals whether
    the number exists.
    """
    if not isinstance(number, str) or not isinstance(phone_last4, str):
        raise TicketLookupFailed()
    digits = phone_last4.strip()
    number = _normalise_number(number)
    ticket = None
    if re.fullmatch(r"\d{4}", digits) and _NUMBER_RE.match(number):
        ticket = session.scalars(
            select(Ticket).options(selectinload(Ticket.events)).where(Ticket.number == number)
        ).one_or_none()
    if ticket is None or not hmac.compare_digest(ticket.caller_phone[-4:].encode(), digits.encode()):
        session.rollback()
        raise TicketLookupFailed()
    view = caller_view(_public(session, ticket, now=utcnow()))
    session.commit()
    return view


def caller_view(ticket: TicketPublic) -> TicketMasked:
    """What the caller may see of ``ticket``: status progress, masked name and phone."""
    return TicketMasked(
        number=ticket.number,
        category=ticket.category,
        topic=ticket.topic,
        status=ticket.status,
        department=ticket.department,
        caller_name=_mask_name(ticket.caller_name),
        caller_phone=mask_phone(ticket.caller_phone),
        created_at=ticket.created_at,
        due_at=ticket.due_at,
        closed_at=ticket.closed_at,
        progress=[
            ProgressStep(at=e.at, status=e.to_status)  # type: ignore[arg-type]
            for e in ticket.events
            if e.to_status is not None and e.to_status != e.from_status
        ],
        duplicate=ticket.duplicate,
    )


def _mask_name(name: str) -> str:
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


# --- Changes ------------------------------------------------------------------------------------


def _mutate(session: Session, number: str) -> Ticket:
    _begin_write(session)
    return _load(session, number, for_update=True)


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
    if to_status not in STATUSES:
        raise ValueError(f"to_status must be one of {list(STATUSES)}, got {to_status!r}")
    actor = _check_name(actor, "actor", 64)
    channel = _check_name(channel, "channel", 16)
    comment = (comment or "").strip()
    now = now or utcnow()
    try:
        ticket = _mutate(session, number)
        current = ticket.status
        if to_status not in TRANSITIONS[current]:
            raise IllegalTransition(from_status=current, to_status=to_status)
        if to_status == "已分派":
            raise UseAssign()
        if to_status == "已回访":
            raise UseCallback()
        if to_status in _REASON_REQUIRED and not comment:
            raise ReasonRequired(to_status=to_status)
        ticket.status = to_status
        ticket.updated_at = now
        if to_status == "已办结":
            ticket.closed_at = now
        elif to_status == "重开":
            _reset_clock(ticket, _rules(rules), now)
        elif to_status == "退回":
            ticket.assignee = None
        _event(
            ticket,
            kind="status",
            actor=actor,
            channel=channel,
            at=now,
            from_status=current,
            to_status=to_status,
            comment=comment,
        )
        view = _commit_and_return(session, ticket, now)
    except BaseException:
        session.rollback()
        raise
    log.info("tickets.status number=%s %s->%s actor=%s", view.number, current, to_status, actor)
    return view


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
    actor = _check_name(actor, "actor", 64)
    channel = _check_name(channel, "channel", 16)
    department = _check_name(department, "department", 64)
    assignee = (assignee.strip()[:64] or None) if assignee else None
    now = now or utcnow()
    try:
        ticket = _mutate(session, number)
        current = ticket.status
        if "已分派" not in TRANSITIONS[current]:
            raise IllegalTransition(from_status=current, to_status="已分派")
        known = session.scalar(select(Department.id).where(Department.name == department)) is not None
        configured = _rules(rules).departments
        if not known and department not in configured:
            raise UnknownDepartment(department=department)
        if not known:
            _ensure_department(session, department, configured[department])
        previous = ticket.department
        ticket.department = department
        ticket.assignee = assignee
        ticket.status = "已分派"
        ticket.updated_at = now
        _event(
            ticket,
            kind="assign",
            actor=actor,
            channel=channel,
            at=now,
            from_status=current,
            to_status="已分派",
            comment=(comment or "").strip(),
            data={"from_department": previous, "department": department, "assignee": assignee},
        )
        view = _commit_and_return(session, ticket, now)
    except BaseException:
        session.rollback()
        raise
    log.info("tickets.assign number=%s department=%s actor=%s", view.number, department, actor)
    return view


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
    if satisfaction is not None and satisfaction not in ("满意", "基本满意", "不满意"):
        raise ValueError(f"satisfaction must be 满意, 基本满意, 不满意 or None, got {satisfaction!r}")
    result = _check_name(result, "result", 2000)
    actor = _check_name(actor, "actor", 64)
    channel = _check_name(channel, "channel", 16)
    now = now or utcnow()
    try:
        ticket = _mutate(session, number)
        current = ticket.status
        if current != "已办结":
            raise IllegalTransition(from_status=current, to_status="已回访")
        ticket.callbacks.append(TicketCallback(at=now, actor=actor, result=result, satisfaction=satisfaction))
        target = None
        if satisfaction in _SATISFIED:
            target = "已回访"
            ticket.satisfaction = satisfaction
        elif satisfaction == "不满意":
            target = "重开"
            _reset_clock(ticket, _rules(rules), now)
            ticket.satisfaction = satisfaction
        if target is not None:
            ticket.status = target
        ticket.updated_at = now
        _event(
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
        view = _commit_and_return(session, ticket, now)
    except BaseException:
        session.rollback()
        raise
    log.info("tickets.callback number=%s satisfaction=%s actor=%s", view.number, satisfaction, actor)
    return view


# --- Escalation ---------------------------------------------------------------------------------


def _raise_priority(priority: str) -> str:
    index = PRIORITIES.index(priority) if priority in PRIORITIES else 0
    return PRIORITIES[min(index + 1, len(PRIORITIES) - 1)]


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
    zone = ZoneInfo(_rules(rules).timezone)
    try:
        _begin_write(session)
        stmt = (
            select(Ticket)
            .where(
                Ticket.status.in_(_CLOCK_STATUSES),
                Ticket.due_at < now,
                Ticket.escalated_at.is_(None),
            )
            .order_by(Ticket.due_at)
            .with_for_update(skip_locked=True)
        )
        escalated: list[str] = []
        for ticket in session.scalars(stmt):
            before = ticket.priority
            ticket.priority = _raise_priority(before)
            ticket.escalated_at = now
            ticket.escalation_count += 1
            ticket.updated_at = now
            due_local = ticket.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            message = texts.text(
                "ticket_escalated", number=ticket.number, due=due_local, priority=ticket.priority
            )
            _event(
                ticket,
                kind="escalated",
                actor="system",
                channel="job",
                at=now,
                comment=message,
                data={
                    "from_priority": before,
                    "priority": ticket.priority,
                    "due_at": ticket.due_at.isoformat(),
                },
            )
            session.add(
                TicketNotification(
                    ticket_id=ticket.id, role="supervisor", kind="overdue", message=message, created_at=now
                )
            )
            escalated.append(ticket.number)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if escalated:
        log.warning("tickets.escalated count=%d numbers=%s", len(escalated), ",".join(escalated))
    return escalated


def run_escalation(settings: Settings, *, now: dt.datetime | None = None) -> list[str]:
    """One pass of the escalation job on the configured database (CLI and the API's timer)."""
    from api.db import unit_of_work
    from api.services.registry import get_session_factory  # the registry imports this module

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
    rows = [
        {"id": n.id, "number": number, "kind": n.kind, "message": n.message, "created_at": n.created_at}
        for n, number in session.execute(stmt)
    ]
    session.commit()
    return rows


def sync_departments(session: Session, *, rules: TicketRules | None = None) -> int:
    """Insert the departments named in the routing file that the table lacks; return how many."""
    rules = _rules(rules)
    added = 0
    try:
        existing = set(session.scalars(select(Department.name)))
        for name, description in rules.departments.items():
            if name not in existing:
                session.add(Department(name=name, description=description))
                added += 1
        session.commit()
    except IntegrityError:
        session.rollback()  # another process inserted them first; nothing lost
        return 0
    return added

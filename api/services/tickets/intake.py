"""Opening work orders: the one intake every channel uses, and the creation inside it.

``open_order(settings, data, actor=..., channel=...)`` is how the Rasa action, the chat fallback
and the phone line open an order: it owns its units of work (retried on writers' conflicts) and,
while the database is unreachable, keeps the request in the durable outbox and returns a
provisional reference (LS...) that the outbox's replay later registers through this module.
``create_ticket`` is the creation itself, inside a caller's transaction (the HTTP route's unit of
work, the demo data, tests).

One caller, one matter, one order: a request from the same phone about the same category and
topic while that caller's order is still open (within ``rules.duplicate_window``) is added to
that order (``duplicate``) instead of opening another. A different name on the same phone is
another person, so a new order. Orders named in ``related`` are linked only when they are the
same caller's on the same matter; ``follow_up_of`` links the order a follow-up is about. A
``key`` makes the intake idempotent: the same key gives the order it first gave.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, sessionmaker

from api.db import begin_write, lock_key, unit_of_work
from api.models.base import utcnow
from api.models.tickets import Ticket, TicketAttachment, TicketEvent, TicketLink
from api.privacy import mask_phone
from api.schemas import TicketCreate, TicketPublic
from api.services import outbox
from api.services.conversations import store as conversation_store
from api.services.provisional import provisional_reference
from api.services.registry import get_session_factory
from api.services.ticket_rules import TicketRules, rules_from_settings
from api.services.tickets import store
from api.services.tickets.states import OPEN_STATUSES, TicketStatus
from api.services.tickets.views import public
from api.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    """What the caller is told: the order's number, or a provisional reference while the store is down."""

    number: str
    ticket: TicketPublic | None = None  # None: queued in the outbox, ``number`` is provisional

    @property
    def queued(self) -> bool:
        return self.ticket is None

    @property
    def duplicate(self) -> bool:
        """The request was added to the caller's open order on the same matter."""
        return self.ticket is not None and self.ticket.duplicate


# --- One caller, one matter ---------------------------------------------------------------------


def _same_matter(data: TicketCreate) -> list[ColumnElement[bool]]:
    """Orders of the caller of ``data`` (phone, and name when both have one) on its matter."""
    conditions = [
        Ticket.caller_phone == data.caller_phone,
        Ticket.category == data.category,
        Ticket.topic == data.topic,
    ]
    if data.caller_name:
        conditions.append(or_(Ticket.caller_name == data.caller_name, Ticket.caller_name == ""))
    return conditions


def _find_duplicate(
    session: Session, data: TicketCreate, rules: TicketRules, now: dt.datetime
) -> Ticket | None:
    if rules.duplicate_window <= dt.timedelta(0):
        return None
    stmt = (
        select(Ticket)
        .where(
            *_same_matter(data),
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.created_at >= now - rules.duplicate_window,
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def _find_by_key(session: Session, data: TicketCreate, key: str) -> tuple[Ticket, bool] | None:
    """The order an earlier intake with ``key`` gave, and whether that was as a duplicate."""
    rows = session.execute(
        select(Ticket, TicketEvent.kind, TicketEvent.data)
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(*_same_matter(data), TicketEvent.kind.in_(("created", "duplicate")))
        .order_by(TicketEvent.id.desc())
    )
    for ticket, kind, event_data in rows:
        if (event_data or {}).get("intake_key") == key:
            return ticket, kind == "duplicate"
    return None


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


def _link(session: Session, ticket: Ticket, data: TicketCreate, now: dt.datetime) -> dict[str, Any]:
    """Link the orders ``data`` names; return what could not be linked, for the history."""
    notes: dict[str, Any] = {}
    for raw in dict.fromkeys(store.normalise_number(n) for n in data.related or []):
        found = session.scalar(select(Ticket.id).where(Ticket.number == raw))
        if found is None or found == ticket.id:
            notes.setdefault("unresolved_related", []).append(raw)
        elif session.scalar(select(Ticket.id).where(Ticket.id == found, *_same_matter(data))) is None:
            notes.setdefault("unlinked_related", []).append(raw)  # another caller's or another matter
        else:
            session.add(TicketLink(ticket_id=ticket.id, related_id=found, kind="related", created_at=now))
    if data.follow_up_of:
        number = store.normalise_number(data.follow_up_of)
        same_caller = [Ticket.caller_phone == data.caller_phone]
        if data.conversation_id:
            same_caller.append(Ticket.conversation_id == data.conversation_id)
        original = session.scalar(select(Ticket.id).where(Ticket.number == number, or_(*same_caller)))
        if original is None or original == ticket.id:
            notes["unresolved_follow_up"] = number
        else:
            session.add(TicketLink(ticket_id=ticket.id, related_id=original, kind="followup", created_at=now))
    return notes


# --- Creation inside a transaction ---------------------------------------------------------------


def create_ticket(
    session: Session,
    *,
    data: TicketCreate,
    actor: str,
    channel: str,
    rules: TicketRules | None = None,
    now: dt.datetime | None = None,
    key: str | None = None,
) -> TicketPublic:
    """Open a work order (or add to the caller's open order on the same matter) in ``session``.

    ``actor`` is who records it (``bot``, an agent's name); ``channel`` is the system the
    request came through (``rasa``, ``api``, ``cli``), while ``data.channel`` is how the caller
    reached the hotline. The number exists once the caller's unit of work commits.
    """
    if not isinstance(data, TicketCreate):
        raise TypeError(f"data must be a TicketCreate, not {type(data).__name__}")
    actor = store.check_name(actor, "actor", 64)
    channel = store.check_name(channel, "channel", 16)
    rules = store.rules_or_configured(rules)
    now = now or utcnow()
    begin_write(session)
    # Two simultaneous requests of one caller on one matter must not both open an order.
    lock_key(session, data.caller_phone, data.category, data.topic)
    if key is not None and (earlier := _find_by_key(session, data, key)) is not None:
        return public(session, earlier[0], now=now, duplicate=earlier[1])
    stamp = {"intake_key": key} if key is not None else {}
    existing = _find_duplicate(session, data, rules, now)
    if existing is not None:
        store.add_event(
            existing,
            kind="duplicate",
            actor=actor,
            channel=channel,
            at=now,
            comment=data.description,
            data={"intake_channel": data.channel, "conversation_id": data.conversation_id, **stamp},
        )
        _attach_transcript(existing, data, now)
        existing.updated_at = now
        session.flush()
        log.info("tickets.duplicate number=%s actor=%s", existing.number, actor)
        return public(session, existing, now=now, duplicate=True)

    number = store.next_number(session, rules, now)
    department, rule_index = rules.route(data.category, data.topic, data.region)
    store.ensure_department(session, department, rules.departments.get(department, ""))
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
        status=TicketStatus.NEW,
        conversation_id=data.conversation_id,
        created_at=now,
        updated_at=now,
        due_at=rules.due(data.category, data.topic, data.region, now),
        escalation_count=0,
    )
    session.add(ticket)
    created = store.add_event(
        ticket,
        kind="created",
        actor=actor,
        channel=channel,
        at=now,
        to_status=TicketStatus.NEW,
        data={
            "intake_channel": data.channel,
            "department": department,
            "routing_rule": rule_index,
            "time_limit": rules.time_limit(data.category, data.topic, data.region).label(),
            **({"follow_up_of": data.follow_up_of} if data.follow_up_of else {}),
            **stamp,
        },
    )
    _attach_transcript(ticket, data, now)
    session.flush()
    notes = _link(session, ticket, data, now)
    if notes:
        created.data = {**created.data, **notes}
    session.flush()
    log.info(
        "tickets.created number=%s category=%s department=%s phone=%s",
        number,
        data.category,
        department,
        mask_phone(data.caller_phone),
    )
    return public(session, ticket, now=now)


# --- The intake ----------------------------------------------------------------------------------


def register_order(
    factory: sessionmaker[Session],
    data: TicketCreate,
    *,
    actor: str,
    channel: str,
    key: str | None = None,
    rules: TicketRules | None = None,
    now: dt.datetime | None = None,
) -> TicketPublic:
    """``create_ticket`` in units of work of its own, retried on writers' conflicts; committed on return."""
    rules = store.rules_or_configured(rules)

    def attempt(session: Session) -> TicketPublic:
        return create_ticket(session, data=data, actor=actor, channel=channel, rules=rules, now=now, key=key)

    return store.run_retried(factory, attempt, what="create")


def open_order(
    settings: Settings, data: TicketCreate, *, actor: str, channel: str, key: str | None = None
) -> IntakeResult:
    """Open a work order for a caller: its number, or a provisional one while the database is down.

    Blocking (database, outbox file): async callers run it in a thread. Errors other than an
    outage (bad data) are raised; the caller must then not promise anything.
    """
    actor = store.check_name(actor, "actor", 64)
    channel = store.check_name(channel, "channel", 16)
    try:
        factory = get_session_factory(settings)
        view = register_order(
            factory, data, actor=actor, channel=channel, key=key, rules=rules_from_settings(settings)
        )
    except Exception as exc:
        if not outbox.is_outage(exc):
            raise
        reference = outbox.queue_ticket(settings, data, actor=actor, channel=channel, key=key)
        log.warning("tickets.intake.queued reference=%s error=%s", reference, type(exc).__name__)
        return IntakeResult(number=reference)
    return IntakeResult(number=view.number, ticket=view)


def replay_queued(settings: Settings, payload: dict[str, Any], key: str) -> dict[str, Any]:
    """Register an order the outbox kept during an outage, once, and tell its conversation the number.

    Called by the outbox's replay; an outage raises again, so the row waits for the next pass.
    """
    data = TicketCreate.model_validate(payload["data"])
    session_id = payload.get("session_id")
    reference = provisional_reference(key)
    factory = get_session_factory(settings)
    if session_id:
        with unit_of_work(factory) as db:
            noted = conversation_store.find_applied(db, session_id=session_id, key=key)
        if noted is not None:  # registered and told on an earlier pass
            return {"ticket": noted.get("ticket"), "provisional": reference}
    view = register_order(
        factory,
        data,
        actor=payload.get("actor") or "bot",
        channel=payload.get("channel") or "api",
        key=key,
        rules=rules_from_settings(settings),
    )
    if session_id:
        with unit_of_work(factory) as db:
            conversation_store.note_queued_ticket(
                db,
                session_id=session_id,
                key=key,
                number=view.number,
                provisional=reference,
                channel=data.channel,
            )
    log.info("tickets.intake.replayed key=%s provisional=%s number=%s", key, reference, view.number)
    return {"ticket": view.number, "provisional": reference}


outbox.set_ticket_applier(replay_queued)

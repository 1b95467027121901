"""How work orders are kept: numbers, write locks on both databases, retried units of work, lookups.

Functions taking a ``Session`` work inside the caller's transaction and never commit or roll
back; ``api.db.unit_of_work`` owns that. ``run_retried`` is the one place that starts a unit of
work again, on a conflict another writer caused (SQLite busy, a PostgreSQL serialisation error).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.db import begin_write, unit_of_work
from api.errors import NotFound, ServiceUnavailable
from api.models.tickets import Department, Ticket, TicketCounter, TicketEvent
from api.services.registry import get_session_factory
from api.services.ticket_rules import TicketRules, rules_from_settings
from api.settings import Settings, get_settings

log = logging.getLogger(__name__)

T = TypeVar("T")

NUMBER_RE = re.compile(r"^GD\d{8}\d{4,6}$")
MAX_SEQUENCE = 999_999
MAX_ATTEMPTS = 8


class TicketNotFound(NotFound):
    key = "ticket_not_found"


class TicketLookupFailed(TicketNotFound):
    """Number and phone digits do not match; deliberately silent about which one is wrong."""

    key = "ticket_lookup_failed"


class TicketStoreBusy(ServiceUnavailable):
    key = "ticket_store_busy"


def rules_or_configured(rules: TicketRules | None) -> TicketRules:
    """``rules``, or the rule files named in the process settings."""
    return rules if rules is not None else rules_from_settings(get_settings())


def check_name(value: str, argument: str, limit: int) -> str:
    """A non-empty, stripped string of at most ``limit`` characters (actors, channels, results)."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}")
    value = value.strip()
    if not value:
        raise ValueError(f"{argument} must not be empty")
    return value[:limit]


def normalise_number(number: str) -> str:
    if not isinstance(number, str):
        raise TypeError(f"number must be a str, not {type(number).__name__}")
    return number.strip().upper()


# --- Locks and numbers ----------------------------------------------------------------------------


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


def next_number(session: Session, rules: TicketRules, now: dt.datetime) -> str:
    """The next order number of the local day: GD + YYYYMMDD + a sequence of at least four digits."""
    day = now.astimezone(ZoneInfo(rules.timezone)).strftime("%Y%m%d")
    sequence = _next_sequence(session, day)
    if sequence > MAX_SEQUENCE:
        raise TicketStoreBusy("daily ticket sequence exhausted")
    return f"GD{day}{sequence:04d}"


# --- Rows -----------------------------------------------------------------------------------------


def load(session: Session, number: str, *, for_update: bool = False) -> Ticket:
    """The order with ``number``; ``TicketNotFound`` for a malformed or unknown number."""
    number = normalise_number(number)
    if not NUMBER_RE.match(number):
        raise TicketNotFound(number=number)
    stmt = select(Ticket).where(Ticket.number == number)
    if for_update:
        stmt = stmt.with_for_update()
    ticket = session.scalars(stmt).one_or_none()
    if ticket is None:
        raise TicketNotFound(number=number)
    return ticket


def load_for_change(session: Session, number: str) -> Ticket:
    """The order, locked for this transaction's change (write lock first on SQLite)."""
    begin_write(session)
    return load(session, number, for_update=True)


def add_event(
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
    """Append one entry to the order's history; nothing changes without one."""
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


def ensure_department(session: Session, name: str, description: str = "") -> None:
    if session.scalar(select(Department.id).where(Department.name == name)) is None:
        session.add(Department(name=name, description=description))
        session.flush()


def sync_departments(session: Session, *, rules: TicketRules | None = None) -> int:
    """Insert the departments named in the routing file that the table lacks; return how many."""
    existing = set(session.scalars(select(Department.name)))
    missing = {n: d for n, d in rules_or_configured(rules).departments.items() if n not in existing}
    session.add_all(Department(name=n, description=d) for n, d in missing.items())
    session.flush()
    return len(missing)


def sync_configured_departments(settings: Settings) -> int:
    """Record the configured departments in the database (at start-up; creation also adds them)."""
    try:
        with unit_of_work(get_session_factory(settings)) as session:
            return sync_departments(session, rules=rules_from_settings(settings))
    except IntegrityError:
        return 0  # another process inserted them first; nothing lost


# --- Retried units of work ------------------------------------------------------------------------


def _retryable(exc: Exception) -> bool:
    """Unique-number races, SQLite busy and PostgreSQL serialisation errors are worth a retry."""
    if isinstance(exc, IntegrityError):
        return True
    message = str(getattr(exc, "orig", exc)).lower()
    return any(s in message for s in ("locked", "busy", "deadlock", "could not serialize"))


def run_retried(factory: sessionmaker[Session], work: Callable[[Session], T], *, what: str) -> T:
    """``work`` in a unit of work of its own, run again in a fresh one after a writers' conflict.

    A conflict still there after ``MAX_ATTEMPTS`` (or an error no retry can help) becomes
    ``TicketStoreBusy``: the caller hears that the store is busy, never a half-made order.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with unit_of_work(factory) as session:
                return work(session)
        except (IntegrityError, OperationalError) as exc:
            if not _retryable(exc) or attempt == MAX_ATTEMPTS:
                log.error("tickets.%s.failed attempts=%d error=%s", what, attempt, type(exc).__name__)
                raise TicketStoreBusy(type(exc).__name__) from exc
            log.info("tickets.%s.retry attempt=%d error=%s", what, attempt, type(exc).__name__)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise TicketStoreBusy("unreachable")  # the loop returns or raises

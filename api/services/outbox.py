"""Durable local outbox: writes acknowledged to a caller while the database is down.

A caller who was told "we have noted it" must not lose that request because PostgreSQL fell
over mid-conversation. When a chat turn, a hand-off or a work order cannot be stored, the
chat service (or the ticket action) puts it here instead: one row in a small SQLite file under
the data dir, committed with ``synchronous=FULL`` (fsync'd) before the caller hears anything.

``replay`` applies the rows in the order they were queued, each under the client-generated
key it was queued with, and stops at the first row the database still refuses; the API runs
it in the background (``replay_loop``) and before every chat turn, so the backlog drains by
itself once the database is back. Replay is idempotent: a queued chat write leaves its key
in the data of the turns it adds, a queued work order leaves a note turn with its key and is
also recognised by its conversation, phone and topic; a row already applied is never applied
twice. Rows that fail for another reason (bad data) are retried a few times, then kept as
``dead`` for an operator; health reports both counts.

Several processes may share one outbox file (the API and the action server on one host):
SQLite serialises the writers and a file lock lets only one process replay at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.services.conversations import store
from api.services.provisional import provisional_reference
from api.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "Item",
    "Outbox",
    "ReplayResult",
    "get_outbox",
    "is_outage",
    "queue_ticket",
    "replay",
    "replay_loop",
    "set_ticket_applier",
]

KIND_CHAT = "chat"
KIND_TICKET = "ticket"
MAX_ATTEMPTS = 5  # non-outage failures before a row is set aside as dead

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result TEXT,
    created_at REAL NOT NULL,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS ix_outbox_state ON outbox (state, id);
"""


@dataclass(frozen=True)
class Item:
    """One queued write."""

    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    created_at: float


@dataclass(frozen=True)
class ReplayResult:
    applied: int
    failed: int
    pending: int


class Outbox:
    """The outbox file; every method opens its own connection, so threads and processes may share it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._replay_lock = threading.Lock()
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the caller is told
            yield conn
        finally:
            conn.close()

    def put(self, kind: str, payload: dict[str, Any], *, key: str | None = None) -> str:
        """Store one write durably and return its key (a repeated key is stored once)."""
        if kind not in (KIND_CHAT, KIND_TICKET):
            raise ValueError(f"kind must be {KIND_CHAT!r} or {KIND_TICKET!r}, got {kind!r}")
        key = key or uuid.uuid4().hex
        body = json.dumps(payload, ensure_ascii=False, default=str)
        with self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO outbox (key, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                (key, kind, body, time.time()),
            )
        log.warning("outbox.queued kind=%s key=%s", kind, key)
        return key

    def pending(self, limit: int = 200) -> list[Item]:
        """Rows still to apply, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, key, kind, payload, attempts, created_at FROM outbox"
                " WHERE state = 'pending' ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [Item(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    def counts(self) -> dict[str, int]:
        """Number of rows per state (pending, done, dead)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        found = {"pending": 0, "done": 0, "dead": 0}
        found.update({state: int(n) for state, n in rows})
        return found

    def backlog(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0])

    def result(self, key: str) -> dict[str, Any] | None:
        """What applying the row gave (e.g. the real work-order number), once it is done."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT result FROM outbox WHERE key = ? AND state = 'done'", (key,)
            ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def mark_done(self, key: str, result: dict[str, Any] | None = None) -> None:
        with self._connect() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'done', result = ?, done_at = ? WHERE key = ?",
                (json.dumps(result or {}, ensure_ascii=False), time.time(), key),
            )

    def mark_failed(self, key: str, error: str) -> bool:
        """Count a non-outage failure; True when the row is now dead."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
                " state = CASE WHEN attempts + 1 >= ? THEN 'dead' ELSE state END WHERE key = ?",
                (error[:500], MAX_ATTEMPTS, key),
            )
            row = conn.execute("SELECT state FROM outbox WHERE key = ?", (key,)).fetchone()
        return bool(row and row[0] == "dead")

    @contextlib.contextmanager
    def replay_lock(self) -> Iterator[bool]:
        """Yield True when this thread may replay now (no other thread or process is replaying)."""
        if not self._replay_lock.acquire(blocking=False):
            yield False
            return
        try:
            with open(self.path.with_suffix(self.path.suffix + ".lock"), "a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    yield False
                    return
                try:
                    yield True
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            self._replay_lock.release()


_boxes: dict[Path, Outbox] = {}
_boxes_lock = threading.Lock()


def get_outbox(settings: Settings) -> Outbox:
    """The process's outbox for ``settings`` (one per file)."""
    path = settings.effective_outbox_path.resolve()
    with _boxes_lock:
        box = _boxes.get(path)
        if box is None:
            box = _boxes[path] = Outbox(path)
    return box


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) means the database is unreachable, not that the data is bad."""
    from sqlalchemy import exc as sa_exc

    from api.errors import ServiceUnavailable

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(
            current,
            sa_exc.OperationalError
            | sa_exc.InterfaceError
            | sa_exc.TimeoutError
            | sqlite3.OperationalError
            | ServiceUnavailable
            | ConnectionError
            | TimeoutError,
        ):
            return True
        if (
            type(current).__name__ in ("OperationalError", "InterfaceError")
            and "psycopg" in type(current).__module__
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def queue_ticket(
    settings: Settings,
    data: Any,
    *,
    actor: str,
    channel: str,
    session_id: str | None = None,
    key: str | None = None,
) -> str:
    """Queue a work order the database refused; returns the provisional reference for the caller.

    ``key`` (the intake's idempotency key, else a new one) is the row's key; the replay registers
    the order under it, so a row applied twice still makes one order.
    """
    payload = {
        "data": data.model_dump(mode="json"),
        "actor": actor,
        "channel": channel,
        "session_id": session_id or data.conversation_id,
        "queued_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    return provisional_reference(get_outbox(settings).put(KIND_TICKET, payload, key=key))


# --- Replay ---------------------------------------------------------------------------------------

# Registers a queued work order (settings, payload, key) -> {"ticket": number, "provisional": ref}.
# The work-order intake (api/services/tickets/intake.py) sets it when imported: it uses this module,
# so this module cannot import it back.
TicketApplier = Callable[[Settings, dict[str, Any], str], dict[str, Any]]
_ticket_applier: TicketApplier | None = None


class IntakeMissing(ConnectionError):
    """No work-order intake in this process: a queued order waits (like an outage) for one that has it."""


def set_ticket_applier(applier: TicketApplier) -> None:
    global _ticket_applier
    _ticket_applier = applier


def _apply_ticket(settings: Settings, item: Item) -> dict[str, Any]:
    """Register the queued order once, through the work-order intake (the row's key makes it idempotent)."""
    if _ticket_applier is None:
        raise IntakeMissing("api.services.tickets is not loaded in this process")
    return _ticket_applier(settings, item.payload, item.key)


def _apply(settings: Settings, item: Item) -> dict[str, Any]:
    if item.kind == KIND_TICKET:
        return _apply_ticket(settings, item)
    return store.apply_queued_write(settings, item.payload, key=item.key)


def replay(settings: Settings, *, limit: int = 200) -> ReplayResult:
    """Apply queued writes in order until the database refuses one; safe to call from anywhere."""
    box = get_outbox(settings)
    applied = failed = 0
    with box.replay_lock() as mine:
        if not mine:
            return ReplayResult(0, 0, box.backlog())
        # A batch's work orders go after its chat writes, so the note "临时受理号…已正式登记" follows
        # the turn that gave the caller the provisional reference.
        for item in sorted(box.pending(limit), key=lambda i: (i.kind == KIND_TICKET, i.id)):
            try:
                result = _apply(settings, item)
            except Exception as exc:
                if is_outage(exc):
                    log.info("outbox.replay.waiting key=%s error=%s", item.key, type(exc).__name__)
                    break
                failed += 1
                dead = box.mark_failed(item.key, f"{type(exc).__name__}: {exc}")
                log.exception("outbox.replay.failed key=%s dead=%s", item.key, dead)
                if not dead:
                    break  # keep the order: later writes of a conversation wait for this one
                continue
            box.mark_done(item.key, result)
            applied += 1
    pending = box.backlog()
    if applied or failed:
        log.info("outbox.replay applied=%d failed=%d pending=%d", applied, failed, pending)
    return ReplayResult(applied, failed, pending)


async def replay_loop(settings: Settings) -> None:
    """Replay every ``outbox_replay_interval_s`` for as long as the app runs."""
    while True:
        await asyncio.sleep(settings.outbox_replay_interval_s)
        try:
            if await asyncio.to_thread(get_outbox(settings).backlog):
                await asyncio.to_thread(replay, settings)
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("outbox.replay_loop.failed")

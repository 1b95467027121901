"""Writing a turn so that it survives a database outage.

A write (turns, region, work-order number, rating, hand-off request) goes to the database through
the store; while the database is down it waits in the outbox (``api/services/outbox.py``), whose
replay applies it later through the same store. Writes never overtake queued ones.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from api.db import unit_of_work
from api.services import outbox
from api.services.conversations import store
from api.services.registry import get_session_factory
from api.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["Stored", "write"]


class Stored:
    """The conversation as it was before a write, and the write's outbox key if it was queued."""

    def __init__(self, state: store.State, key: str | None) -> None:
        self.state = state
        self.key = key

    @property
    def queued(self) -> bool:
        return self.key is not None


def _queued_state(box: outbox.Outbox, session_id: str) -> store.State:
    """The conversation as far as the queued writes tell (the database cannot be read)."""
    state = store.State()
    for item in box.pending(limit=1000):
        payload = item.payload
        if item.kind != outbox.KIND_CHAT or payload.get("session_id") != session_id:
            continue
        for turn in payload.get("turns") or []:
            if turn["speaker"] == "caller" and not str(turn["text"]).startswith("/"):
                state.history.append(turn["text"])
            elif turn["speaker"] == "bot" and turn.get("kind"):
                state.last_kind = turn["kind"]
        state.region = payload.get("region") or state.region
        state.handed = state.handed or bool(payload.get("handoff"))
    state.history = state.history[-6:]
    return state


def _database_first(settings: Settings, box: outbox.Outbox, after: Stored | None) -> bool:
    """Whether to try the database: not behind this turn's queued write, nor behind a backlog."""
    if after is not None:
        return not after.queued
    return box.backlog() == 0 or outbox.replay(settings).pending == 0


def write(
    settings: Settings,
    payload: dict[str, Any],
    *,
    after: Stored | None = None,
    before_queue: Callable[[str], None] | None = None,
) -> Stored:
    """Store ``payload`` in one transaction, or queue it durably while the database is down.

    ``after`` is the earlier write of the same turn: the backlog was checked then, so this one goes
    straight to the database, or straight to the queue when that one was queued. ``before_queue``
    may still change the payload once its outbox key is known.
    """
    box = outbox.get_outbox(settings)
    session_id = payload["session_id"]
    try:
        if _database_first(settings, box, after):
            with unit_of_work(get_session_factory(settings)) as db:
                if after is None:  # the turn's first write reads the conversation for the dialogue
                    conv = store.get_or_create(db, session_id, payload.get("channel") or "web")
                    state = store.state_of(db, conv)
                else:
                    state = after.state
                state.region = store.apply_write(db, payload).region
            return Stored(state, None)
    except Exception as exc:
        if not outbox.is_outage(exc):
            raise
        log.warning("chat.store.unavailable session=%s error=%s", session_id, type(exc).__name__)
    state = _queued_state(box, session_id)
    key = uuid.uuid4().hex
    if before_queue is not None:
        before_queue(key)
    box.put(outbox.KIND_CHAT, payload, key=key)
    state.region = payload.get("region") or state.region
    return Stored(state, key)

"""Tracker helpers and reply payloads shared by the actions.

Every bot message of this assistant carries ``custom.kind`` (see docs/dialogue.md): the
chat service reports the kind of the last message of a turn that has one. Payloads built
here are the only place an action sets it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from api.settings import Settings, get_settings
from bot.actions import names
from vocab.terms import DEFAULT_CHANNEL, REPLY_KINDS, Channel, channel_or_default

log = logging.getLogger(__name__)


def payload(kind: str, **extra: Any) -> dict[str, Any]:
    """The ``custom`` part of a bot message: its kind plus any non-empty extras."""
    if kind not in REPLY_KINDS:
        raise ValueError(f"kind must be one of {REPLY_KINDS}, got {kind!r}")
    return {"kind": kind, **{k: v for k, v in extra.items() if v not in (None, "", [], {})}}


def settings() -> Settings:
    """The process settings (the action server runs in the app's venv)."""
    return get_settings()


def _session_events(tracker: Tracker) -> list[dict[str, Any]]:
    """Events of the current session (after the latest session start or restart)."""
    events = list(tracker.events or [])
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") in ("session_started", "restart"):
            return events[i + 1 :]
    return events


def _is_typed(text: str | None) -> bool:
    """Button payloads (``/intent{...}``) are not words the caller said."""
    return bool(text) and not str(text).startswith("/")


def latest_text(tracker: Tracker) -> str:
    """What the caller just said or typed ("" for a button payload)."""
    text = (tracker.latest_message or {}).get("text") or ""
    return text.strip() if _is_typed(text) else ""


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    """Name and confidence of the latest intent."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def intent_ranking(tracker: Tracker) -> list[dict[str, Any]]:
    """The NLU's ranking of intents for the latest message ({name, confidence}, best first)."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    return [r for r in ranking if isinstance(r, dict)]


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    """The first value of ``entity`` in the latest message, or None."""
    values = list(tracker.get_latest_entity_values(entity))
    return str(values[0]) if values else None


def user_texts(tracker: Tracker, *, limit: int = 6, include_latest: bool = False) -> list[str]:
    """The caller's recent words in this session, oldest first (history for the knowledge base)."""
    texts = [e.get("text") or "" for e in _session_events(tracker) if e.get("event") == "user"]
    texts = [t.strip() for t in texts if _is_typed(t)]
    if not include_latest and texts and texts[-1] == latest_text(tracker):
        texts = texts[:-1]
    return texts[-limit:] if limit else texts


def transcript(tracker: Tracker) -> list[dict[str, str | None]]:
    """The session as {speaker, text, time} turns, for work orders and hand-off."""
    turns: list[dict[str, str | None]] = []
    for event in _session_events(tracker):
        kind = event.get("event")
        text = event.get("text") or ""
        if kind not in ("user", "bot") or not _is_typed(text):
            continue
        stamp = event.get("timestamp")
        when = dt.datetime.fromtimestamp(stamp, dt.UTC).isoformat(timespec="seconds") if stamp else None
        turns.append({"speaker": "caller" if kind == "user" else "bot", "text": text[:5000], "time": when})
    return turns[-500:]


def channel_of(tracker: Tracker) -> Channel:
    """How the caller reached the hotline (metadata of the latest message), default web."""
    for event in reversed(_session_events(tracker)):
        if event.get("event") == "user":
            return channel_or_default((event.get("metadata") or {}).get("channel"))
    return DEFAULT_CHANNEL


def collected_slots(tracker: Tracker) -> dict[str, Any]:
    """The slots an agent or a work order needs, without empty ones."""
    keys = (
        names.REGION,
        names.TOPIC,
        names.INSURED_TYPE,
        names.PERSON_TYPE,
        names.PENDING_QUESTION,
        names.TICKET_NAME,
        names.TICKET_PHONE,
        names.TICKET_NUMBER,
    )
    return {k: tracker.get_slot(k) for k in keys if tracker.get_slot(k) not in (None, "")}


def region_in(text: str, entity: str | None = None) -> str | None:
    """The 参保地 named in ``text`` (or in the extracted entity) as a canonical path."""
    from knowledge.regions import extract_region, region_table

    found = extract_region(text) if text else None
    if found is None and entity:
        try:
            found = region_table().canonical(entity)
        except ValueError:
            found = None
    return found


def region_display(path: str | None) -> str:
    """A short spoken name of a canonical region path (汉中略阳)."""
    from knowledge.regions import region_table

    return region_table().display(path)


def thank_and_close(dispatcher: CollectingDispatcher) -> list[EventType]:
    """Thanks or goodbye instead of an answer or an offer's reply: close, ask for a rating, drop the
    offer ("好，那我清楚了" however NLU took it)."""
    dispatcher.utter_message(response=names.UTTER_THANK)
    return [SlotSet(names.PENDING_OFFER, None)]

"""Phone calls in the conversation store, and the work done when a call ends.

The IVR (``voice.ivr``) logs every line of a call; ``CallLog.on_entry`` writes each one at once
into the conversations/turns tables the chat uses (channel ``phone``, session id = call id) through
``conversations.store.record_turn``, so the agent workspace and the supervisor dashboard follow calls
live. Lines
the dialogue service stores itself (the caller's question and its answer, marked ``dialogue``) are
not written twice. A transfer puts the conversation into the hand-off queue at once.

When the call ends, ``finish_call`` keeps the recording and the JSON record under
``data_dir/calls``, scores the timed transcript (both sides) with the inspection service, and
writes a closing turn with the outcome, the recording and the inspection result. ``CallEndWorker``
runs it on its own thread, so the line never waits for it; each step's failure is logged and
skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

from api.db import unit_of_work
from api.privacy import mask_phone
from api.services import tickets
from api.services.conversations import handoff, store
from api.services.registry import get_session_factory
from api.settings import Settings
from api.texts import text as t
from vocab.terms import REPLY_KINDS

log = logging.getLogger(__name__)

__all__ = ["CallEndWorker", "CallLog", "finish_call", "recording_name"]

CHANNEL = "phone"
_NAME_RE = re.compile(r"[^A-Za-z0-9_.:\-]")
_EVENT_TEXTS = {"call_started": "call_started", "barge_in": "call_barge_in", "no_input": "call_no_input"}
_OUTCOMES = frozenset(("transfer", "goodbye", "callback", "hangup", "in_progress"))


class CallRecordLike(Protocol):
    """What ``voice.ivr.CallRecord`` offers (services take the record without importing the IVR)."""

    call_id: str
    caller: str | None
    started_at: str
    ended_at: str | None
    outcome: str
    reason: str
    ticket_ids: list[str]
    turns: int
    transcript: list[dict[str, Any]]
    recording_wav: bytes | None

    def to_json(self) -> dict[str, Any]: ...


def recording_name(call_id: str) -> str:
    """The file stem of a call's record and recording (safe on every file system)."""
    return _NAME_RE.sub("_", call_id)[:64] or "call"


def _timing(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ("t", "end") if isinstance(entry.get(k), int | float)}


class CallLog:
    """Writes one call's transcript lines into the conversation store as they happen.

    Args:
        dialogue_stores: the IVR's dialogue is the chat service, which stores the caller's question
            and its answer itself; lines marked ``dialogue`` are then skipped here.
    """

    def __init__(
        self, settings: Settings, *, call_id: str, caller: str | None, dialogue_stores: bool
    ) -> None:
        self.settings = settings
        self.call_id = call_id
        self.caller = mask_phone(caller) if caller else ""
        self.dialogue_stores = dialogue_stores

    def on_entry(self, entry: Mapping[str, Any]) -> None:
        """Store one line of the call (``voice.ivr`` transcript entry) as a turn."""
        speaker, text, kind = entry.get("speaker"), str(entry.get("text") or ""), entry.get("kind")
        if entry.get("dialogue") and self.dialogue_stores:
            return
        data = _timing(entry)
        if speaker == "caller" and kind == "dtmf":
            self._turn("caller", t("call_key", digit=text), "dtmf", {**data, "digit": text})
        elif speaker == "caller":
            self._turn("caller", text, None, data)
        elif speaker == "bot":
            prompt = str(entry.get("prompt") or "")
            self._turn("bot", text, kind if kind in REPLY_KINDS else None, {**data, "prompt": prompt})
        elif kind == "transfer":
            self._turn("system", t("call_transfer"), "event", {**data, "event": "transfer", "reason": text})
            self._hand_off(text)
        elif kind == "hangup":
            self._turn("system", t("call_hangup"), "event", {**data, "event": "hangup", "reason": text})
        elif text.startswith("callback_ticket "):
            number = text.split()[-1]
            data = {**data, "event": "callback_ticket", "ticket_id": number}
            self._turn("system", t("call_callback_ticket", ticket_id=number), "event", data, number)
        elif text == "call_started":
            shown = self.caller or t("call_unknown_caller")
            data = {**data, "event": text, "caller": self.caller}
            self._turn("system", t("call_started", caller=shown), "event", data)
        elif text in _EVENT_TEXTS:
            self._turn("system", t(_EVENT_TEXTS[text]), "event", {**data, "event": text})
        # Any other event is the reason the line closed: the closing turn of finish_call tells it.

    def _turn(
        self,
        speaker: str,
        text: str,
        kind: str | None,
        data: dict[str, Any],
        ticket_number: str | None = None,
    ) -> None:
        store.record_turn(
            self.call_id,
            speaker,
            text[:5000],
            channel=CHANNEL,
            kind=kind,
            data=data,
            ticket_number=ticket_number,
            settings=self.settings,
        )

    def _hand_off(self, reason: str) -> None:
        """The line puts the caller through to the agent queue: the workspace lists the call now."""
        with unit_of_work(get_session_factory(self.settings)) as db:
            if not handoff.is_active(db, session_id=self.call_id):
                slots = {"caller": self.caller} if self.caller else {}
                handoff.request(db, session_id=self.call_id, reason=reason, slots=slots, channel=CHANNEL)


def _seconds(record: CallRecordLike) -> int:
    try:
        begin = dt.datetime.fromisoformat(record.started_at)
        end = dt.datetime.fromisoformat(record.ended_at or record.started_at)
    except ValueError:
        return 0
    return max(0, round((end - begin).total_seconds()))


def _attach_to_orders(settings: Settings, record: CallRecordLike, path: str) -> None:
    """The recording joins every work order opened during the call (key 9 or the dialogue)."""
    for number in record.ticket_ids:
        try:
            with unit_of_work(get_session_factory(settings)) as session:
                tickets.attach_recording(session, number=number, call_id=record.call_id, path=path)
        except Exception:  # a provisional outbox number or a database outage: the call is still kept
            log.exception("calls.attach_recording_failed call=%s ticket=%s", record.call_id, number)


def finish_call(settings: Settings, record: CallRecordLike) -> dict[str, Any]:
    """Keep recording and record, score the call, write the closing turn; returns what was done.

    Each step runs even when an earlier one failed (a full disk must not cost the inspection).
    """
    name = recording_name(record.call_id)
    folder = Path(settings.data_dir) / "calls"
    body = record.to_json()
    done: dict[str, Any] = {"call_id": record.call_id}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if record.recording_wav:
            (folder / f"{name}.wav").write_bytes(record.recording_wav)
            body["recording"] = done["recording"] = f"{name}.wav"
    except OSError:
        log.exception("calls.recording_failed call=%s", name)
    if "recording" in done:
        _attach_to_orders(settings, record, f"calls/{done['recording']}")
    try:
        from api.services.inspection import score_call

        with get_session_factory(settings)() as session:
            result = score_call(session, call_id=record.call_id, entries=record.transcript, settings=settings)
        done.update(qa_result_id=result.id, qa_score=result.score, qa_passed=result.passed)
        body["qa_result_id"] = result.id
    except Exception:  # a bad rule file or a database hiccup: the call is kept, the score is missing
        log.exception("calls.inspection_failed call=%s", name)
    try:
        (folder / f"{name}.json").write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError:
        log.exception("calls.record_failed call=%s", name)
    try:
        closing = {
            "event": "call_ended",
            "outcome": record.outcome,
            "reason": record.reason,
            "ticket_ids": list(record.ticket_ids),
            "dialogue_turns": record.turns,
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "seconds": _seconds(record),
            "recording": f"calls/{done['recording']}" if "recording" in done else None,
            "record": f"calls/{name}.json",
            **{k: v for k, v in done.items() if k.startswith("qa_")},
        }
        outcome = t(f"call_outcome_{record.outcome}") if record.outcome in _OUTCOMES else record.outcome
        store.record_turn(
            record.call_id,
            "system",
            t("call_ended", outcome=outcome, seconds=closing["seconds"]),
            channel=CHANNEL,
            kind="event",
            data=closing,
            ticket_number=record.ticket_ids[-1] if record.ticket_ids else None,
            settings=settings,
        )
    except Exception:
        log.exception("calls.closing_turn_failed call=%s", name)
    log.info("calls.finished call=%s outcome=%s qa=%s", name, record.outcome, done.get("qa_result_id"))
    return done


class CallEndWorker:
    """Runs ``finish_call`` on a thread of its own: the line is released before any of it starts.

    One worker keeps the scoring of many ending calls from crowding the recognisers of live ones.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-end")
        self._pending: set[Future[dict[str, Any]]] = set()
        self._lock = threading.Lock()

    def submit(self, record: CallRecordLike) -> Future[dict[str, Any]]:
        """Queue the end-of-call work of ``record``."""
        future = self._pool.submit(finish_call, self.settings, record)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[dict[str, Any]]) -> None:
        with self._lock:
            self._pending.discard(future)
        if future.exception() is not None:
            log.error("calls.finish_failed error=%s", type(future.exception()).__name__)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait for queued work (tests, shutdown); True when nothing is left."""
        with self._lock:
            pending = set(self._pending)
        _, not_done = wait(pending, timeout=timeout)
        return not not_done

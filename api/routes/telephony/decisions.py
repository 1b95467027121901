"""How each call ended, for the platform's after-call callback (Twilio ``<Connect action>``, jambonz
``actionHook``): put the caller through to the agents, or hang up.

The stream records the decision before it closes its socket, so the callback that follows finds it
in this process. Behind a load balancer the callback may reach another instance: it then reads the
decision from the call's stored turns (``api.services.calls.CallLog`` writes the transfer or hang-up
event into the shared conversation store as it happens).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from api.services.calls import recording_name
from api.settings import Settings

log = logging.getLogger(__name__)

Kind = Literal["transfer", "hangup"]
_TTL_S = 3600.0


@dataclass(frozen=True)
class Decision:
    kind: Kind
    reason: str


class CallDecisions:
    """The decisions of recent calls, by call id (kept an hour)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, Decision]] = {}
        self._lock = threading.Lock()

    def record(self, call_id: str, kind: Kind, reason: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if now - v[0] < _TTL_S}
            self._items.setdefault(call_id, (now, Decision(kind, reason)))  # the first decision holds
        log.info("voice.platform.decision call_id=%s kind=%s reason=%s", call_id, kind, reason)

    def get(self, call_id: str) -> Decision | None:
        with self._lock:
            item = self._items.get(call_id)
        return item[1] if item else None


_state_lock = threading.Lock()


def call_decisions(app: Any) -> CallDecisions:
    """The app's decision table (``app.state.voice_decisions``, made on first use)."""
    with _state_lock:
        table = getattr(app.state, "voice_decisions", None)
        if table is None:
            table = app.state.voice_decisions = CallDecisions()
        return table  # type: ignore[no-any-return]


def stored_decision(settings: Settings, call_id: str) -> Decision | None:
    """The decision another instance stored with the call's turns, if any."""
    from api.db import unit_of_work
    from api.services.conversations import handoff, store
    from api.services.registry import get_session_factory

    try:
        with unit_of_work(get_session_factory(settings)) as db:
            conv = handoff.get_conversation(db, session_id=recording_name(call_id))
            if conv is None:
                return None
            for turn in reversed(store.all_turns(db, conv)):
                event = (turn.data or {}).get("event")
                if turn.speaker == "system" and event in ("transfer", "hangup"):
                    return Decision(event, str((turn.data or {}).get("reason") or ""))
    except Exception:  # the store being down must not decide the call: the caller default applies
        log.exception("voice.platform.decision_lookup_failed call_id=%s", call_id)
    return None


def decision_for(app: Any, settings: Settings, call_id: str) -> Decision | None:
    return call_decisions(app).get(call_id) or stored_decision(settings, call_id)

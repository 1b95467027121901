"""The IVR's vocabulary: what a call talks to, what it asks the line to do, its state and its record.

Everything here is data; the call flow is ``voice.ivr``, the bot's side of the line
``voice.ivr_line``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from voice.recognizer import Event

__all__ = [
    "Action",
    "CallRecord",
    "CallbackFn",
    "CallbackRequest",
    "DialogueReply",
    "EntryFn",
    "Hangup",
    "IvrConfig",
    "ListeningSession",
    "Play",
    "Reply",
    "RespondFn",
    "SpeechRecognizer",
    "StaffedFn",
    "State",
    "StopPlayback",
    "TranscriptLine",
    "Transfer",
    "as_reply",
]


# --- What the call talks to -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One dialogue turn's answer, reduced to what a phone line needs."""

    replies: list[str]
    kind: str = "answer"
    handoff: bool = False
    ticket_id: str | None = None


class DialogueReply(Protocol):
    """What the dialogue may return: a ``Reply``, or the chat service's own ``ChatReply``.

    ``replies`` holds texts or messages with a ``text``; ``handoff`` is a flag or an object whose
    ``status`` is ``waiting``/``active`` (an agent takes over) or ``offline`` (the centre is closed).
    """

    @property
    def replies(self) -> Sequence[Any]: ...

    @property
    def kind(self) -> str: ...

    @property
    def handoff(self) -> Any: ...

    @property
    def ticket_id(self) -> str | None: ...


class RespondFn(Protocol):
    """The dialogue: ``respond(session_id, text)`` (the chat service, or the KB alone)."""

    def __call__(self, session_id: str, text: str) -> DialogueReply: ...


def as_reply(result: DialogueReply) -> Reply:
    """The phone's view of a dialogue turn; a ``ChatReply`` is read as ``api.services.phone`` reads it."""
    if isinstance(result, Reply):
        return result
    messages = getattr(result, "replies", None)
    kind = getattr(result, "kind", None)
    if messages is None or not kind:
        raise TypeError(f"the dialogue returned {type(result).__name__}, not a reply with replies and kind")
    texts = [m if isinstance(m, str) else str(getattr(m, "text", "") or "") for m in messages]
    handoff = getattr(result, "handoff", None)
    transferred = handoff is True or getattr(handoff, "status", None) in ("waiting", "active")
    return Reply([t for t in texts if t], str(kind), transferred, getattr(result, "ticket_id", None))


@dataclass(frozen=True)
class CallbackRequest:
    """What the work-order desk needs to call the caller back (key 9, or a callback offer taken)."""

    call_id: str
    caller: str | None
    description: str
    transcript: list[dict[str, Any]]


CallbackFn = Callable[[CallbackRequest], str]
# Receives each transcript line the moment it is logged (live storage of the call).
EntryFn = Callable[[dict[str, Any]], None]
# Whether human agents are on duty now (``api.services.conversations.handoff.staffed_now``).
StaffedFn = Callable[[], bool]


class ListeningSession(Protocol):
    """One call's recognition stream (``voice.recognizer.StreamingSession``)."""

    @property
    def in_utterance(self) -> bool: ...

    @property
    def listening(self) -> bool: ...

    def listen(self, no_input_s: float | None = None) -> None: ...

    def stop_listening(self) -> None: ...

    def feed(self, chunk: bytes) -> list[Event]: ...


class SpeechRecognizer(Protocol):
    """A recogniser the IVR can open a session on (``voice.recognizer.Recognizer``)."""

    @property
    def sample_rate(self) -> int: ...

    def session(self, **options: Any) -> ListeningSession: ...


# --- What the call asks the phone line to do ----------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Play ``audio`` (int16 PCM at the line rate); the line reports back with ``mark`` when done."""

    mark: str
    prompt: str
    text: str
    audio: bytes
    duration: float


@dataclass(frozen=True)
class StopPlayback:
    """Drop whatever is still queued for playback (barge-in)."""


@dataclass(frozen=True)
class Transfer:
    """Hand the call to a human agent (the bridge dials the queue)."""

    reason: str


@dataclass(frozen=True)
class Hangup:
    """End the call."""

    reason: str


@dataclass(frozen=True)
class TranscriptLine:
    """A line of the conversation, for live display (the test client prints these)."""

    entry: dict[str, Any]


Action = Play | StopPlayback | Transfer | Hangup | TranscriptLine


class State(enum.Enum):
    """Where the call is."""

    WELCOME = "welcome"
    LISTEN = "listen"
    CALLBACK_OFFER = "callback_offer"  # closed centre, caller not understood: a callback was offered
    CALLBACK = "callback"  # waiting for the caller to describe the problem for a callback
    ENDING = "ending"  # playing the last prompt before transfer or hang-up
    ENDED = "ended"


@dataclass
class IvrConfig:
    """Timing and policy of a call; defaults suit elderly callers on a phone line.

    ``max_failures`` not-understood turns in a row reach the safety net (an agent, or a callback
    offer when the centre is closed); ``max_offers`` unanswered callback offers then go to the
    agents' line anyway.
    """

    line_rate: int = 8000
    no_input_s: float = 7.0
    endpoint_silence_s: float = 0.8
    max_utterance_s: float = 20.0
    max_failures: int = 2
    max_offers: int = 2
    max_turns: int = 30
    max_call_s: float = 1800.0
    barge_in: bool = True
    inband_dtmf: bool = False
    playback_grace_s: float = 1.5
    callback_hours: int = 24
    answer_max_chars: int = 240
    # Regions to know by sound besides provinces and cities (knowledge/heard.py): the knowledge base's.
    places: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError(f"max_failures must be >= 1, got {self.max_failures}")
        if self.max_offers < 1:
            raise ValueError(f"max_offers must be >= 1, got {self.max_offers}")
        if self.line_rate not in (8000, 16000):
            raise ValueError(f"line_rate must be 8000 or 16000, got {self.line_rate}")


@dataclass
class CallRecord:
    """Everything kept about a finished call: outcome, transcript and the two-track recording."""

    call_id: str
    caller: str | None
    started_at: str
    ended_at: str | None = None
    outcome: str = "in_progress"  # transfer | goodbye | callback | hangup | in_progress
    reason: str = ""
    ticket_ids: list[str] = field(default_factory=list)
    turns: int = 0
    transcript: list[dict[str, Any]] = field(default_factory=list)
    recording_wav: bytes | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The record without the audio (the WAV is stored beside it)."""
        return {
            "call_id": self.call_id,
            "caller": self.caller,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "outcome": self.outcome,
            "reason": self.reason,
            "ticket_ids": self.ticket_ids,
            "turns": self.turns,
            "channel": "phone",
            "transcript": self.transcript,
        }

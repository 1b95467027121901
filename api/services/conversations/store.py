"""The one place that stores and reads a conversation's turns.

Every turn of every channel (the widget, the phone line, agents' replies, the IVR's own prompts
and call events) is written here, and every reader (the caller's transcript, the live push of
agents' replies, the agent assist view, the dashboard, retention, inspection) reads it here.
Functions taking a ``db`` session run inside the caller's transaction; the others open their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import begin_write, lock_key, unit_of_work
from api.errors import Conflict, DomainError, NotFound
from api.models.base import utcnow
from api.models.conversations import STATUS_HANDOFF, Conversation, Turn
from api.privacy import mask_text
from api.schemas import SESSION_ID_PATTERN, QuickReply, SourcePublic, TranscriptPublic, TurnPublic
from api.services.conversations import handoff
from api.services.provisional import is_provisional
from api.services.registry import get_session_factory
from api.settings import Settings, get_settings
from api.texts import text as t
from vocab.terms import channel_or_default

__all__ = [
    "EmptyMessage",
    "InvalidSession",
    "MessageTooLong",
    "State",
    "UnknownSession",
    "add_agent_turn",
    "add_turn",
    "apply_queued_write",
    "apply_write",
    "check_message",
    "check_session_id",
    "find_applied",
    "get_or_create",
    "load",
    "note_handoff",
    "note_queued_ticket",
    "public_turns",
    "record_turn",
    "transcript",
    "turns_since",
]

# Hand-off events are system turns of this kind; their data holds the event and the agent's name.
HANDOFF_EVENT = "handoff_event"
_SESSION_RE = re.compile(SESSION_ID_PATTERN)


class EmptyMessage(DomainError):
    status_code = 422
    key = "empty_question"


class MessageTooLong(DomainError):
    status_code = 422
    key = "question_too_long"


class InvalidSession(DomainError):
    status_code = 422
    key = "chat_invalid_session"


class UnknownSession(NotFound):
    key = "chat_unknown_session"


def check_message(text: str, limit: int) -> str:
    """The stripped message, or a domain error for an empty or too long one."""
    if not isinstance(text, str):
        raise EmptyMessage("text must be a string")
    text = text.strip()
    if not text:
        raise EmptyMessage("empty message")
    if len(text) > limit:
        raise MessageTooLong(f"{len(text)} characters", limit=limit)
    return text


def check_session_id(session_id: str) -> str:
    if not isinstance(session_id, str) or not _SESSION_RE.match(session_id):
        raise InvalidSession("session_id must be 1-64 letters, digits or _.:-")
    return session_id


# --- Writing ---------------------------------------------------------------------------------------


def lock(db: Session, session_id: str) -> None:
    """Serialise the writers of one conversation until commit, so two turns written at once (a
    caller's message and an agent's reply) never get the same number."""
    begin_write(db)
    lock_key(db, "conversation", session_id)


def get_or_create(db: Session, session_id: str, channel: str) -> Conversation:
    """The conversation of ``session_id`` for writing (locked, created when new)."""
    lock(db, session_id)
    conv = handoff.get_conversation(db, session_id=session_id)
    if conv is None:
        now = utcnow()
        conv = Conversation(
            session_id=session_id, channel=channel_or_default(channel), created_at=now, updated_at=now
        )
        db.add(conv)
        db.flush()
    return conv


def load(db: Session, session_id: str, *, write: bool = False) -> Conversation:
    """The conversation of ``session_id`` (locked when ``write``); a malformed id or an unknown one
    is a domain error."""
    if write:
        lock(db, check_session_id(session_id))
    conv = handoff.get_conversation(db, session_id=check_session_id(session_id))
    if conv is None:
        raise UnknownSession(session_id)
    return conv


def last_seq(db: Session, conv: Conversation) -> int:
    return int(
        db.scalar(select(func.coalesce(func.max(Turn.seq), 0)).where(Turn.conversation_id == conv.id)) or 0
    )


def add_turn(
    db: Session,
    conv: Conversation,
    speaker: str,
    text: str,
    kind: str | None = None,
    data: dict[str, Any] | None = None,
    *,
    seq: int | None = None,
) -> Turn:
    """Append a turn (``seq``, when the caller already knows the next number, saves a query)."""
    now = utcnow()
    turn = Turn(
        conversation_id=conv.id,
        seq=seq if seq is not None else last_seq(db, conv) + 1,
        speaker=speaker,
        text=text,
        kind=kind,
        data=data or None,
        created_at=now,
    )
    db.add(turn)
    conv.updated_at = now
    db.flush()
    return turn


@dataclass
class State:
    """What a turn needs to know of its conversation before the dialogue is asked."""

    history: list[str] = field(default_factory=list)
    last_kind: str | None = None
    region: str | None = None
    handed: bool = False
    held_by_agent: bool = False
    agent: str | None = None  # the display name of the agent holding the conversation


def state_of(db: Session, conv: Conversation, *, limit: int = 6) -> State:
    """The caller's recent questions, the bot's last reply kind and the hand-off state."""
    rows = db.execute(
        select(Turn.speaker, Turn.text, Turn.kind)
        .where(Turn.conversation_id == conv.id, Turn.speaker.in_(("caller", "bot")))
        .order_by(Turn.seq.desc())
        .limit(4 * limit)
    ).all()
    history = [r.text for r in rows if r.speaker == "caller" and not r.text.startswith("/")][:limit]
    last_kind = next((r.kind for r in rows if r.speaker == "bot" and r.kind), None)
    return State(
        history=list(reversed(history)),
        last_kind=last_kind,
        region=conv.region,
        handed=conv.status == STATUS_HANDOFF,
        held_by_agent=conv.status == STATUS_HANDOFF and conv.agent is not None,
        agent=_agent_display(db, conv),
    )


def note_handoff(db: Session, session_id: str, event: str, agent_display: str) -> None:
    """Tell the caller, in the conversation, that an agent joined or left (``event``: joined/left)."""
    conv = load(db, session_id, write=True)
    name = agent_display.strip()[:32] or t("chat_agent_default")
    text = t("chat_agent_joined" if event == "joined" else "chat_agent_left", agent=name)
    add_turn(db, conv, "system", text, HANDOFF_EVENT, {"event": event, "agent_display": name})


def _agent_display(db: Session, conv: Conversation) -> str | None:
    """The display name of the agent holding the conversation, from the latest 'joined' event."""
    if conv.status != STATUS_HANDOFF or conv.agent is None:
        return None
    rows = db.scalars(
        select(Turn.data)
        .where(Turn.conversation_id == conv.id, Turn.kind == HANDOFF_EVENT)
        .order_by(Turn.seq.desc())
        .limit(1)
    )
    data = next(iter(rows), None) or {}
    return str(data.get("agent_display") or conv.agent)


def apply_write(db: Session, write: dict[str, Any], key: str | None = None) -> Conversation:
    """Store one write (turns, region, work-order number, rating, hand-off); ``key`` marks a replayed one."""
    conv = get_or_create(db, write["session_id"], write.get("channel") or "web")
    seq = last_seq(db, conv)
    for i, turn in enumerate(write.get("turns") or []):
        data = dict(turn.get("data") or {})
        if key is not None and i == 0:
            data["op"] = key
        seq += 1
        add_turn(db, conv, turn["speaker"], turn["text"], turn.get("kind"), data, seq=seq)
    if write.get("region"):
        conv.region = write["region"]
    number = write.get("ticket_number")
    # A provisional reference never hides a real number the replay has already filled in.
    if number and (
        not is_provisional(number) or not conv.ticket_number or is_provisional(conv.ticket_number)
    ):
        conv.ticket_number = number[:20]
    if write.get("rating"):
        conv.rating = str(write["rating"])[:8]
    request = write.get("handoff")
    if request and conv.status != STATUS_HANDOFF:
        handoff.request(
            db,
            session_id=conv.session_id,
            reason=request["reason"],
            slots=request.get("slots"),
            channel=conv.channel,
        )
    return conv


def find_applied(db: Session, *, session_id: str, key: str) -> dict[str, Any] | None:
    """The data of the turn a replayed write with ``key`` left in the conversation, if any."""
    conv = handoff.get_conversation(db, session_id=session_id)
    if conv is None:
        return None
    rows = db.scalars(
        select(Turn.data)
        .where(Turn.conversation_id == conv.id, Turn.data.is_not(None))
        .order_by(Turn.seq.desc())
    )
    return next((d for d in rows if isinstance(d, dict) and d.get("op") == key), None)


def apply_queued_write(settings: Settings, write: dict[str, Any], *, key: str) -> dict[str, Any]:
    """Replay one queued chat write, once (the outbox calls this)."""
    with unit_of_work(get_session_factory(settings)) as db:
        if find_applied(db, session_id=write["session_id"], key=key) is not None:
            return {"already": True}
        apply_write(db, write, key)
    return {}


def note_queued_ticket(
    db: Session, *, session_id: str, key: str, number: str, provisional: str, channel: str = "web"
) -> None:
    """Record in the conversation that a queued work order now has its number (also the replay's mark)."""
    conv = get_or_create(db, session_id, channel)
    text = t("chat_queued_ticket_done", provisional=provisional, number=number)
    add_turn(db, conv, "system", text, "ticket", {"op": key, "ticket": number, "provisional": provisional})
    conv.ticket_number = number


def add_agent_turn(
    session_id: str, text: str, *, agent: str, display: str = "", settings: Settings | None = None
) -> None:
    """Store an agent's message in a handed-off conversation (the caller's channel pushes it)."""
    settings = settings or get_settings()
    text = check_message(text, settings.chat_max_chars)
    with unit_of_work(get_session_factory(settings)) as db:
        conv = load(db, session_id, write=True)
        if conv.status != STATUS_HANDOFF:
            raise Conflict(f"conversation {session_id} is not handed off")
        data = {"agent": agent[:64], "agent_display": display.strip()[:32] or t("chat_agent_default")}
        add_turn(db, conv, "agent", text, data=data)


def record_turn(
    session_id: str,
    speaker: str,
    text: str,
    *,
    channel: str,
    kind: str | None = None,
    data: dict[str, Any] | None = None,
    ticket_number: str | None = None,
    settings: Settings | None = None,
) -> None:
    """Store a turn that did not pass through the dialogue (the IVR's prompts, keys and call events).

    Channel adapters keep such lines in the same transcript as the dialogue's turns, so the agent
    workspace, the dashboard and quality inspection read one conversation per session id.
    """
    settings = settings or get_settings()
    with unit_of_work(get_session_factory(settings)) as db:
        conv = get_or_create(db, check_session_id(session_id), channel)
        add_turn(db, conv, speaker, text, kind, data)
        if ticket_number:
            conv.ticket_number = ticket_number[:20]


# --- Reading ---------------------------------------------------------------------------------------


def public_turns(rows: Sequence[Turn], *, masked: bool = True) -> list[TurnPublic]:
    """Turns as a caller may see them: phone and ID numbers masked (unless ``masked`` is false, for
    the agent holding the conversation)."""
    return [
        TurnPublic(
            seq=x.seq,
            speaker=x.speaker,
            text=mask_text(x.text) if masked else x.text,
            kind=x.kind,
            at=x.created_at,
            agent=(x.data or {}).get("agent_display") or None,
            event=(x.data or {}).get("event") if x.kind == HANDOFF_EVENT else None,
            sources=[SourcePublic(**s) for s in (x.data or {}).get("sources") or [] if isinstance(s, dict)],
            buttons=[QuickReply(**b) for b in (x.data or {}).get("buttons") or [] if isinstance(b, dict)],
        )
        for x in rows
    ]


def transcript(session_id: str, *, settings: Settings | None = None) -> TranscriptPublic:
    """The stored conversation with phone and ID numbers masked (what its caller may see)."""
    settings = settings or get_settings()
    with unit_of_work(get_session_factory(settings)) as db:
        conv = load(db, session_id)
        return TranscriptPublic(
            session_id=conv.session_id,
            channel=conv.channel,
            status=conv.status,
            region=conv.region,
            rating=conv.rating,
            ticket_id=conv.ticket_number,
            agent=_agent_display(db, conv),
            turns=public_turns(conv.turns),
        )


def turns_since(
    session_id: str, after_seq: int, *, settings: Settings | None = None
) -> tuple[str, int, list[TurnPublic]]:
    """(status, last seq, turns after ``after_seq`` masked as in ``transcript``): what a live channel
    polls to push an agent's replies to the caller as they are written, from any API process."""
    settings = settings or get_settings()
    with unit_of_work(get_session_factory(settings)) as db:
        conv = load(db, session_id)
        rows = db.scalars(
            select(Turn).where(Turn.conversation_id == conv.id, Turn.seq > after_seq).order_by(Turn.seq)
        ).all()
        turns = public_turns(rows)
        return conv.status, (turns[-1].seq if turns else after_seq), turns


def all_turns(db: Session, conv: Conversation) -> list[Turn]:
    return list(db.scalars(select(Turn).where(Turn.conversation_id == conv.id).order_by(Turn.seq)))

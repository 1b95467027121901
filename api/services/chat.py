"""The only code that talks to Rasa: one caller message in, the rendered bot reply out.

``respond`` stores the caller's turn, forwards it to Rasa's REST webhook (with a timeout), turns
Rasa's messages into a ``ChatReply`` (the ``custom`` payload of each message carries its kind,
sources, work-order number, hand-off or rating), and stores the bot's turns. A conversation
handed to a human is not forwarded: the bot stays silent until an agent releases it.

When Rasa or the action server is down (an error, a timeout, or Rasa's empty reply when its
actions fail), the knowledge service answers policy questions directly, a message with a phone
number opens a work order, and 转人工 still reaches a human; ``status`` reports the mode for the
health endpoint.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, get_args

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import unit_of_work
from api.errors import Conflict, DomainError, NotFound
from api.models.base import utcnow
from api.models.conversations import STATUS_HANDOFF, Conversation, Turn
from api.privacy import mask_phone, mask_text
from api.schemas import (
    SESSION_ID_PATTERN,
    ChatKind,
    ChatMessage,
    ChatReply,
    HandoffInfo,
    QuickReply,
    SourcePublic,
    TranscriptPublic,
    TurnPublic,
)
from api.services import handoff, outbox
from api.services.registry import get_session_factory
from api.settings import Settings, get_settings
from api.texts import text as t

log = logging.getLogger(__name__)

__all__ = [
    "EmptyMessage",
    "InvalidSession",
    "MessageTooLong",
    "RasaUnavailable",
    "UnknownSession",
    "add_agent_turn",
    "check_message",
    "record_turn",
    "render_rasa",
    "respond",
    "status",
    "transcript",
    "turns_since",
]

CHANNELS = ("web", "phone", "agent")
_KINDS = get_args(ChatKind)
_SESSION_RE = re.compile(SESSION_ID_PATTERN)
_MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_HUMAN_RE = re.compile(r"转人工|人工服务|人工客服|找人工|真人|转接人工|^/request_human")


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


class RasaUnavailable(RuntimeError):
    """Rasa (or its action server) gave no usable reply."""


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


def _check_session_id(session_id: str) -> str:
    if not isinstance(session_id, str) or not _SESSION_RE.match(session_id):
        raise InvalidSession("session_id must be 1-64 letters, digits or _.:-")
    return session_id


# --- Storage --------------------------------------------------------------------------------------


def _get_or_create(db: Session, session_id: str, channel: str) -> Conversation:
    conv = handoff.get_conversation(db, session_id=session_id)
    if conv is None:
        now = utcnow()
        conv = Conversation(session_id=session_id, channel=channel, created_at=now, updated_at=now)
        db.add(conv)
        db.flush()
    return conv


def _add_turn(
    db: Session,
    conv: Conversation,
    speaker: str,
    text: str,
    kind: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    seq = db.scalar(select(func.coalesce(func.max(Turn.seq), 0)).where(Turn.conversation_id == conv.id)) or 0
    now = utcnow()
    db.add(
        Turn(
            conversation_id=conv.id,
            seq=seq + 1,
            speaker=speaker,
            text=text,
            kind=kind,
            data=data or None,
            created_at=now,
        )
    )
    conv.updated_at = now
    db.flush()


def _recent_caller_texts(db: Session, conv: Conversation, limit: int = 6) -> list[str]:
    rows = db.scalars(
        select(Turn.text)
        .where(Turn.conversation_id == conv.id, Turn.speaker == "caller")
        .order_by(Turn.seq.desc())
        .limit(limit)
    ).all()
    return [r for r in reversed(rows) if not r.startswith("/")]


def _last_bot_kind(db: Session, conv: Conversation) -> str | None:
    return db.scalar(
        select(Turn.kind)
        .where(Turn.conversation_id == conv.id, Turn.speaker == "bot", Turn.kind.is_not(None))
        .order_by(Turn.seq.desc())
        .limit(1)
    )


# --- Rasa -----------------------------------------------------------------------------------------


def _ask_rasa(
    settings: Settings, session_id: str, text: str, metadata: dict[str, Any]
) -> list[dict[str, Any]]:
    """POST the message to Rasa's REST channel; any failure becomes RasaUnavailable."""
    url = settings.rasa_url.rstrip("/") + "/webhooks/rest/webhook"
    try:
        resp = httpx.post(
            url,
            json={"sender": session_id, "message": text, "metadata": metadata},
            timeout=settings.rasa_timeout_s,
        )
        resp.raise_for_status()
        messages = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RasaUnavailable(type(exc).__name__) from exc
    if not isinstance(messages, list) or not messages:
        # Rasa answers [] when a custom action failed (action server down): treat it as down.
        raise RasaUnavailable("empty reply")
    return messages


def render_rasa(session_id: str, messages: Sequence[dict[str, Any]]) -> tuple[ChatReply, dict[str, Any]]:
    """Turn Rasa's REST messages into a reply, plus the payload details the service persists.

    Rasa sends a response's text (with buttons) and its ``custom`` part as two messages; the
    custom part belongs to the text just before it. The reply's kind is the kind of its last
    message that has one.
    """
    replies: list[ChatMessage] = []
    attached: list[bool] = []
    extra: dict[str, Any] = {}
    sources: list[SourcePublic] = []
    reply = ChatReply(session_id=session_id, replies=[], kind="abstain")
    for raw in messages:
        if not isinstance(raw, dict):
            continue
        if raw.get("text") or raw.get("buttons"):
            buttons = [
                QuickReply(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
                for b in raw.get("buttons") or []
                if isinstance(b, dict)
            ]
            replies.append(ChatMessage(text=str(raw.get("text") or ""), buttons=buttons))
            attached.append(False)
        custom = raw.get("custom")
        if not isinstance(custom, dict):
            continue
        if not replies or attached[-1]:
            replies.append(ChatMessage(text=""))
            attached.append(False)
        attached[-1] = True
        msg = replies[-1]
        if custom.get("kind") in _KINDS:
            msg.kind = custom["kind"]
        msg.sources = [SourcePublic(**s) for s in custom.get("sources") or [] if isinstance(s, dict)]
        sources += msg.sources
        if custom.get("ticket_id"):
            reply.ticket_id = str(custom["ticket_id"])
        if isinstance(custom.get("handoff"), dict):
            info = custom["handoff"]
            reply.handoff = HandoffInfo(status=info.get("status", "waiting"), reason=info.get("reason"))
            extra["handoff_slots"] = info.get("slots") or {}
        if custom.get("rating"):
            extra["rating"] = str(custom["rating"])
        if custom.get("rating_request"):
            reply.rating_requested = True
    reply.replies = [m for m in replies if m.text or m.buttons]
    kinds = [m.kind for m in replies if m.kind]
    reply.kind = kinds[-1] if kinds else "abstain"
    reply.sources = sources
    if not reply.replies:
        reply.replies = [ChatMessage(text=t("chat_empty_reply"), kind=reply.kind, speaker="system")]
    return reply, extra


# --- Degraded mode (Rasa down) --------------------------------------------------------------------


def _degraded(
    settings: Settings,
    session_id: str,
    text: str,
    channel: str,
    history: list[str],
    region: str | None,
    last_kind: str | None,
) -> ChatReply:
    """Answer without Rasa: human request, phone number -> work order, else the knowledge base."""
    reply = ChatReply(session_id=session_id, replies=[], kind="abstain", degraded=True)
    if _HUMAN_RE.search(text):
        if handoff.staffed_now(settings):
            reply.handoff = HandoffInfo(status="waiting", reason="caller_request")
            reply.replies = [ChatMessage(text=t("chat_handoff_waiting"), kind="abstain", speaker="system")]
        else:
            reply.handoff = HandoffInfo(status="offline", reason="caller_request")
            reply.replies = [
                ChatMessage(
                    text=t(
                        "chat_degraded_offline",
                        hours=settings.staffed_hours,
                        promise_hours=settings.callback_promise_hours,
                    ),
                    kind="abstain",
                    speaker="system",
                )
            ]
        return reply
    phone = _MOBILE_RE.search(text)
    if phone and history:
        try:
            return _degraded_ticket(settings, reply, phone.group(0), text, history, region, channel)
        except Exception:
            log.exception("chat.degraded.ticket_failed session=%s", session_id)
    question = text
    from knowledge.regions import extract_region

    named = extract_region(text)
    if named and last_kind == "clarify_region" and history:
        question = history[-1]  # the question that waited for the region
    try:
        from api.services.knowledge import answer

        result = answer(question, region=named or region, audience="public", history=history)
    except Exception:
        log.exception("chat.degraded.kb_failed session=%s", session_id)
        reply.replies = [ChatMessage(text=t("chat_degraded_failed"), kind="abstain", speaker="system")]
        return reply
    reply.kind = result.kind
    reply.sources = list(result.sources)
    reply.replies = [
        ChatMessage(text=result.text, kind=result.kind, sources=list(result.sources)),
        ChatMessage(text=t("chat_degraded_note"), speaker="system"),
    ]
    return reply


def _degraded_ticket(
    settings: Settings,
    reply: ChatReply,
    phone: str,
    text: str,
    history: list[str],
    region: str | None,
    channel: str,
) -> ChatReply:
    from zoneinfo import ZoneInfo

    from api.schemas import TicketCreate
    from api.services.tickets import create_ticket
    from knowledge.regions import region_table

    name = re.sub(r"[\d\s，,。：:、]|我叫|我是|电话|手机|号码|是", "", text)[:8]
    data = TicketCreate(
        category="咨询",
        topic="智能助手不可用时留言",
        caller_name=name,
        caller_phone=phone,
        region=region_table().display(region) if region else "",
        description="智能对话服务不可用期间来电人所述：" + "；".join(history)[-3000:],
        channel="phone" if channel == "phone" else "agent" if channel == "agent" else "web",
        conversation_id=reply.session_id,
    )
    try:
        with unit_of_work(get_session_factory(settings)) as db:
            ticket = create_ticket(db, data=data, actor="bot", channel="api")
    except Exception as exc:
        if not outbox.is_outage(exc):
            raise
        # The database is down too: keep the request durably and give the caller a reference.
        ref = outbox.queue_ticket(settings, data, actor="bot", channel="api", session_id=reply.session_id)
        reply.kind = "ticket"
        reply.ticket_id = ref
        reply.replies = [
            ChatMessage(text=queued_ticket_text(settings, ref, phone), kind="ticket", speaker="system")
        ]
        return reply
    due = ticket.due_at.astimezone(ZoneInfo(settings.timezone)).strftime("%m月%d日%H:%M")
    reply.kind = "ticket"
    reply.ticket_id = ticket.number
    reply.replies = [
        ChatMessage(
            text=t("chat_degraded_ticket", number=ticket.number, phone=mask_phone(phone), due=due),
            kind="ticket",
            speaker="system",
        )
    ]
    return reply


# --- Writes that survive a database outage (api/services/outbox.py) -------------------------------


@dataclass
class _State:
    """What a turn needs to know of its conversation before Rasa is asked."""

    history: list[str]
    last_kind: str | None = None
    region: str | None = None
    handed: bool = False
    held_by_agent: bool = False


def _turn_of(msg: ChatMessage) -> dict[str, Any]:
    data: dict[str, Any] = (
        {"sources": [s.model_dump(mode="json") for s in msg.sources]} if msg.sources else {}
    )
    if msg.buttons:
        data["buttons"] = [b.model_dump() for b in msg.buttons]
    return {"speaker": msg.speaker, "text": msg.text, "kind": msg.kind, "data": data}


def _apply_write(db: Session, write: dict[str, Any], key: str | None = None) -> Conversation:
    """Store one write (turns, region, work-order number, rating, hand-off); ``key`` marks a replayed one."""
    conv = _get_or_create(db, write["session_id"], write.get("channel") or "web")
    for i, turn in enumerate(write.get("turns") or []):
        data = dict(turn.get("data") or {})
        if key is not None and i == 0:
            data["op"] = key
        _add_turn(db, conv, turn["speaker"], turn["text"], turn.get("kind"), data)
    if write.get("region"):
        conv.region = write["region"]
    number = write.get("ticket_number")
    # A provisional reference never hides a real number the replay has already filled in.
    if number and (
        not outbox.is_provisional(number)
        or not conv.ticket_number
        or outbox.is_provisional(conv.ticket_number)
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


def _queued_state(box: outbox.Outbox, session_id: str) -> _State:
    """The conversation as far as the queued writes tell (the database cannot be read)."""
    state = _State(history=[])
    for item in box.pending(limit=1000):
        write = item.payload
        if item.kind != outbox.KIND_CHAT or write.get("session_id") != session_id:
            continue
        for turn in write.get("turns") or []:
            if turn["speaker"] == "caller" and not str(turn["text"]).startswith("/"):
                state.history.append(turn["text"])
            elif turn["speaker"] == "bot" and turn.get("kind"):
                state.last_kind = turn["kind"]
        state.region = write.get("region") or state.region
        state.handed = state.handed or bool(write.get("handoff"))
    state.history = state.history[-6:]
    return state


def _persist(
    settings: Settings, write: dict[str, Any], *, before_queue: Callable[[str], None] | None = None
) -> tuple[_State, str | None]:
    """Store ``write`` now, or queue it durably while the database is down; the state before it.

    Writes never overtake queued ones: while a backlog remains after a replay attempt, new
    writes queue behind it, so a conversation's turns land in the order they were said.
    """
    box = outbox.get_outbox(settings)
    session_id = write["session_id"]
    try:
        if box.backlog() == 0 or outbox.replay(settings).pending == 0:
            with unit_of_work(get_session_factory(settings)) as db:
                conv = _get_or_create(db, session_id, write.get("channel") or "web")
                state = _State(
                    history=_recent_caller_texts(db, conv),
                    last_kind=_last_bot_kind(db, conv),
                    handed=conv.status == STATUS_HANDOFF,
                    held_by_agent=conv.agent is not None,
                )
                state.region = _apply_write(db, write).region
            return state, None
    except Exception as exc:
        if not outbox.is_outage(exc):
            raise
        log.warning("chat.store.unavailable session=%s error=%s", session_id, type(exc).__name__)
    state = _queued_state(box, session_id)
    key = uuid.uuid4().hex
    if before_queue is not None:
        before_queue(key)
    box.put(outbox.KIND_CHAT, write, key=key)
    state.region = write.get("region") or state.region
    return state, key


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
        _apply_write(db, write, key)
    return {}


def note_queued_ticket(
    db: Session, *, session_id: str, key: str, number: str, provisional: str, channel: str = "web"
) -> None:
    """Record in the conversation that a queued work order now has its number (also the replay's mark)."""
    conv = _get_or_create(db, session_id, channel if channel in CHANNELS else "web")
    text = t("chat_queued_ticket_done", provisional=provisional, number=number)
    _add_turn(db, conv, "system", text, "ticket", {"op": key, "ticket": number, "provisional": provisional})
    conv.ticket_number = number


def queued_ticket_text(settings: Settings, ref: str, phone: str) -> str:
    """What a caller hears when the work order is queued rather than registered."""
    return t("chat_queued_ticket", ref=ref, phone=mask_phone(phone), hours=settings.callback_promise_hours)


# --- Public API -----------------------------------------------------------------------------------


def respond(
    session_id: str,
    text: str,
    channel: str = "web",
    metadata: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
) -> ChatReply:
    """Handle one caller message of ``session_id`` and return what to show or say."""
    settings = settings or get_settings()
    session_id = _check_session_id(session_id)
    text = check_message(text, settings.chat_max_chars)
    channel = channel if channel in CHANNELS else "web"
    from knowledge.regions import extract_region

    named = extract_region(text)
    # A button press is stored as what the caller saw on the button, not the payload.
    display = str((metadata or {}).get("display") or "")[:200] if text.startswith("/") else ""
    caller_turn = {
        "speaker": "caller",
        "text": display or text,
        "data": {"payload": text} if display else None,
    }
    state, _ = _persist(
        settings, {"session_id": session_id, "channel": channel, "turns": [caller_turn], "region": named}
    )
    history, last_kind, region, handed = state.history, state.last_kind, state.region, state.handed
    held_by_agent = handed and state.held_by_agent

    extra: dict[str, Any] = {}
    if handed:
        reply = ChatReply(
            session_id=session_id,
            kind="abstain",
            handoff=HandoffInfo(status="active" if held_by_agent else "waiting"),
            replies=[ChatMessage(text=t("chat_handoff_waiting"), kind="abstain", speaker="system")],
        )
    else:
        try:
            messages = _ask_rasa(settings, session_id, text, {**(metadata or {}), "channel": channel})
            reply, extra = render_rasa(session_id, messages)
        except RasaUnavailable as exc:
            log.warning("chat.rasa.unavailable session=%s error=%s", session_id, exc)
            reply = _degraded(settings, session_id, text, channel, history, region, last_kind)

    write: dict[str, Any] = {
        "session_id": session_id,
        "channel": channel,
        "ticket_number": reply.ticket_id,
        "rating": extra.get("rating"),
    }
    if reply.handoff is not None and reply.handoff.status == "waiting" and not handed:
        slots = {**extra.get("handoff_slots", {}), "region": region}
        write["handoff"] = {"reason": reply.handoff.reason or "caller_request", "slots": slots}

    def bot_turns(key: str | None) -> None:
        """The bot's turns; a queued hand-off also tells the caller it is noted and will be served."""
        if key is not None and write.get("handoff"):
            ref = outbox.provisional_reference(key)
            reply.replies.append(ChatMessage(text=t("chat_queued_handoff", ref=ref), speaker="system"))
        write["turns"] = [_turn_of(msg) for msg in reply.replies]

    bot_turns(None)
    _persist(settings, write, before_queue=bot_turns)
    log.info(
        "chat.reply session=%s kind=%s degraded=%s handoff=%s",
        session_id,
        reply.kind,
        reply.degraded,
        reply.handoff.status if reply.handoff else None,
    )
    return reply


def transcript(session_id: str, *, settings: Settings | None = None) -> TranscriptPublic:
    """The stored conversation with phone and ID numbers masked (what its caller may see)."""
    settings = settings or get_settings()
    session_id = _check_session_id(session_id)
    with unit_of_work(get_session_factory(settings)) as db:
        conv = handoff.get_conversation(db, session_id=session_id)
        if conv is None:
            raise UnknownSession(session_id)
        turns = [
            TurnPublic(seq=x.seq, speaker=x.speaker, text=mask_text(x.text), kind=x.kind, at=x.created_at)
            for x in conv.turns
        ]
        return TranscriptPublic(
            session_id=conv.session_id,
            channel=conv.channel,
            status=conv.status,
            region=conv.region,
            rating=conv.rating,
            ticket_id=conv.ticket_number,
            turns=turns,
        )


def turns_since(
    session_id: str, after_seq: int, *, settings: Settings | None = None
) -> tuple[str, int, list[TurnPublic]]:
    """(status, last seq, turns after ``after_seq`` masked as in ``transcript``): what a live channel
    polls to push an agent's replies to the caller as they are written, from any API process."""
    settings = settings or get_settings()
    session_id = _check_session_id(session_id)
    with unit_of_work(get_session_factory(settings)) as db:
        conv = handoff.get_conversation(db, session_id=session_id)
        if conv is None:
            raise UnknownSession(session_id)
        rows = db.scalars(
            select(Turn).where(Turn.conversation_id == conv.id, Turn.seq > after_seq).order_by(Turn.seq)
        ).all()
        turns = [
            TurnPublic(seq=x.seq, speaker=x.speaker, text=mask_text(x.text), kind=x.kind, at=x.created_at)
            for x in rows
        ]
        return conv.status, (turns[-1].seq if turns else after_seq), turns


def add_agent_turn(session_id: str, text: str, *, agent: str, settings: Settings | None = None) -> None:
    """Store an agent's message in a handed-off conversation (the console sends it to the caller)."""
    settings = settings or get_settings()
    text = check_message(text, settings.chat_max_chars)
    with unit_of_work(get_session_factory(settings)) as db:
        conv = handoff.get_conversation(db, session_id=_check_session_id(session_id))
        if conv is None:
            raise UnknownSession(session_id)
        if conv.status != STATUS_HANDOFF:
            raise Conflict(f"conversation {session_id} is not handed off")
        _add_turn(db, conv, "agent", text, data={"agent": agent[:64]})


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
    """Store a turn that did not pass through Rasa (the IVR's prompts, keys and call events).

    Channel adapters keep such lines in the same transcript as the dialogue's turns, so the agent
    workspace, the dashboard and quality inspection read one conversation per session id.
    """
    settings = settings or get_settings()
    session_id = _check_session_id(session_id)
    channel = channel if channel in CHANNELS else "web"
    with unit_of_work(get_session_factory(settings)) as db:
        conv = _get_or_create(db, session_id, channel)
        _add_turn(db, conv, speaker, text, kind, data)
        if ticket_number:
            conv.ticket_number = ticket_number[:20]


def status(settings: Settings | None = None, *, timeout: float = 1.5) -> dict[str, Any]:
    """Whether Rasa and the action server answer; ``mode`` is degraded (and ``ok`` false) when either is down.

    The API's /api/health reads this; while degraded the knowledge base still answers.
    """
    settings = settings or get_settings()
    checks = {
        "rasa": settings.rasa_url.rstrip("/") + "/",
        "actions": settings.action_health_url,
    }
    result: dict[str, Any] = {}
    for name, url in checks.items():
        try:
            result[name] = "up" if httpx.get(url, timeout=timeout).status_code == 200 else "down"
        except httpx.HTTPError:
            result[name] = "down"
    result["mode"] = "full" if all(v == "up" for v in result.values()) else "degraded"
    result["ok"] = result["mode"] == "full"
    return result

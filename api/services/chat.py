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
from collections.abc import Sequence
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
from api.services import handoff
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
    "render_rasa",
    "respond",
    "status",
    "transcript",
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
    with unit_of_work(get_session_factory(settings)) as db:
        ticket = create_ticket(db, data=data, actor="bot", channel="api")
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
    factory = get_session_factory(settings)
    from knowledge.regions import extract_region

    named = extract_region(text)
    with unit_of_work(factory) as db:
        conv = _get_or_create(db, session_id, channel)
        history = _recent_caller_texts(db, conv)
        last_kind = _last_bot_kind(db, conv)
        # A button press is stored as what the caller saw on the button, not the payload.
        display = str((metadata or {}).get("display") or "")[:200] if text.startswith("/") else ""
        _add_turn(db, conv, "caller", display or text, data={"payload": text} if display else None)
        if named:
            conv.region = named
        region, handed = conv.region, conv.status == STATUS_HANDOFF
        held_by_agent = handed and conv.agent is not None

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

    with unit_of_work(factory) as db:
        conv = _get_or_create(db, session_id, channel)
        for msg in reply.replies:
            data = {"sources": [s.model_dump() for s in msg.sources]} if msg.sources else {}
            if msg.buttons:
                data["buttons"] = [b.model_dump() for b in msg.buttons]
            _add_turn(db, conv, msg.speaker, msg.text, msg.kind, data)
        if reply.ticket_id:
            conv.ticket_number = reply.ticket_id
        if extra.get("rating"):
            conv.rating = extra["rating"][:8]
        if reply.handoff is not None and reply.handoff.status == "waiting" and not handed:
            slots = {**extra.get("handoff_slots", {}), "region": region}
            handoff.request(
                db,
                session_id=session_id,
                reason=reply.handoff.reason or "caller_request",
                slots=slots,
                channel=channel,
            )
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


def status(settings: Settings | None = None, *, timeout: float = 1.5) -> dict[str, Any]:
    """Whether Rasa and the action server answer; ``mode`` is degraded (and ``ok`` false) when either is down.

    The API's /api/health reads this; while degraded the knowledge base still answers.
    """
    settings = settings or get_settings()
    checks = {
        "rasa": settings.rasa_url.rstrip("/") + "/",
        "actions": f"http://127.0.0.1:{settings.action_port}/health",
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

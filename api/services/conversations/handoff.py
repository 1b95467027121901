"""Hand-off to a human agent: staffed hours, and the persisted state of handed-off conversations.

While a conversation is handed off, ``api.services.conversations`` stores the caller's messages but does
not forward them to Rasa: the bot stays silent until an agent releases the conversation. The
state lives in the conversations table, so it survives restarts of the API and of Rasa.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.errors import Conflict, NotFound
from api.models.base import utcnow
from api.models.conversations import STATUS_BOT, STATUS_HANDOFF, Conversation, Turn
from api.privacy import mask_phone, mask_text
from api.schemas import HandoffPublic
from api.services.workdays import is_staffed
from api.settings import Settings
from api.texts import TEXTS

log = logging.getLogger(__name__)

__all__ = [
    "accept",
    "get_conversation",
    "is_active",
    "queue",
    "reason_label",
    "release",
    "request",
    "staffed_now",
]


def staffed_now(settings: Settings, now: dt.datetime | None = None) -> bool:
    """``is_staffed`` with the configured hours, weekdays and time zone."""
    return is_staffed(
        now or utcnow(),
        hours=settings.staffed_hours,
        weekdays=settings.staffed_weekdays,
        timezone=settings.timezone,
    )


def get_conversation(session: Session, *, session_id: str) -> Conversation | None:
    """The conversation of a chat session id, or None."""
    return session.scalars(select(Conversation).where(Conversation.session_id == session_id)).one_or_none()


PREVIEW_CHARS = 80  # the queue shows the start of the caller's last message


def reason_label(reason: str | None) -> str | None:
    """The Chinese label of a hand-off reason code (``handoff_reason_<code>`` in api.texts)."""
    if not reason:
        return None
    return TEXTS.get(f"handoff_reason_{reason}") or TEXTS["handoff_reason_other"]


def _previews(session: Session, conv_ids: list[int]) -> dict[int, str]:
    """Conversation id -> the caller's last message (not a button payload), masked and shortened."""
    if not conv_ids:
        return {}
    last = (
        select(Turn.conversation_id, func.max(Turn.seq).label("seq"))
        .where(Turn.conversation_id.in_(conv_ids), Turn.speaker == "caller", ~Turn.text.startswith("/"))
        .group_by(Turn.conversation_id)
        .subquery()
    )
    rows = session.execute(
        select(Turn.conversation_id, Turn.text).join(
            last, (Turn.conversation_id == last.c.conversation_id) & (Turn.seq == last.c.seq)
        )
    )
    out = {}
    for conv_id, text in rows:
        # Masked before it is shortened, so a cut can never leave part of a number readable.
        flat = mask_text(" ".join((text or "").split()))
        out[conv_id] = flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"
    return out


def _public(conv: Conversation, *, preview: str | None = None) -> HandoffPublic:
    waited = (utcnow() - conv.handoff_at).total_seconds() if conv.handoff_at else None
    return HandoffPublic(
        session_id=conv.session_id,
        channel=conv.channel,
        status=conv.status,
        reason=conv.handoff_reason,
        reason_label=reason_label(conv.handoff_reason),
        requested_at=conv.handoff_at,
        waiting_s=max(0, int(waited)) if waited is not None else None,
        preview=preview,
        agent=conv.agent,
        # The queue is seen by every agent: numbers stay masked here; the agent who takes the
        # conversation reads them through the assist view, which is audited.
        slots={k: mask_text(v) if isinstance(v, str) else v for k, v in (conv.handoff_slots or {}).items()},
    )


def request(
    session: Session,
    *,
    session_id: str,
    reason: str,
    slots: dict[str, Any] | None = None,
    channel: str = "web",
    now: dt.datetime | None = None,
) -> HandoffPublic:
    """Hand a conversation to a human; the bot stays silent in it until ``release``."""
    now = now or utcnow()
    conv = get_conversation(session, session_id=session_id)
    if conv is None:
        conv = Conversation(session_id=session_id, channel=channel, created_at=now, updated_at=now)
        session.add(conv)
    conv.status = STATUS_HANDOFF
    conv.handoff_reason = (reason or "caller_request")[:32]
    conv.handoff_at = now
    conv.handoff_slots = {k: v for k, v in (slots or {}).items() if v not in (None, "")}
    conv.agent = None
    conv.released_at = None
    conv.released_by = None
    conv.updated_at = now
    session.flush()
    phone = conv.handoff_slots.get("ticket_phone")
    log.info(
        "handoff.requested session=%s reason=%s phone=%s", session_id, conv.handoff_reason, mask_phone(phone)
    )
    return _public(conv)


def is_active(session: Session, *, session_id: str) -> bool:
    """True while a human has the conversation (the bot must not answer)."""
    conv = get_conversation(session, session_id=session_id)
    return conv is not None and conv.status == STATUS_HANDOFF


def accept(session: Session, *, session_id: str, agent: str, now: dt.datetime | None = None) -> HandoffPublic:
    """An agent takes a waiting conversation."""
    conv = get_conversation(session, session_id=session_id)
    if conv is None:
        raise NotFound(f"conversation {session_id}")
    if conv.status != STATUS_HANDOFF:
        raise Conflict(f"conversation {session_id} is not handed off")
    conv.agent = agent[:64]
    conv.updated_at = now or utcnow()
    session.flush()
    return _public(conv)


def release(
    session: Session, *, session_id: str, agent: str, now: dt.datetime | None = None
) -> HandoffPublic:
    """Give the conversation back to the bot."""
    conv = get_conversation(session, session_id=session_id)
    if conv is None:
        raise NotFound(f"conversation {session_id}")
    if conv.status != STATUS_HANDOFF:
        raise Conflict(f"conversation {session_id} is not handed off")
    now = now or utcnow()
    conv.status = STATUS_BOT
    conv.released_at = now
    conv.released_by = agent[:64]
    conv.updated_at = now
    session.flush()
    log.info("handoff.released session=%s", session_id)
    return _public(conv)


def queue(session: Session) -> list[HandoffPublic]:
    """Conversations waiting for or held by a human, oldest request first, with the caller's last message."""
    rows = session.scalars(
        select(Conversation).where(Conversation.status == STATUS_HANDOFF).order_by(Conversation.handoff_at)
    ).all()
    previews = _previews(session, [c.id for c in rows])
    return [_public(c, preview=previews.get(c.id)) for c in rows]

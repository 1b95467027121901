"""Chat conversations, their turns, and the hand-off state of each conversation.

Tables: conversations (one per chat session id: channel, 参保地, rating, last work order and the
hand-off to a human: requested, taken by an agent, released) and turns (every caller, bot,
agent or system message in order, with its kind and data such as sources or buttons).
The transcript the inspection service scores is read from turns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.base import Base, utcnow
from api.models.tickets import UtcDateTime

# Conversation states: the bot answers; a human has it (bot silent); closed by a rating.
STATUS_BOT = "bot"
STATUS_HANDOFF = "handoff"


class Conversation(Base):
    """One chat session (the ``sender`` Rasa sees)."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("session_id", name="uq_conversations_session_id"),
        Index("ix_conversations_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), default="web")
    status: Mapped[str] = mapped_column(String(16), default=STATUS_BOT)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rating: Mapped[str | None] = mapped_column(String(8), nullable=True)
    ticket_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    handoff_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    handoff_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    handoff_slots: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    agent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    released_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)

    turns: Mapped[list[Turn]] = relationship(
        back_populates="conversation", order_by="Turn.seq", cascade="all, delete-orphan"
    )


class Turn(Base):
    """One message of a conversation, in order."""

    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("conversation_id", "seq", name="uq_turns_conversation_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(16))  # caller | bot | agent | system
    text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="turns")

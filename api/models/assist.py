"""Agent-assist feedback: whether a suggested knowledge-base answer helped the agent.

One row per (conversation, entry, agent); marking again changes the verdict rather than
counting twice, so the per-entry counts a supervisor sees are votes of distinct agents and calls.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, utcnow
from api.models.tickets import UtcDateTime


class SuggestionFeedback(Base):
    """An agent's 有用/没用 on one suggested entry in one conversation."""

    __tablename__ = "assist_feedback"
    __table_args__ = (
        UniqueConstraint("session_id", "entry_id", "agent", name="uq_assist_feedback_vote"),
        Index("ix_assist_feedback_entry", "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[str] = mapped_column(String(128))
    useful: Mapped[bool] = mapped_column(Boolean)
    agent: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

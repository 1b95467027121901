"""Reading turns in bulk: what the dashboard counts (answers given, questions left open) and what
retention erases. Part of the conversation core (``store`` writes and reads single conversations)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, null, select, update
from sqlalchemy.orm import Session

from api.models.conversations import Conversation, Turn

__all__ = ["answer_data", "dialogue_rows", "erase_before"]


def erase_before(db: Session, cutoff: dt.datetime, *, dry_run: bool = False) -> tuple[int, int]:
    """Blank the text and data of conversations idle since before ``cutoff`` (or, in a dry run, count
    them): (turns, conversations)."""
    old = select(Conversation.id).where(Conversation.updated_at < cutoff)
    pending = (Turn.conversation_id.in_(old), Turn.text != "")
    turns = int(db.scalar(select(func.count()).select_from(Turn).where(*pending)) or 0)
    ids = list(db.scalars(select(Turn.conversation_id).where(*pending).distinct()))
    if ids and not dry_run:
        db.execute(update(Turn).where(Turn.conversation_id.in_(ids)).values(text="", data=null()))
        db.execute(update(Conversation).where(Conversation.id.in_(ids)).values(handoff_slots=null()))
    return turns, len(ids)


def answer_data(db: Session, lo: dt.datetime, hi: dt.datetime) -> list[tuple[int, dict[str, Any] | None]]:
    """(conversation id, data) of the bot's answers in conversations started in [lo, hi)."""
    rows = db.execute(
        select(Turn.conversation_id, Turn.data)
        .join(Conversation, Conversation.id == Turn.conversation_id)
        .where(
            Conversation.created_at >= lo,
            Conversation.created_at < hi,
            Turn.speaker == "bot",
            Turn.kind == "answer",
        )
    ).all()
    return [(int(conv_id), data) for conv_id, data in rows]


def dialogue_rows(
    db: Session, lo: dt.datetime, hi: dt.datetime, *, speakers: tuple[str, ...] = ("caller", "bot")
) -> list[Any]:
    """The turns of ``speakers`` (by default the caller's and the bot's) said in [lo, hi), by
    conversation and in order: (conversation id, speaker, text, kind, data, created_at)."""
    return list(
        db.execute(
            select(Turn.conversation_id, Turn.speaker, Turn.text, Turn.kind, Turn.data, Turn.created_at)
            .where(Turn.created_at >= lo, Turn.created_at < hi, Turn.speaker.in_(speakers))
            .order_by(Turn.conversation_id, Turn.seq)
        ).all()
    )

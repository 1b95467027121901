"""Agents' 有用/没用 on assist suggestions: one vote per conversation, entry and agent; the counts per
entry tell supervisors and editors which answers help and which need rework."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from api.errors import DomainError
from api.models.assist import SuggestionFeedback
from api.models.base import utcnow
from api.services.conversations import store

log = logging.getLogger(__name__)

__all__ = ["FeedbackCount", "FeedbackIn", "InvalidFeedback", "feedback_counts", "record_feedback"]

_ENTRY_ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")


class InvalidFeedback(DomainError):
    status_code = 422
    key = "invalid_request"


class FeedbackIn(BaseModel):
    entry_id: str = Field(min_length=1, max_length=128)
    useful: bool


class FeedbackCount(BaseModel):
    entry_id: str
    title: str = ""
    useful: int
    not_useful: int
    total: int
    last_at: dt.datetime | None = None


def record_feedback(
    session: Session,
    *,
    session_id: str,
    entry_id: str,
    useful: bool,
    agent: str,
    now: dt.datetime | None = None,
) -> FeedbackCount:
    """Keep an agent's 有用/没用 on a suggestion (a second mark changes the vote); the entry's counts."""
    if not isinstance(entry_id, str) or not _ENTRY_ID_RE.match(entry_id):
        raise InvalidFeedback("entry_id must be 1-128 letters, digits or _.:-")
    if not isinstance(useful, bool):
        raise InvalidFeedback("useful must be true or false")
    conv = store.load(session, session_id)
    agent = (agent or "").strip()[:64] or "agent"
    now = now or utcnow()
    vote = session.scalars(
        select(SuggestionFeedback).where(
            SuggestionFeedback.session_id == conv.session_id,
            SuggestionFeedback.entry_id == entry_id,
            SuggestionFeedback.agent == agent,
        )
    ).one_or_none()
    if vote is None:
        vote = SuggestionFeedback(session_id=conv.session_id, entry_id=entry_id, agent=agent, useful=useful)
        session.add(vote)
    vote.useful, vote.created_at = useful, now
    session.commit()
    log.info("assist.feedback session=%s entry=%s useful=%s", conv.session_id, entry_id, useful)
    return feedback_counts(session, entry_ids=[entry_id])[0]


def feedback_counts(
    session: Session,
    *,
    entry_ids: Sequence[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    titles: dict[str, str] | None = None,
) -> list[FeedbackCount]:
    """Useful / not useful votes per entry, most voted first (optionally within a date range)."""
    useful = func.sum(case((SuggestionFeedback.useful.is_(True), 1), else_=0))
    stmt = select(
        SuggestionFeedback.entry_id,
        func.count(SuggestionFeedback.id),
        useful,
        func.max(SuggestionFeedback.created_at),
    ).group_by(SuggestionFeedback.entry_id)
    if entry_ids is not None:
        stmt = stmt.where(SuggestionFeedback.entry_id.in_(list(entry_ids)))
    if since is not None:
        stmt = stmt.where(SuggestionFeedback.created_at >= since)
    if until is not None:
        stmt = stmt.where(SuggestionFeedback.created_at < until)
    rows = session.execute(stmt).all()
    out = [
        FeedbackCount(
            entry_id=entry_id,
            title=(titles or {}).get(entry_id, ""),
            useful=int(n_useful or 0),
            not_useful=int(total) - int(n_useful or 0),
            total=int(total),
            last_at=_aware(last),
        )
        for entry_id, total, n_useful, last in rows
    ]
    out.sort(key=lambda c: (-c.total, -c.not_useful, c.entry_id))
    return out


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value

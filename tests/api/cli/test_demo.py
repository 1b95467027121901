"""``hotline demo``: seeding writes marked demo data through the services, refuses twice, clears it all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.cli import demo
from api.models.conversations import Conversation
from api.models.inspection import QaResult
from api.models.tickets import Ticket
from api.settings import Settings

NOW = dt.datetime(2026, 3, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_seed_and_clear(db_settings: Settings, db_session: Session) -> None:
    db_session.add(Conversation(session_id="real-1", channel="web", created_at=NOW, updated_at=NOW))
    db_session.commit()
    report = demo.seed(db_settings, days=3, per_day=12, end=dt.date(2026, 3, 8), now=NOW, rng_seed=3)
    assert report.conversations > 0 and report.qa_results == 4 + 1 + 1  # Friday, Saturday, Sunday
    assert report.span == ("2026-03-06", "2026-03-08")
    demo_convs = db_session.scalar(
        select(func.count(Conversation.id)).where(Conversation.session_id.like("demo-%"))
    )
    assert demo_convs == report.conversations
    assert db_session.scalar(select(func.count(Ticket.id))) == report.tickets
    with pytest.raises(RuntimeError, match="demo clear"):
        demo.seed(db_settings, days=1, end=dt.date(2026, 3, 8), now=NOW)
    counts = demo.clear(db_settings)
    assert counts == {"conversations": report.conversations, "tickets": report.tickets, "qa_results": 6}
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Conversation.id))) == 1  # the real conversation stays
    assert db_session.scalar(select(func.count(QaResult.id))) == 0

"""Hand-off state and staffed hours (api/services/handoff.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from api.errors import Conflict, NotFound
from api.services import handoff

CST = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("when", "staffed"),
    [
        (dt.datetime(2026, 11, 23, 9, 0, tzinfo=CST), True),  # Monday morning
        (dt.datetime(2026, 11, 23, 8, 29, tzinfo=CST), False),  # before opening
        (dt.datetime(2026, 11, 23, 17, 30, tzinfo=CST), False),  # closing time is closed
        (dt.datetime(2026, 11, 22, 10, 0, tzinfo=CST), False),  # Sunday
        (dt.datetime(2026, 10, 1, 10, 0, tzinfo=CST), False),  # National Day holiday
        (dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC), True),  # 09:00 in Beijing
    ],
)
def test_is_staffed(when: dt.datetime, staffed: bool) -> None:
    assert handoff.is_staffed(when, hours="08:30-17:30", weekdays="1-5", timezone="Asia/Shanghai") is staffed


def test_other_weekday_sets_are_literal() -> None:
    sunday = dt.datetime(2026, 11, 22, 10, 0, tzinfo=CST)
    assert handoff.is_staffed(sunday, hours="08:00-20:00", weekdays="1-7", timezone="Asia/Shanghai")


@pytest.mark.parametrize("hours", ["8-17", "17:30-08:30", "25:00-26:00", ""])
def test_bad_hours_name_the_argument(hours: str) -> None:
    with pytest.raises(ValueError, match="hours"):
        handoff.parse_hours(hours)


@pytest.mark.parametrize("weekdays", ["", "0-5", "1-8", "mon"])
def test_bad_weekdays_name_the_argument(weekdays: str) -> None:
    with pytest.raises(ValueError, match="weekdays"):
        handoff.parse_weekdays(weekdays)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="now"):
        handoff.is_staffed(dt.datetime(2026, 11, 23, 9), hours="08:30-17:30", weekdays="1-5", timezone="UTC")


def test_request_accept_release_cycle(db_session) -> None:  # type: ignore[no-untyped-def]
    slots = {"region": "山西/太原", "ticket_phone": "13912345678", "empty": ""}
    view = handoff.request(db_session, session_id="s-1", reason="anger", slots=slots, channel="web")
    db_session.commit()
    assert view.status == "handoff" and view.reason == "anger"
    # Every agent sees the queue, so the caller's number is masked there; the row keeps it whole.
    assert view.slots == {"region": "山西/太原", "ticket_phone": "*******5678"}
    stored = handoff.get_conversation(db_session, session_id="s-1")
    assert stored is not None and stored.handoff_slots["ticket_phone"] == "13912345678"
    assert handoff.is_active(db_session, session_id="s-1")
    assert [q.session_id for q in handoff.queue(db_session)] == ["s-1"]
    assert handoff.accept(db_session, session_id="s-1", agent="坐席01").agent == "坐席01"
    released = handoff.release(db_session, session_id="s-1", agent="坐席01")
    db_session.commit()
    assert released.status == "bot"
    assert not handoff.is_active(db_session, session_id="s-1")
    assert handoff.queue(db_session) == []
    with pytest.raises(Conflict):
        handoff.release(db_session, session_id="s-1", agent="坐席01")
    with pytest.raises(NotFound):
        handoff.accept(db_session, session_id="nobody", agent="坐席01")

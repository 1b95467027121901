"""Hand-off state and staffed hours (api/services/handoff.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from api.errors import Conflict, NotFound
from api.services import workdays
from api.services.conversations import handoff

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
    assert workdays.is_staffed(when, hours="08:30-17:30", weekdays="1-5", timezone="Asia/Shanghai") is staffed


def test_other_weekday_sets_are_literal() -> None:
    sunday = dt.datetime(2026, 11, 22, 10, 0, tzinfo=CST)
    assert workdays.is_staffed(sunday, hours="08:00-20:00", weekdays="1-7", timezone="Asia/Shanghai")


@pytest.mark.parametrize("hours", ["8-17", "17:30-08:30", "25:00-26:00", ""])
def test_bad_hours_name_the_argument(hours: str) -> None:
    with pytest.raises(ValueError, match="hours"):
        workdays.parse_hours(hours)


@pytest.mark.parametrize("weekdays", ["", "0-5", "1-8", "mon"])
def test_bad_weekdays_name_the_argument(weekdays: str) -> None:
    with pytest.raises(ValueError, match="weekdays"):
        workdays.parse_weekdays(weekdays)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="now"):
        workdays.is_staffed(dt.datetime(2026, 11, 23, 9), hours="08:30-17:30", weekdays="1-5", timezone="UTC")


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


def test_queue_reads_like_an_inbox(db_session) -> None:  # type: ignore[no-untyped-def]
    """Chinese reasons, the caller's last message masked and shortened, the time waited so far."""
    from api.models.base import utcnow
    from api.models.conversations import Conversation, Turn

    asked = utcnow() - dt.timedelta(minutes=3, seconds=5)
    conv = Conversation(session_id="call-1", channel="phone", created_at=asked, updated_at=asked)
    db_session.add(conv)
    db_session.flush()
    said = [
        "你好",
        "我的电话是13912345678，" + "想问门诊慢特病怎么报销" * 10,
        '/rate_service{"rating": "满意"}',
    ]
    for seq, text in enumerate(said, start=1):
        db_session.add(Turn(conversation_id=conv.id, seq=seq, speaker="caller", text=text, created_at=asked))
    db_session.add(Turn(conversation_id=conv.id, seq=4, speaker="bot", text="好的", created_at=asked))
    handoff.request(db_session, session_id="call-1", reason="caller_pressed_0", channel="phone", now=asked)
    handoff.request(db_session, session_id="web-2", reason="something_new", now=utcnow())
    db_session.commit()

    first, second = handoff.queue(db_session)
    assert (first.reason, first.reason_label) == ("caller_pressed_0", "来电人按 0 转人工")
    assert second.reason_label == "其他原因转人工" and second.preview is None
    assert first.preview is not None and first.preview.startswith("我的电话是*******5678，想问门诊慢特病")
    assert "13912345678" not in first.preview
    assert len(first.preview) == handoff.PREVIEW_CHARS and first.preview.endswith("…")
    assert first.waiting_s is not None and 185 <= first.waiting_s < 245
    assert second.waiting_s is not None and second.waiting_s < 60


def _reasons_in_use() -> set[str]:
    """Every hand-off reason code the bot, the chat fallback and the phone line can send."""
    import re

    from api.settings import PROJECT_ROOT

    found: set[str] = set()
    for pattern, folder in (
        (r'handoff_events\([^)]*reason="(\w+)"', "bot"),
        (r'HandoffInfo\(status="waiting", reason="(\w+)"', "api"),
        (r'Transfer\("(\w+)"\)', "voice"),
    ):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            found.update(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_every_reason_in_use_has_a_label() -> None:
    reasons = _reasons_in_use()
    assert {"caller_request", "anger", "repeated_failure", "caller_pressed_0", "lines_busy"} <= reasons
    other = handoff.reason_label("unknown_code")
    for reason in reasons:
        label = handoff.reason_label(reason)
        assert label and label != other and "_" not in label, reason


def test_round_the_clock_hours_include_the_last_minute() -> None:
    """``00:00-24:00`` is the whole day: a centre open all night is staffed at 23:59:30 too."""
    late = dt.datetime(2026, 11, 22, 23, 59, 30, tzinfo=CST)
    assert workdays.is_staffed(late, hours="00:00-24:00", weekdays="1-7", timezone="Asia/Shanghai")
    assert not workdays.is_staffed(late, hours="00:00-23:59", weekdays="1-7", timezone="Asia/Shanghai")
    assert workdays.parse_hours("08:00-24:00")[1] == dt.time.max

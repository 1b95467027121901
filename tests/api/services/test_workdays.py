"""Working-day arithmetic against the published holiday calendar (chinesecalendar)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from api.services import workdays
from api.services.workdays import CalendarOutOfRange, add_workdays, deadline, is_workday, workdays_between

D = dt.date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 10, 1), False),  # National Day
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday made a working day (调休)
        (D(2026, 9, 20), True),  # Sunday made a working day
        (D(2026, 2, 17), False),  # Spring Festival
        (D(2026, 2, 14), True),  # Saturday made a working day before it
        (D(2026, 11, 21), False),  # an ordinary Saturday
        (D(2026, 11, 23), True),  # an ordinary Monday
    ],
)
def test_is_workday(day: dt.date, expected: bool) -> None:
    assert is_workday(day) is expected


def test_add_workdays_across_national_day() -> None:
    # Received Wed 30 Sep: the next working day is Thu 8 Oct, the third is the make-up Saturday.
    assert add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert add_workdays(D(2026, 9, 30), 20) == D(2026, 11, 3)
    assert add_workdays(D(2026, 9, 30), 0) == D(2026, 9, 30)


def test_add_workdays_across_spring_festival() -> None:
    # 2026: 15-23 Feb off, Sat 14 Feb and Sat 28 Feb worked.
    assert add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_workdays(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert add_workdays(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert add_workdays(D(2026, 2, 13), 6) == D(2026, 2, 28)


def test_workdays_between_agrees_with_add_workdays() -> None:
    start = D(2026, 1, 1)
    for days in (0, 1, 7, 19, 45, 120):
        end = add_workdays(start, days)
        assert workdays_between(start, end) == days
        assert workdays_between(end, start) == -days


def test_beyond_the_calendar_falls_back_to_weekdays_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    workdays._warned_years.discard(2031)
    with caplog.at_level(logging.WARNING, logger="api.services.workdays"):
        assert is_workday(D(2031, 1, 6)) is True  # a Monday
        assert is_workday(D(2031, 1, 4)) is False  # a Saturday
    warnings = [r for r in caplog.records if "out_of_range" in r.getMessage()]
    assert len(warnings) == 1 and "2031" in warnings[0].getMessage()  # logged once per year
    with pytest.raises(CalendarOutOfRange, match="2031"):
        is_workday(D(2031, 1, 6), strict=True)
    with pytest.raises(CalendarOutOfRange):
        add_workdays(D(2030, 12, 30), 5, strict=True)


def test_deadline_in_days_ends_at_close_of_business_local_time() -> None:
    received = dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC)  # already 1 Oct 07:00 in Beijing
    due = deadline(received, days=1, close_of_business=dt.time(17, 30))
    assert due == dt.datetime(2026, 10, 8, 9, 30, tzinfo=dt.UTC)  # 8 Oct 17:30 Beijing
    assert due.tzinfo is dt.UTC


def test_deadline_in_hours_runs_through_holidays() -> None:
    received = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)
    assert deadline(received, hours=24) == dt.datetime(2026, 10, 2, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"days": 1, "hours": 2}, ValueError, "exactly one"),
        ({}, ValueError, "exactly one"),
        ({"hours": 0}, ValueError, "hours"),
        ({"days": -1}, ValueError, "days"),
        ({"days": 1.5}, TypeError, "days"),
    ],
)
def test_deadline_rejects_bad_arguments(kwargs: dict, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        deadline(dt.datetime(2026, 10, 1, tzinfo=dt.UTC), **kwargs)


def test_naive_times_and_wrong_types_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline(dt.datetime(2026, 10, 1), days=1)
    with pytest.raises(TypeError, match="day"):
        is_workday("2026-10-01")  # type: ignore[arg-type]

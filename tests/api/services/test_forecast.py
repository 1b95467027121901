"""Call-volume forecast (same weekday and hour, mean of the weeks before) on SQLite and PostgreSQL.

History: Mondays 16 Feb, 23 Feb and 2 Mar 2026 have 2, 4 and 6 contacts at 10:00; Tuesday 3 Mar
has 9 at 10:00. The range is Monday 9 Mar with 5 contacts at 10:00 and 1 at 11:00.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from api.schemas import ForecastPublic
from api.services import forecast as svc
from api.settings import Settings
from tests.api.services.test_dashboard import add_conversation
from tests.api.ticket_data import local

DAY = dt.date(2026, 3, 9)


@pytest.fixture
def history(db_session: Session) -> Session:
    n = 0
    for (month, day, hour), count in {
        (2, 16, 10): 2,
        (2, 23, 10): 4,
        (3, 2, 10): 6,
        (3, 3, 10): 9,
        (3, 9, 10): 5,
        (3, 9, 11): 1,
    }.items():
        for i in range(count):
            n += 1
            add_conversation(db_session, f"f{n}", local(2026, month, day, hour, i), "phone", [])
    return db_session


def _point(result: ForecastPublic, hour: int) -> tuple[float, int | None]:
    point = next(p for p in result.points if p.hour == hour)
    return point.forecast, point.actual


def test_forecast_is_the_mean_of_the_same_weekday_hours(history: Session, db_settings: Settings) -> None:
    result = svc.forecast(
        history, start=DAY, end=DAY + dt.timedelta(days=1), settings=db_settings, now=local(2026, 3, 10)
    )
    assert len(result.points) == 24 and result.weeks == 4
    # Days before the first contact (16 Feb) are not part of the mean: (2 + 4 + 6) / 3.
    assert _point(result, 10) == (4.0, 5)
    assert _point(result, 11) == (0.0, 1)
    assert _point(result, 9) == (0.0, 0)
    assert result.points[10].at == dt.datetime(2026, 3, 9, 10, tzinfo=result.points[10].at.tzinfo)
    assert (result.accuracy.hours, result.accuracy.mape, result.accuracy.wape, result.accuracy.mae) == (
        24, 0.6, 0.3333, 0.0833,
    )  # fmt: skip
    # Backtest: the week of 2 Mar forecast from 16 and 23 Feb: Monday 10:00 -> 3 (actual 6), Tuesday -> 0 (9).
    backtest = result.backtest
    assert (backtest.hours, backtest.mape, backtest.wape, backtest.mae) == (168, 0.75, 0.8, 0.0714)
    # Tuesday 10:00 is the mean of 17 Feb, 24 Feb and 3 Mar: (0 + 0 + 9) / 3.
    assert [(p.weekday, p.hour, p.forecast) for p in result.peaks] == [(1, 10, 4.0), (2, 10, 3.0)]


def test_hours_still_to_come_have_no_actual(history: Session, db_settings: Settings) -> None:
    result = svc.forecast(
        history,
        start=DAY,
        end=DAY + dt.timedelta(days=2),
        settings=db_settings,
        now=local(2026, 3, 9, 10, 30),
    )
    assert len(result.points) == 48
    assert [p.actual for p in result.points[:11]] == [0] * 10 + [None]
    assert result.accuracy.hours == 10 and result.accuracy.mape is None and result.accuracy.wape is None
    assert _point(result, 10) == (4.0, None)


def test_weeks_parameter_and_empty_history(db_session: Session, db_settings: Settings) -> None:
    result = svc.forecast(
        db_session, start=DAY, end=DAY + dt.timedelta(days=1), settings=db_settings, weeks=1
    )
    # No history: no forecast at all (not a line of zeros), hence no accuracy and no peaks.
    assert not result.enough_history and result.history_days == 0
    assert {p.forecast for p in result.points} == {None} and result.peaks == []
    assert result.accuracy.hours == 0 and result.backtest.hours == 0
    with pytest.raises(ValueError, match="weeks"):
        svc.forecast(db_session, start=DAY, end=DAY + dt.timedelta(days=1), settings=db_settings, weeks=0)


@pytest.mark.parametrize(("days", "enough"), [(1, False), (svc.MIN_HISTORY_DAYS - 1, False), (7, True)])
def test_a_forecast_needs_a_week_of_history(
    db_session: Session, db_settings: Settings, days: int, enough: bool
) -> None:
    """History starting ``days`` days before the range: a forecast from a full week on, none before."""
    for i in range(days):
        add_conversation(db_session, f"h{i}", local(2026, 3, 8 - i, 10), "web", [])
    add_conversation(db_session, "today", local(2026, 3, 9, 10), "web", [])
    result = svc.forecast(
        db_session, start=DAY, end=DAY + dt.timedelta(days=1), settings=db_settings, now=local(2026, 3, 10)
    )
    assert (result.history_days, result.min_history_days, result.enough_history) == (days, 7, enough)
    point = result.points[10]
    assert point.actual == 1
    if enough:
        assert point.forecast == 1.0 and result.accuracy.hours == 24 and result.accuracy.mape == 0.0
        assert [(p.weekday, p.hour) for p in result.peaks][:1] == [(1, 10)]
    else:
        # A line of zeros would read as "no calls expected" and score a MAPE of 100 %.
        assert point.forecast is None and result.accuracy.hours == 0 and result.accuracy.mape is None
        assert result.peaks == []


def test_profile_falls_back_to_the_hour_mean_for_a_weekday_without_history() -> None:
    from collections import Counter

    monday, tuesday = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
    model = svc.profile(Counter({(monday, 9): 4, (tuesday, 9): 2}), [monday, tuesday])
    assert model[(1, 9)] == 4.0 and model[(2, 9)] == 2.0 and model[(5, 9)] == 3.0 and model[(5, 8)] == 0.0

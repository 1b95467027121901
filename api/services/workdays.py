"""Working-day arithmetic on the Chinese calendar, for 限时办结 deadlines.

Holidays and adjusted working weekends (调休) come from the maintained ``chinesecalendar``
package, never from a hand-written list. The package only knows the years the State Council
has published; for a date outside them we fall back to Monday-Friday and log a warning once
per year (or raise ``CalendarOutOfRange`` when ``strict``), so a deadline is never silently
wrong without a trace. Upgrading the package (``pip install -U chinesecalendar``) each
December, after the next year's schedule is published, removes the fallback.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

__all__ = [
    "CalendarOutOfRange",
    "add_workdays",
    "deadline",
    "is_workday",
    "workdays_between",
]

_warned_years: set[int] = set()


class CalendarOutOfRange(ValueError):
    """The holiday calendar has no data for the requested year."""


def is_workday(day: dt.date, *, strict: bool = False) -> bool:
    """True when ``day`` is a working day in mainland China (holidays off, 调休 Saturdays on)."""
    if not isinstance(day, dt.date):
        raise TypeError(f"day must be a datetime.date, not {type(day).__name__}")
    if isinstance(day, dt.datetime):
        day = day.date()
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        if strict:
            raise CalendarOutOfRange(
                f"no holiday data for {day.year} in chinesecalendar {chinese_calendar.__version__}; "
                "upgrade the package"
            ) from exc
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "workdays.calendar.out_of_range year=%s package=%s: counting Monday-Friday only; "
                "upgrade chinesecalendar once the year's holidays are published",
                day.year,
                chinese_calendar.__version__,
            )
        return day.weekday() < 5


def add_workdays(start: dt.date, days: int, *, strict: bool = False) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted).

    Counting from the next day follows the usual reading of "N 个工作日内" for a request
    received on ``start``; ``days == 0`` returns ``start``.
    """
    if not isinstance(days, int) or isinstance(days, bool):
        raise TypeError(f"days must be an int, not {type(days).__name__}")
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    if isinstance(start, dt.datetime):
        start = start.date()
    current = start
    remaining = days
    while remaining:
        current += dt.timedelta(days=1)
        if is_workday(current, strict=strict):
            remaining -= 1
    return current


def workdays_between(start: dt.date, end: dt.date, *, strict: bool = False) -> int:
    """Working days in the half-open interval (start, end]; negative when end < start."""
    if isinstance(start, dt.datetime):
        start = start.date()
    if isinstance(end, dt.datetime):
        end = end.date()
    if end < start:
        return -workdays_between(end, start, strict=strict)
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        count += is_workday(current, strict=strict)
    return count


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def deadline(
    received: dt.datetime,
    *,
    days: int | None = None,
    hours: int | None = None,
    timezone: str = "Asia/Shanghai",
    close_of_business: dt.time = dt.time(17, 30),
    strict: bool = False,
) -> dt.datetime:
    """Due time of a request received at ``received`` (timezone-aware), in UTC.

    ``days``: the end of business (local time) of the ``days``-th working day after the day of
    receipt. ``hours``: a plain clock limit such as the 24-hour after-hours reply promise,
    which runs through nights and holidays. Exactly one of them must be given.
    """
    if received.tzinfo is None:
        raise ValueError("received must be timezone-aware")
    if hours is not None and days is None:
        if hours <= 0:
            raise ValueError(f"hours must be > 0, got {hours}")
        return (received + dt.timedelta(hours=hours)).astimezone(dt.UTC)
    if days is None or hours is not None:
        raise ValueError("give exactly one of days or hours")
    zone = _zone(timezone)
    local_day = received.astimezone(zone).date()
    due_day = add_workdays(local_day, days, strict=strict)
    return dt.datetime.combine(due_day, close_of_business, tzinfo=zone).astimezone(dt.UTC)

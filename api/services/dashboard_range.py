"""The dashboard's date range: local dates [start, end) in the centre's time zone, as UTC instants."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from api.errors import DomainError
from api.models.base import utcnow
from api.settings import Settings

__all__ = ["MAX_DAYS", "BadRange", "default_range", "local_bounds"]

MAX_DAYS = 366


class BadRange(DomainError):
    status_code = 422
    key = "dash_bad_range"


def default_range(
    settings: Settings, *, days: int = 7, now: dt.datetime | None = None
) -> tuple[dt.date, dt.date]:
    """The last ``days`` local days including today: [today - days + 1, tomorrow)."""
    today = (now or utcnow()).astimezone(ZoneInfo(settings.timezone)).date()
    return today - dt.timedelta(days=days - 1), today + dt.timedelta(days=1)


def local_bounds(start: dt.date, end: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of local midnight at ``start`` and ``end``; a BadRange for an empty or huge range."""
    if end <= start:
        raise BadRange("end must be after start", reason="结束日期须晚于开始日期")
    if (end - start).days > MAX_DAYS:
        raise BadRange(f"range longer than {MAX_DAYS} days", reason=f"最长 {MAX_DAYS} 天")
    zone = ZoneInfo(timezone)
    lo = dt.datetime.combine(start, dt.time(), zone).astimezone(dt.UTC)
    hi = dt.datetime.combine(end, dt.time(), zone).astimezone(dt.UTC)
    return lo, hi

"""Working-day arithmetic on the Chinese calendar, for 限时办结 deadlines.

Two sources, the centre's own first:

1. ``HOTLINE_HOLIDAYS_FILE`` (default ``api/holidays.yaml``): holidays and 调休 working days the
   centre enters once the State Council publishes a year's schedule. A date listed there decides;
   a year listed there counts as known.
2. The maintained ``chinesecalendar`` package (its years: ``package_years()``).

For a date in neither, we fall back to Monday-Friday and log a warning once per year (or raise
``CalendarOutOfRange`` when ``strict``); ``calendar_status`` tells ``/api/health`` when the next
year is missing, so nobody counts deadlines on a guessed calendar without knowing it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

log = logging.getLogger(__name__)

__all__ = [
    "CalendarOutOfRange",
    "HolidayFileError",
    "HolidayOverrides",
    "add_workdays",
    "calendar_status",
    "deadline",
    "is_staffed",
    "is_workday",
    "load_overrides",
    "package_years",
    "parse_hours",
    "parse_weekdays",
    "workdays_between",
]

_warned_years: set[int] = set()
_status_warned: set[int] = set()
_lock = threading.Lock()
_cache: dict[str, tuple[float, HolidayOverrides]] = {}


class CalendarOutOfRange(ValueError):
    """The holiday calendar has no data for the requested year."""


class HolidayFileError(ValueError):
    """The centre's holiday file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class HolidayOverrides:
    """The centre's own calendar: days off, 调休 days worked, and the years it covers."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    years: frozenset[int] = frozenset()

    def decides(self, day: dt.date) -> bool | None:
        """True/False when the file decides ``day`` (listed, or in a year it covers); else None."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day.year in self.years:
            return day.weekday() < 5
        return None


NO_OVERRIDES = HolidayOverrides()


def _dates(value: Any, where: str) -> list[dt.date]:
    """A date, or a range written ``2027-02-06 ~ 2027-02-12`` (both ends included)."""
    if isinstance(value, dt.datetime):
        return [value.date()]
    if isinstance(value, dt.date):
        return [value]
    text = str(value).strip()
    parts = [p.strip() for p in text.replace("～", "~").split("~")]
    try:
        ends = [dt.date.fromisoformat(p) for p in parts]
    except ValueError as exc:
        raise HolidayFileError(f"{where}: {text!r} is not a date (YYYY-MM-DD or A ~ B)") from exc
    if len(ends) == 1:
        return ends
    if len(ends) != 2 or ends[1] < ends[0] or (ends[1] - ends[0]).days > 31:
        raise HolidayFileError(f"{where}: {text!r} is not a range of at most a month (A ~ B)")
    return [ends[0] + dt.timedelta(days=i) for i in range((ends[1] - ends[0]).days + 1)]


def parse_overrides(raw: Any, where: str = "holidays") -> HolidayOverrides:
    """Build the overrides from the file's mapping ``{years: {2027: {holidays: [...], workdays: [...]}}}``."""
    if raw is None:
        return NO_OVERRIDES
    if not isinstance(raw, dict) or not isinstance(raw.get("years") or {}, dict):
        raise HolidayFileError(
            f"{where}: needs a mapping 'years: {{YYYY: {{holidays: [...], workdays: [...]}}}}'"
        )
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    years: set[int] = set()
    for year, spec in (raw.get("years") or {}).items():
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise HolidayFileError(f"{where}: {year!r} is not a year")
        spec = spec or {}
        if not isinstance(spec, dict) or set(spec) - {"holidays", "workdays"}:
            raise HolidayFileError(f"{where}: {year} takes only 'holidays' and 'workdays'")
        for key, into in (("holidays", holidays), ("workdays", workdays)):
            for value in spec.get(key) or []:
                for day in _dates(value, f"{where}: {year}.{key}"):
                    if day.year != year:
                        raise HolidayFileError(f"{where}: {day} is listed under {year}")
                    into.add(day)
        if not spec.get("holidays"):
            raise HolidayFileError(f"{where}: {year} lists no holidays")
        years.add(year)
    both = holidays & workdays
    if both:
        raise HolidayFileError(f"{where}: {min(both)} is both a holiday and a working day")
    return HolidayOverrides(frozenset(holidays), frozenset(workdays), frozenset(years))


def load_overrides(path: Path | None = None) -> HolidayOverrides:
    """The centre's holiday file (``HOTLINE_HOLIDAYS_FILE`` by default), re-read when it changes.

    A missing file means no overrides; a malformed one raises ``HolidayFileError``.
    """
    if path is None:
        from api.settings import get_settings

        path = get_settings().holidays_file
    path = Path(path)
    try:
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        return NO_OVERRIDES
    with _lock:
        cached = _cache.get(str(path))
        if cached is not None and cached[0] == stamp:
            return cached[1]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError on 2027-13-01
        raise HolidayFileError(f"{path}: not readable YAML with valid dates ({exc})") from exc
    overrides = parse_overrides(raw, str(path))
    with _lock:
        _cache[str(path)] = (stamp, overrides)
    return overrides


@lru_cache(maxsize=1)
def package_years() -> range:
    """The years chinesecalendar has holiday data for."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def is_workday(day: dt.date, *, strict: bool = False, overrides: HolidayOverrides | None = None) -> bool:
    """True when ``day`` is a working day in mainland China (holidays off, 调休 Saturdays on)."""
    if not isinstance(day, dt.date):
        raise TypeError(f"day must be a datetime.date, not {type(day).__name__}")
    if isinstance(day, dt.datetime):
        day = day.date()
    decided = (overrides if overrides is not None else load_overrides()).decides(day)
    if decided is not None:
        return decided
    if day.year in package_years():
        return bool(chinese_calendar.is_workday(day))
    if strict:
        raise CalendarOutOfRange(
            f"no holiday data for {day.year} in chinesecalendar {chinese_calendar.__version__} "
            "nor in HOTLINE_HOLIDAYS_FILE; add the year's holidays to that file"
        )
    if day.year not in _warned_years:
        _warned_years.add(day.year)
        log.warning(
            "workdays.calendar.out_of_range year=%s package=%s: counting Monday-Friday only; "
            "add the year's holidays and 调休 days to HOTLINE_HOLIDAYS_FILE",
            day.year,
            chinese_calendar.__version__,
        )
    return day.weekday() < 5


def known_years(overrides: HolidayOverrides | None = None) -> set[int]:
    """Every year whose holidays are known (the package's and the centre file's)."""
    overrides = overrides if overrides is not None else load_overrides()
    return set(package_years()) | set(overrides.years)


def calendar_status(
    today: dt.date, *, path: Path | None = None, overrides: HolidayOverrides | None = None
) -> dict[str, Any]:
    """Whether this year's and next year's holidays are known, for ``/api/health``.

    ``ok`` is false when either is missing (or the file at ``path`` is malformed: ``error``);
    ``message`` says so in Chinese and English.
    """
    try:
        overrides = overrides if overrides is not None else load_overrides(path)
        file_error = ""
    except HolidayFileError as exc:
        overrides, file_error = NO_OVERRIDES, str(exc)
    known = known_years(overrides)
    missing = [y for y in (today.year, today.year + 1) if y not in known]
    status: dict[str, Any] = {
        "ok": not missing and not file_error,
        "package": f"chinesecalendar {chinese_calendar.__version__}",
        "package_years": [package_years().start, package_years().stop - 1],
        "file_years": sorted(overrides.years),
        "missing_years": missing,
    }
    if missing:
        years = "、".join(str(y) for y in missing)
        with _lock:
            unwarned = [y for y in missing if y not in _status_warned]
            _status_warned.update(missing)
        if unwarned:  # once per process and year, however often health is polled
            log.warning(
                "workdays.calendar.missing_years years=%s: holidays unknown, counting Monday-Friday; "
                "add them to HOTLINE_HOLIDAYS_FILE",
                ",".join(map(str, unwarned)),
            )
        status["message"] = (
            f"{years} 年的节假日和调休安排缺失，工作日暂按周一至周五计算，"
            "请在节假日文件（HOTLINE_HOLIDAYS_FILE）中补充"
            f" / holidays of {', '.join(map(str, missing))} are missing: working days are counted "
            "Monday-Friday until they are added to HOTLINE_HOLIDAYS_FILE"
        )
    if file_error:
        status["error"] = file_error
    return status


def _dates_between(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        yield current


def add_workdays(
    start: dt.date, days: int, *, strict: bool = False, overrides: HolidayOverrides | None = None
) -> dt.date:
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
    overrides = overrides if overrides is not None else load_overrides()
    current = start
    remaining = days
    while remaining:
        current += dt.timedelta(days=1)
        if is_workday(current, strict=strict, overrides=overrides):
            remaining -= 1
    return current


def workdays_between(
    start: dt.date, end: dt.date, *, strict: bool = False, overrides: HolidayOverrides | None = None
) -> int:
    """Working days in the half-open interval (start, end]; negative when end < start."""
    if isinstance(start, dt.datetime):
        start = start.date()
    if isinstance(end, dt.datetime):
        end = end.date()
    if end < start:
        return -workdays_between(end, start, strict=strict, overrides=overrides)
    overrides = overrides if overrides is not None else load_overrides()
    return sum(is_workday(d, strict=strict, overrides=overrides) for d in _dates_between(start, end))


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
    overrides: HolidayOverrides | None = None,
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
    due_day = add_workdays(local_day, days, strict=strict, overrides=overrides)
    return dt.datetime.combine(due_day, close_of_business, tzinfo=zone).astimezone(dt.UTC)


_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(hours: str) -> tuple[dt.time, dt.time]:
    """``"08:30-17:30"`` -> (08:30, 17:30); ``24:00`` ends at midnight, so ``00:00-24:00`` is the
    whole day. A clear ValueError naming the argument otherwise."""
    match = _HOURS_RE.match(hours or "")
    if not match:
        raise ValueError(f"hours must look like '08:30-17:30', got {hours!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start = dt.time(h1, m1)
        end = dt.time.max if (h2, m2) == (24, 0) else dt.time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"hours has an impossible time: {hours!r}") from exc
    if end <= start:
        raise ValueError(f"hours must end after they start, got {hours!r}")
    return start, end


def parse_weekdays(weekdays: str) -> frozenset[int]:
    """``"1-5"`` or ``"1,2,3,4,5,6"`` -> ISO weekday numbers (1 = Monday)."""
    days: set[int] = set()
    for part in (weekdays or "").split(","):
        part = part.strip()
        if not part:
            continue
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise ValueError(f"weekdays must look like '1-5' or '1,3,5', got {weekdays!r}")
        lo, hi = int(first), int(last or first)
        if not 1 <= lo <= hi <= 7:
            raise ValueError(f"weekdays must be between 1 (Monday) and 7 (Sunday), got {weekdays!r}")
        days.update(range(lo, hi + 1))
    if not days:
        raise ValueError("weekdays must name at least one day")
    return frozenset(days)


def is_staffed(now: dt.datetime, *, hours: str, weekdays: str, timezone: str) -> bool:
    """Whether human agents are on duty at ``now`` (aware datetime) in the centre's time zone.

    With the Monday-Friday default, the Chinese holiday calendar decides (法定节假日 off,
    调休 weekends on); any other weekday set is taken literally.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(_zone(timezone))
    start, end = parse_hours(hours)
    days = parse_weekdays(weekdays)
    if days == frozenset(range(1, 6)):
        day_ok = is_workday(local.date())
    else:
        day_ok = local.isoweekday() in days
    now_time = local.time().replace(tzinfo=None)
    return day_ok and start <= now_time and (now_time < end or end == dt.time.max)

"""Call-volume forecast by weekday and hour of day (来电峰值研判), shown against the actual volume.

Method (seasonal mean): the forecast for a local hour is the mean number of contacts in the
same weekday and hour over the ``weeks`` weeks before the range starts. Days before the first
recorded contact are left out of the mean, so a young database is not dragged down by days it
never saw; a weekday with no history falls back to the mean of that hour over all history
days. Contacts are conversations (web chat, phone calls, console), counted by their start.
Public holidays are not modelled: they count as their weekday.

Too little history: the mean needs every weekday at least once, so with fewer than
``MIN_HISTORY_DAYS`` days of history before the range no forecast is made (``enough_history`` is
false, every point's ``forecast`` is None, no accuracy and no peaks): a line of zeros and a MAPE of
100 % would only look like a prediction. The backtest follows the same rule for its own history.

Accuracy is reported twice: over the hours of the range that have passed (the forecast vs what
happened) and as a backtest, the same method forecasting the week before the range from the
weeks before that. MAPE is taken over hours with contacts only (it is undefined at zero); WAPE
(absolute errors over total contacts) and MAE include every hour.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models.base import utcnow
from api.models.conversations import Conversation
from api.schemas import ForecastAccuracy, ForecastPeak, ForecastPoint, ForecastPublic
from api.services.dashboard_range import local_bounds
from api.settings import Settings

__all__ = [
    "DEFAULT_WEEKS",
    "METHOD",
    "MIN_HISTORY_DAYS",
    "ForecastPoint",
    "ForecastPublic",
    "accuracy",
    "forecast",
    "hourly_counts",
    "profile",
]

DEFAULT_WEEKS = 4
METHOD = "同星期同时段前{weeks}周平均（seasonal mean）"
MIN_HISTORY_DAYS = 7  # one of each weekday: fewer and some weekday would be forecast from no data


Slot = tuple[dt.date, int]  # local date, hour


def hourly_counts(session: Session, *, start: dt.date, end: dt.date, timezone: str) -> Counter[Slot]:
    """Conversations started per local (date, hour) in [start, end)."""
    lo, hi = local_bounds(start, end, timezone)
    zone = ZoneInfo(timezone)
    counts: Counter[Slot] = Counter()
    for (created,) in session.execute(
        select(Conversation.created_at).where(Conversation.created_at >= lo, Conversation.created_at < hi)
    ):
        local = created.astimezone(zone)
        counts[(local.date(), local.hour)] += 1
    return counts


def profile(counts: Counter[Slot], days: Iterable[dt.date]) -> dict[tuple[int, int], float]:
    """Mean contacts per (ISO weekday, hour) over the given history days."""
    days = sorted(set(days))
    out: dict[tuple[int, int], float] = {}
    for hour in range(24):
        overall = [counts[(d, hour)] for d in days]
        fallback = sum(overall) / len(overall) if overall else 0.0
        for weekday in range(1, 8):
            same = [counts[(d, hour)] for d in days if d.isoweekday() == weekday]
            out[(weekday, hour)] = sum(same) / len(same) if same else fallback
    return out


def accuracy(pairs: Iterable[tuple[float, int]]) -> ForecastAccuracy:
    """MAPE (hours with contacts), WAPE and MAE of (forecast, actual) pairs."""
    pairs = list(pairs)
    if not pairs:
        return ForecastAccuracy(hours=0)
    errors = [abs(a - f) for f, a in pairs]
    total = sum(a for _, a in pairs)
    relative = [abs(a - f) / a for f, a in pairs if a > 0]
    return ForecastAccuracy(
        hours=len(pairs),
        mape=round(sum(relative) / len(relative), 4) if relative else None,
        wape=round(sum(errors) / total, 4) if total else None,
        mae=round(sum(errors) / len(errors), 4),
    )


def _history_days(counts: Counter[Slot], start: dt.date, weeks: int) -> list[dt.date]:
    """The ``weeks`` weeks of days before ``start``, from the first day with a contact on."""
    first = min((d for d, _ in counts), default=None)
    days = [start - dt.timedelta(days=i) for i in range(1, 7 * weeks + 1)]
    return [d for d in days if first is not None and d >= first]


def _slots(start: dt.date, end: dt.date) -> list[Slot]:
    return [(start + dt.timedelta(days=i), h) for i in range((end - start).days) for h in range(24)]


def forecast(
    session: Session,
    *,
    start: dt.date,
    end: dt.date,
    settings: Settings,
    weeks: int = DEFAULT_WEEKS,
    now: dt.datetime | None = None,
) -> ForecastPublic:
    """Forecast vs actual contacts per local hour of [start, end), with accuracy, backtest and peaks."""
    if not 1 <= weeks <= 26:
        raise ValueError(f"weeks must be between 1 and 26, got {weeks}")
    tz = settings.timezone
    zone = ZoneInfo(tz)
    local_bounds(start, end, tz)
    now = now or utcnow()
    backtest_start = start - dt.timedelta(days=7)
    counts = hourly_counts(session, start=backtest_start - dt.timedelta(days=7 * weeks), end=end, timezone=tz)
    before = Counter({k: v for k, v in counts.items() if k[0] < start})
    history = _history_days(before, start, weeks)
    enough = len(history) >= MIN_HISTORY_DAYS
    model = profile(before, history) if enough else {}

    points = []
    for day, hour in _slots(start, end):
        at = dt.datetime.combine(day, dt.time(hour), zone)
        passed = at + dt.timedelta(hours=1) <= now
        points.append(
            ForecastPoint(
                at=at,
                weekday=day.isoweekday(),
                hour=hour,
                forecast=round(model[(day.isoweekday(), hour)], 2) if enough else None,
                actual=counts[(day, hour)] if passed else None,
            )
        )

    older = Counter({k: v for k, v in counts.items() if k[0] < backtest_start})
    old_history = _history_days(older, backtest_start, weeks)
    old_model = profile(older, old_history)
    backtest = accuracy(
        (old_model[(d.isoweekday(), h)], counts[(d, h)])
        for d, h in _slots(backtest_start, start)
        if dt.datetime.combine(d, dt.time(h), zone) + dt.timedelta(hours=1) <= now
    ) if len(old_history) >= MIN_HISTORY_DAYS else ForecastAccuracy(hours=0)  # fmt: skip

    peaks = sorted(model.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return ForecastPublic(
        start=start,
        end=end,
        timezone=tz,
        weeks=weeks,
        method=METHOD.format(weeks=weeks),
        history_days=len(history),
        min_history_days=MIN_HISTORY_DAYS,
        enough_history=enough,
        points=points,
        accuracy=accuracy(
            (p.forecast, p.actual) for p in points if p.actual is not None and p.forecast is not None
        ),
        backtest=backtest,
        peaks=[ForecastPeak(weekday=w, hour=h, forecast=round(v, 2)) for (w, h), v in peaks if v > 0],
    )

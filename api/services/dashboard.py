"""Supervisor dashboard: read-only aggregations over conversations, tickets and inspection results.

Every figure covers the local dates [start, end) in the configured time zone. Counts by
channel, status, rating and rule are grouped in SQL; buckets by local hour and day are made in
Python from the timestamps alone, because converting time zones in SQL differs between SQLite
and PostgreSQL (and an hour bucket must follow the centre's clock, not UTC).

- contacts: conversations started in the range (web chat, phone calls, agent console).
- containment: a conversation is contained when the bot settled it alone: it was never handed
  to a human (``handoff_at``) and opened no work order (``ticket_number``).
- topics and gaps: ``api.services.kb_gaps``; the date range: ``api.services.dashboard_range``;
  CSV exports: ``api.services.dashboard_export``.
- inspection: averages of the reviewed scores (overruled findings left out), reusing
  ``api.services.qa_reports.team_report``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from api.models.base import utcnow
from api.models.conversations import Conversation
from api.models.inspection import QaResult
from api.models.tickets import Ticket, TicketCallback
from api.schemas import (
    ContainmentStats,
    CountRow,
    DashboardSummary,
    DayRow,
    HourRow,
    QaStats,
    SatisfactionStats,
    TicketStats,
)
from api.services import inspection, kb_gaps, qa_reports
from api.services.dashboard_range import local_bounds

# Overdue means what the work-order service means by it (open, clock running, past the limit).
from api.services.tickets import CLOCK_STATUSES, OPEN_STATUSES, STATUSES
from api.settings import Settings
from vocab.terms import CHANNELS, RATINGS, SATISFIED_RATINGS

log = logging.getLogger(__name__)

__all__ = [
    "contacts",
    "containment",
    "qa_stats",
    "rule_names",
    "satisfaction",
    "summary",
    "ticket_stats",
]


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _conv_window(lo: dt.datetime, hi: dt.datetime) -> list[Any]:
    return [Conversation.created_at >= lo, Conversation.created_at < hi]


# --- Contacts ---------------------------------------------------------------------------------------


def contacts(
    session: Session, *, start: dt.date, end: dt.date, timezone: str
) -> tuple[int, list[CountRow], list[HourRow], list[DayRow]]:
    """Conversations started in the range: total, per channel, per local hour of day, per local day."""
    lo, hi = local_bounds(start, end, timezone)
    zone = ZoneInfo(timezone)
    by_channel = dict(
        session.execute(
            select(Conversation.channel, func.count(Conversation.id))
            .where(*_conv_window(lo, hi))
            .group_by(Conversation.channel)
        ).all()
    )
    hours: dict[int, Counter[str]] = {h: Counter() for h in range(24)}
    days: Counter[dt.date] = Counter()
    for created, channel in session.execute(
        select(Conversation.created_at, Conversation.channel).where(*_conv_window(lo, hi))
    ):
        local = created.astimezone(zone)
        hours[local.hour][channel] += 1
        days[local.date()] += 1
    channels = [CountRow(key=c, count=int(by_channel.get(c, 0))) for c in CHANNELS]
    channels += [CountRow(key=c, count=int(n)) for c, n in sorted(by_channel.items()) if c not in CHANNELS]
    hourly = [HourRow(hour=h, total=sum(c.values()), channels=dict(c)) for h, c in hours.items()]
    daily = [
        DayRow(day=start + dt.timedelta(days=i), count=days[start + dt.timedelta(days=i)])
        for i in range((end - start).days)
    ]
    return sum(row.count for row in channels), channels, hourly, daily


def containment(session: Session, *, start: dt.date, end: dt.date, timezone: str) -> ContainmentStats:
    """Conversations the bot settled alone vs handed to a human vs turned into a work order."""
    lo, hi = local_bounds(start, end, timezone)
    handed = Conversation.handoff_at.is_not(None)
    ticket = Conversation.ticket_number.is_not(None)
    total, n_handoff, n_ticket, n_either = session.execute(
        select(
            func.count(Conversation.id),
            func.coalesce(func.sum(func.cast(handed, Integer)), 0),
            func.coalesce(func.sum(func.cast(ticket, Integer)), 0),
            func.coalesce(func.sum(func.cast(handed | ticket, Integer)), 0),
        ).where(*_conv_window(lo, hi))
    ).one()
    total, n_handoff, n_ticket, n_either = int(total), int(n_handoff), int(n_ticket), int(n_either)
    contained = total - n_either
    return ContainmentStats(
        conversations=total,
        contained=contained,
        handoff=n_handoff,
        ticket=n_ticket,
        containment_rate=_rate(contained, total),
        handoff_rate=_rate(n_handoff, total),
        ticket_rate=_rate(n_ticket, total),
    )


# --- Work orders and satisfaction ------------------------------------------------------------------


def ticket_stats(
    session: Session, *, start: dt.date, end: dt.date, timezone: str, now: dt.datetime | None = None
) -> TicketStats:
    """Work orders opened in the range: per status, still open, overdue now, closed after their limit.

    Overdue follows the work-order service: an open order past its time limit, 挂起 excepted.
    """
    lo, hi = local_bounds(start, end, timezone)
    now = now or utcnow()
    window = [Ticket.created_at >= lo, Ticket.created_at < hi]
    by_status = dict(
        session.execute(
            select(Ticket.status, func.count(Ticket.id)).where(*window).group_by(Ticket.status)
        ).all()
    )
    overdue = session.scalar(
        select(func.count(Ticket.id)).where(*window, Ticket.status.in_(CLOCK_STATUSES), Ticket.due_at < now)
    )
    late = session.scalar(
        select(func.count(Ticket.id)).where(
            *window, Ticket.closed_at.is_not(None), Ticket.closed_at > Ticket.due_at
        )
    )
    return TicketStats(
        total=int(sum(by_status.values())),
        open=int(sum(n for s, n in by_status.items() if s in OPEN_STATUSES)),
        overdue=int(overdue or 0),
        closed_late=int(late or 0),
        by_status=[CountRow(key=s, count=int(by_status.get(s, 0))) for s in STATUSES],
    )


def satisfaction(session: Session, *, start: dt.date, end: dt.date, timezone: str) -> SatisfactionStats:
    """Ratings given at the end of chats started in the range and at 回访 made in the range."""
    lo, hi = local_bounds(start, end, timezone)
    chat = dict(
        session.execute(
            select(Conversation.rating, func.count(Conversation.id))
            .where(*_conv_window(lo, hi), Conversation.rating.in_(RATINGS))
            .group_by(Conversation.rating)
        ).all()
    )
    callback = dict(
        session.execute(
            select(TicketCallback.satisfaction, func.count(TicketCallback.id))
            .where(TicketCallback.at >= lo, TicketCallback.at < hi, TicketCallback.satisfaction.in_(RATINGS))
            .group_by(TicketCallback.satisfaction)
        ).all()
    )
    total = int(sum(chat.values()) + sum(callback.values()))
    satisfied = sum(int(src.get(r, 0)) for src in (chat, callback) for r in SATISFIED_RATINGS)
    return SatisfactionStats(
        chat=[CountRow(key=r, count=int(chat.get(r, 0))) for r in RATINGS],
        callback=[CountRow(key=r, count=int(callback.get(r, 0))) for r in RATINGS],
        total=total,
        satisfied_rate=_rate(satisfied, total),
    )


# --- Inspection -----------------------------------------------------------------------------------


def qa_stats(session: Session, *, start: dt.date, end: dt.date, timezone: str) -> QaStats:
    """Reviewed inspection scores of calls and chats dated in the range, overall, per agent and per rule."""
    local_bounds(start, end, timezone)  # validates the range
    last = end - dt.timedelta(days=1)
    n, avg, passed = session.execute(
        select(
            func.count(QaResult.id),
            func.avg(QaResult.reviewed_score),
            func.avg(func.cast(QaResult.reviewed_passed, Integer)),
        ).where(QaResult.call_date >= start, QaResult.call_date < end)
    ).one()
    return QaStats(
        results=int(n or 0),
        average_score=round(float(avg or 0.0), 2),
        pass_rate=round(float(passed or 0.0), 4),
        by_agent=qa_reports.team_report(session, group_by="agent", since=start, until=last).rows,
        by_rule=qa_reports.team_report(session, group_by="rule", since=start, until=last).rows,
    )


def rule_names(settings: Settings) -> dict[str, str]:
    """Inspection rule id -> its description in the configured rule set (labels for the console)."""
    ruleset = inspection.get_inspector(settings).ruleset
    return {rule_id: cfg.description or rule_id for rule_id, cfg in ruleset.rules.items()}


# --- Everything -----------------------------------------------------------------------------------


def summary(
    session: Session,
    *,
    start: dt.date,
    end: dt.date,
    settings: Settings,
    now: dt.datetime | None = None,
    topic_of: Callable[[str], str | None] | None = None,
) -> DashboardSummary:
    """The whole dashboard for local dates [start, end) in the configured time zone."""
    tz = settings.timezone
    local_bounds(start, end, tz)
    total, channels, hourly, daily = contacts(session, start=start, end=end, timezone=tz)
    return DashboardSummary(
        start=start,
        end=end,
        timezone=tz,
        contacts=total,
        channels=channels,
        hourly=hourly,
        daily=daily,
        containment=containment(session, start=start, end=end, timezone=tz),
        topics=kb_gaps.topics(
            session, start=start, end=end, timezone=tz, topic_of=topic_of or kb_gaps.entry_topics(settings)
        ),
        gaps=kb_gaps.gaps(session, start=start, end=end, timezone=tz),
        tickets=ticket_stats(session, start=start, end=end, timezone=tz, now=now),
        satisfaction=satisfaction(session, start=start, end=end, timezone=tz),
        qa=qa_stats(session, start=start, end=end, timezone=tz),
    )

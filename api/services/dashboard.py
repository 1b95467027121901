"""Supervisor dashboard: read-only aggregations over conversations, tickets and inspection results.

Every figure covers the local dates [start, end) in the configured time zone. Counts by
channel, status, rating and rule are grouped in SQL; buckets by local hour and day are made in
Python from the timestamps alone, because converting time zones in SQL differs between SQLite
and PostgreSQL (and an hour bucket must follow the centre's clock, not UTC).

- contacts: conversations started in the range (web chat, phone calls, agent console).
- containment: a conversation is contained when the bot settled it alone: it was never handed
  to a human (``handoff_at``) and opened no work order (``ticket_number``).
- gaps: caller turns whose bot reply was an abstention or a clarification (the gaps to fill
  next), grouped by normalised text, each with a link to the knowledge editor.
- inspection: averages of the reviewed scores (overruled findings left out), reusing
  ``api.services.inspection.team_report``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from api.errors import DomainError
from api.models.base import utcnow
from api.models.conversations import Conversation, Turn
from api.models.inspection import QaResult
from api.models.tickets import Ticket, TicketCallback
from api.privacy import mask_text
from api.schemas import (
    ContainmentStats,
    CountRow,
    DashboardSummary,
    DayRow,
    GapQuestion,
    HourRow,
    QaStats,
    SatisfactionStats,
    TicketStats,
)
from api.services import inspection

# Overdue means what the work-order service means by it (open, clock running, past the limit).
from api.services.tickets import _CLOCK_STATUSES, OPEN_STATUSES, STATUSES
from api.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "CHANNELS",
    "GAP_KINDS",
    "MAX_DAYS",
    "RATINGS",
    "BadRange",
    "contacts",
    "containment",
    "default_range",
    "gap_key",
    "gaps",
    "local_bounds",
    "qa_stats",
    "rule_names",
    "satisfaction",
    "summary",
    "ticket_stats",
    "topics",
]

CHANNELS = ("web", "phone", "agent")
# Reply kinds that mean the knowledge base had no answer to give (chat.py stores them on bot turns).
GAP_KINDS = frozenset({"abstain", "clarify_region", "clarify", "fallback"})
RATINGS = ("满意", "基本满意", "不满意")
MAX_DAYS = 366
KB_EDITOR_URL = "/console/kb?question="
_PUNCT_RE = re.compile(r"[\s\W_]+", re.UNICODE)
_PARTICLES_RE = re.compile(r"[啊呀吧呢嘛哈哦噢呗么]+$")


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


# --- Topics and knowledge gaps -----------------------------------------------------------------------


@lru_cache(maxsize=4)
def _entry_topics(entries_dir: str, stamp: float) -> dict[str, str]:
    from knowledge.catalog import load_entries

    return {e.id: e.topic for e in load_entries(Path(entries_dir))}


def entry_topics(settings: Settings) -> Callable[[str], str | None]:
    """Entry id -> topic from the curated entries (reloaded when a file of the folder changes)."""
    folder = Path(settings.kb_entries_dir)
    try:
        stamp = max((p.stat().st_mtime for p in folder.glob("*.y*ml")), default=0.0)
        table = _entry_topics(str(folder), stamp)
    except (OSError, ValueError) as exc:  # a broken entries folder must not take the dashboard down
        log.warning("dashboard.topics.unavailable error=%s", exc)
        table = {}
    return table.get


def topics(
    session: Session,
    *,
    start: dt.date,
    end: dt.date,
    timezone: str,
    topic_of: Callable[[str], str | None],
    limit: int = 10,
) -> list[CountRow]:
    """Conversations per topic, the topic being that of the entries the bot answered from.

    A conversation answered on two topics counts once for each; an unknown entry id counts
    under its source title.
    """
    lo, hi = local_bounds(start, end, timezone)
    rows = session.execute(
        select(Turn.conversation_id, Turn.data)
        .join(Conversation, Conversation.id == Turn.conversation_id)
        .where(*_conv_window(lo, hi), Turn.speaker == "bot", Turn.kind == "answer")
    ).all()
    seen: dict[int, set[str]] = defaultdict(set)
    for conv_id, data in rows:
        sources = (data or {}).get("sources") or []
        if not sources or not isinstance(sources[0], dict):
            continue
        first = sources[0]
        topic = topic_of(str(first.get("id", ""))) or str(first.get("title") or "").strip()
        if topic:
            seen[conv_id].add(topic)
    counts = Counter(t for ts in seen.values() for t in ts)
    return [
        CountRow(key=k, count=n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    ]


def gap_key(text: str) -> str:
    """The grouping key of a question: normalised wording without punctuation or trailing particles."""
    from knowledge.textnorm import normalize_query

    norm = _PUNCT_RE.sub("", normalize_query(text)).lower()
    return _PARTICLES_RE.sub("", norm)


def _reply_kind(turns: Iterable[tuple[str, str | None]]) -> str | None:
    """The kind of a caller turn's bot reply: the last kind among the bot turns that follow it."""
    kind = None
    for speaker, k in turns:
        if speaker == "bot" and k:
            kind = k
    return kind


def gaps(
    session: Session, *, start: dt.date, end: dt.date, timezone: str, limit: int = 20
) -> list[GapQuestion]:
    """Caller questions the bot abstained on or had to clarify, most frequent first.

    A caller turn counts when the bot turns after it (up to the next caller turn) end with a
    gap kind; replies of the system (hand-off waiting notes) do not count, nor button presses.
    Questions are masked (phone and ID numbers) before they leave this function.
    """
    lo, hi = local_bounds(start, end, timezone)
    rows = session.execute(
        select(Turn.conversation_id, Turn.speaker, Turn.text, Turn.kind, Turn.data, Turn.created_at)
        .where(Turn.created_at >= lo, Turn.created_at < hi, Turn.speaker.in_(("caller", "bot")))
        .order_by(Turn.conversation_id, Turn.seq)
    ).all()
    asked: list[tuple[str, dt.datetime, str]] = []  # (question, at, reply kind)
    pending: tuple[str, dt.datetime] | None = None
    replies: list[tuple[str, str | None]] = []
    current = None

    def flush() -> None:
        kind = _reply_kind(replies)
        if pending is not None and kind in GAP_KINDS:
            asked.append((pending[0], pending[1], kind))

    for conv_id, speaker, text, kind, data, created in rows:
        if conv_id != current or speaker == "caller":
            flush()
            pending, replies, current = None, [], conv_id
        if speaker == "caller":
            button = text.startswith("/") or bool((data or {}).get("payload"))
            pending = None if button or not text.strip() else (text.strip(), created)
        else:
            replies.append((speaker, kind))
    flush()

    groups: dict[str, dict[str, Any]] = {}
    for question, at, kind in asked:
        key = gap_key(question)
        if not key:
            continue
        g = groups.setdefault(key, {"texts": Counter(), "kinds": Counter(), "last": at})
        g["texts"][question] += 1
        g["kinds"][kind] += 1
        g["last"] = max(g["last"], at)
    ranked = sorted(groups.values(), key=lambda g: (-sum(g["kinds"].values()), -g["last"].timestamp()))
    out = []
    for g in ranked[:limit]:
        question = mask_text(g["texts"].most_common(1)[0][0])
        out.append(
            GapQuestion(
                question=question,
                count=sum(g["kinds"].values()),
                kinds=dict(g["kinds"]),
                last_at=g["last"],
                kb_url=KB_EDITOR_URL + quote(question, safe=""),
            )
        )
    return out


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
        select(func.count(Ticket.id)).where(*window, Ticket.status.in_(_CLOCK_STATUSES), Ticket.due_at < now)
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
    satisfied = sum(int(src.get(r, 0)) for src in (chat, callback) for r in RATINGS[:2])
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
        by_agent=inspection.team_report(session, group_by="agent", since=start, until=last).rows,
        by_rule=inspection.team_report(session, group_by="rule", since=start, until=last).rows,
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
        topics=topics(
            session, start=start, end=end, timezone=tz, topic_of=topic_of or entry_topics(settings)
        ),
        gaps=gaps(session, start=start, end=end, timezone=tz),
        tickets=ticket_stats(session, start=start, end=end, timezone=tz, now=now),
        satisfaction=satisfaction(session, start=start, end=end, timezone=tz),
        qa=qa_stats(session, start=start, end=end, timezone=tz),
    )


# --- CSV exports ----------------------------------------------------------------------------------

EXPORT_TABLES = (
    "hourly",
    "daily",
    "channels",
    "containment",
    "topics",
    "gaps",
    "tickets",
    "satisfaction",
    "qa_agents",
    "qa_rules",
    "forecast",
)


class UnknownTable(DomainError):
    status_code = 404
    key = "dash_unknown_table"


def _cell(value: object) -> str:
    """A CSV cell: numbers masked out of free text, and no leading =+-@ a spreadsheet would run."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    text = mask_text(str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_rows(summary: DashboardSummary | None, table: str, forecast: Any = None) -> list[list[str]]:
    """One dashboard table as rows of text cells, header first (the ``forecast`` table needs ``forecast``)."""
    from api.texts import text as t

    if table not in EXPORT_TABLES:
        raise UnknownTable(f"table {table!r}", table=table, tables="、".join(EXPORT_TABLES))
    rows: list[list[object]]
    if table == "forecast":
        if forecast is None:
            raise ValueError("forecast must be given for the forecast table")
        rows = [[p.at.isoformat(), p.weekday, p.hour, p.forecast, p.actual] for p in forecast.points]
        return [t("dash_csv_forecast").split(",")] + [[_cell(v) for v in row] for row in rows]
    if summary is None:
        raise ValueError(f"summary must be given for the {table} table")
    s = summary
    if table == "hourly":
        rows = [[h.hour, h.total, *(h.channels.get(c, 0) for c in CHANNELS)] for h in s.hourly]
    elif table == "daily":
        rows = [[d.day.isoformat(), d.count] for d in s.daily]
    elif table == "channels":
        rows = [[r.key, r.count] for r in s.channels]
    elif table == "containment":
        c = s.containment
        rows = [
            [
                c.conversations,
                c.contained,
                c.handoff,
                c.ticket,
                c.containment_rate,
                c.handoff_rate,
                c.ticket_rate,
            ]
        ]
    elif table == "topics":
        rows = [[r.key, r.count] for r in s.topics]
    elif table == "gaps":
        rows = [
            [
                g.question,
                g.count,
                g.kinds.get("abstain", 0),
                g.kinds.get("clarify_region", 0),
                g.last_at.isoformat(),
            ]
            for g in s.gaps
        ]
    elif table == "tickets":
        rows = [[r.key, r.count] for r in s.tickets.by_status]
    elif table == "satisfaction":
        rows = [[t("dash_source_chat"), r.key, r.count] for r in s.satisfaction.chat]
        rows += [[t("dash_source_callback"), r.key, r.count] for r in s.satisfaction.callback]
    else:
        source = s.qa.by_agent if table == "qa_agents" else s.qa.by_rule
        rows = [[r.key, r.results, r.average_score, r.pass_rate, r.findings, r.points] for r in source]
    header = t(f"dash_csv_{table}").split(",")
    return [header] + [[_cell(v) for v in row] for row in rows]

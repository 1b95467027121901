"""``hotline demo``: fill a database with plausible synthetic history for demos and screenshots.

``hotline demo seed --days 28`` writes, for each of the last N local days, conversations on the
web, phone and console channels with a weekday/hour-of-day rhythm (questions from the curated
entries answered with their answers; unanswerable questions from ``tests/data`` abstained on;
hand-offs through ``api.services.conversations.handoff``; ratings), work orders through
``api.services.tickets`` (dispatch, handling, closing, 回访 with satisfaction) and inspection
results through ``api.services.inspection.score_transcript`` on the labelled transcripts, a few
findings overruled. ``hotline demo clear`` removes exactly that data again.

Everything is marked as demo data: session ids and transcript ids start with ``demo-``, work
orders' descriptions with 【演示数据】, callers are named 演示用户. Nothing calls this
automatically; it refuses to seed a database that already holds demo data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from api.db import unit_of_work
from api.models.base import utcnow
from api.models.conversations import Conversation, Turn
from api.models.inspection import QaResult
from api.models.tickets import Ticket
from api.schemas import TicketCreate
from api.services import inspection, tickets
from api.services.conversations import handoff
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings, get_settings
from api.texts import text as t

log = logging.getLogger(__name__)

__all__ = ["DEMO_MARK", "DEMO_PREFIX", "DemoReport", "clear", "has_demo_data", "register", "seed"]

DEMO_PREFIX = "demo-"
DEMO_MARK = "【演示数据】"
DEMO_CALLER = "演示用户"
TRANSCRIPTS_DIR = PROJECT_ROOT / "tests" / "data" / "transcripts"
UNANSWERABLE_FILE = PROJECT_ROOT / "tests" / "data" / "kb_unanswerable.jsonl"
AGENTS = ("3021", "3316", "2580", "2208", "1417", "4418")
# Relative contact volume per local hour (a morning and an afternoon peak, quiet nights).
HOUR_WEIGHTS = (
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 7.0, 8.0, 6.0,
    3.0, 3.0, 6.0, 7.0, 6.0, 4.0, 2.5, 2.0, 1.5, 1.0, 0.6, 0.3,
)  # fmt: skip
WEEKDAY_FACTOR = {1: 1.15, 2: 1.0, 3: 1.0, 4: 0.95, 5: 0.9, 6: 0.35, 7: 0.25}
CHANNEL_WEIGHTS = {"web": 0.55, "phone": 0.35, "agent": 0.10}
RATING_WEIGHTS = {"满意": 0.7, "基本满意": 0.2, "不满意": 0.1}


@dataclass
class DemoReport:
    """What one seeding wrote."""

    days: int = 0
    conversations: int = 0
    handoffs: int = 0
    tickets: int = 0
    qa_results: int = 0
    overruled: int = 0
    span: tuple[str, str] = ("", "")
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Material:
    """Questions and answers the synthetic conversations are made of."""

    answered: list[Any]  # public curated entries
    regional: list[Any]  # public entries bound to a region (the bot asks for the 参保地 first)
    unanswerable: list[str]
    transcripts: list[dict[str, Any]]


def _load_material(settings: Settings, transcripts_dir: Path) -> _Material:
    from knowledge.catalog import load_entries

    entries = [e for e in load_entries(Path(settings.kb_entries_dir)) if e.audience == "public"]
    if not entries:
        raise RuntimeError(f"no public knowledge entries in {settings.kb_entries_dir}")
    questions = []
    if UNANSWERABLE_FILE.exists():
        for line in UNANSWERABLE_FILE.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(str(json.loads(line)["question"]))
    questions = questions[:30] or ["医保卡丢了能不能用别人的卡看病？"]
    files = sorted(transcripts_dir.glob("*.json"))
    if not files:
        raise RuntimeError(f"no transcript JSON files in {transcripts_dir}")
    transcripts = []
    for path in files:
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw.pop("labels", None)
        transcripts.append(raw)
    return _Material(
        answered=entries,
        regional=[e for e in entries if e.region],
        unanswerable=questions,
        transcripts=transcripts,
    )


def has_demo_data(session: Session) -> bool:
    """Whether the database already holds rows written by ``seed``."""
    convs = session.scalar(
        select(func.count(Conversation.id)).where(Conversation.session_id.like(DEMO_PREFIX + "%"))
    )
    results = session.scalar(
        select(func.count(QaResult.id)).where(QaResult.transcript_id.like(DEMO_PREFIX + "%"))
    )
    return bool(convs or results)


def clear(settings: Settings) -> dict[str, int]:
    """Delete every demo conversation, work order and inspection result; real data is untouched."""
    with unit_of_work(get_session_factory(settings)) as session:
        counts = {
            # Session.execute() is typed as returning Result since SQLAlchemy 2.0.44; a DELETE without
            # RETURNING does return a CursorResult, and SQLAlchemy's changelog recommends this cast.
            "conversations": cast(
                CursorResult[Any],
                session.execute(delete(Conversation).where(Conversation.session_id.like(DEMO_PREFIX + "%"))),
            ).rowcount,
            "tickets": 0,
            "qa_results": 0,
        }
        for ticket in session.scalars(select(Ticket).where(Ticket.description.like(DEMO_MARK + "%"))):
            session.delete(ticket)
            counts["tickets"] += 1
        for result in session.scalars(select(QaResult).where(QaResult.transcript_id.like(DEMO_PREFIX + "%"))):
            session.delete(result)
            counts["qa_results"] += 1
    return counts


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _sources(entry: Any) -> dict[str, Any]:
    title = entry.title or entry.questions[0]
    return {
        "sources": [{"id": entry.id, "title": title, "region": entry.region, "score": 0.82, "source": ""}]
    }


class _Writer:
    """Builds one conversation's turns at given instants, as the chat service stores them."""

    def __init__(self, session: Session, conv: Conversation, at: dt.datetime) -> None:
        self.session, self.conv, self.at, self.seq = session, conv, at, 0

    def turn(
        self, speaker: str, text: str, kind: str | None = None, data: dict[str, Any] | None = None
    ) -> None:
        self.seq += 1
        self.at += dt.timedelta(seconds=4 if speaker != "caller" else 25)
        self.session.add(
            Turn(
                conversation_id=self.conv.id,
                seq=self.seq,
                speaker=speaker,
                text=text,
                kind=kind,
                data=data,
                created_at=self.at,
            )
        )
        self.conv.updated_at = self.at


def _conversation(
    session: Session,
    rng: random.Random,
    material: _Material,
    sid: str,
    at: dt.datetime,
    report: DemoReport,
) -> tuple[Conversation, str | None]:
    """One synthetic conversation; returns it and the question to open a work order for, if any."""
    channel = _pick(rng, CHANNEL_WEIGHTS)
    conv = Conversation(session_id=sid, channel=channel, created_at=at, updated_at=at)
    session.add(conv)
    session.flush()
    w = _Writer(session, conv, at)
    roll = rng.random()
    wants_ticket: str | None = None
    if roll < 0.62:
        entry = rng.choice(material.answered)
        w.turn("caller", rng.choice(entry.questions))
        w.turn("bot", entry.answer[:400], "answer", _sources(entry))
        if rng.random() < 0.3:
            other = rng.choice([e for e in material.answered if e.topic == entry.topic] or [entry])
            w.turn("caller", rng.choice(other.questions))
            w.turn("bot", other.answer[:400], "answer", _sources(other))
    elif roll < 0.72 and material.regional:
        entry = rng.choice(material.regional)
        w.turn("caller", rng.choice(entry.questions))
        w.turn("bot", t("clarify_region"), "clarify_region")
        place = str(entry.region).split("/")[-1]
        conv.region = entry.region
        w.turn("caller", f"我是{place}的")
        w.turn("bot", entry.answer[:400], "answer", _sources(entry))
    elif roll < 0.92:
        # Unanswerable questions, a few of them asked again and again (Zipf-like weights).
        weights = [1 / (i + 1) for i in range(len(material.unanswerable))]
        question = rng.choices(material.unanswerable, weights=weights)[0]
        w.turn("caller", question)
        w.turn("bot", t("abstain"), "abstain")
        follow = rng.random()
        if follow < 0.45:
            w.turn("caller", "转人工")
            _handoff(session, rng, w, sid, channel, "kb_abstain")
            report.handoffs += 1
        elif follow < 0.75:
            wants_ticket = question
    else:
        w.turn("caller", "转人工")
        _handoff(session, rng, w, sid, channel, "caller_request")
        report.handoffs += 1
    if rng.random() < 0.35:
        rating = _pick(rng, RATING_WEIGHTS)
        w.turn("caller", rating, data={"payload": f'/rate_service{{"rating": "{rating}"}}'})
        w.turn("bot", "感谢您的评价，祝您生活愉快！", "goodbye")
        conv.rating = rating
    return conv, wants_ticket


def _handoff(session: Session, rng: random.Random, w: _Writer, sid: str, channel: str, reason: str) -> None:
    """Hand the conversation to a demo agent through the hand-off service, who answers and releases it."""
    w.turn("system", t("chat_handoff_waiting"), "abstain")
    session.flush()
    handoff.request(session, session_id=sid, reason=reason, channel=channel, now=w.at)
    agent = rng.choice(AGENTS)
    w.at += dt.timedelta(seconds=rng.randint(20, 240))
    handoff.accept(session, session_id=sid, agent=agent, now=w.at)
    w.turn("agent", "您好，我是人工坐席，您的问题我来帮您查一下。", data={"agent": agent})
    w.turn("agent", "已经为您核实清楚，还有其他问题可以随时来电。", data={"agent": agent})
    handoff.release(session, session_id=sid, agent=agent, now=w.at + dt.timedelta(seconds=5))


def _ticket(
    session: Session,
    rng: random.Random,
    rules: tickets.TicketRules,
    conv: Conversation,
    question: str,
    at: dt.datetime,
    now: dt.datetime,
) -> str:
    """Open a work order through the ticket service and move it along as far as its age allows."""
    data = TicketCreate(
        category=rng.choice(["咨询", "咨询", "求助", "投诉"]),
        topic=rng.choice(["报销", "异地就医", "参保登记", "生育津贴", "门诊慢特病", "医保电子凭证"]),
        caller_name=DEMO_CALLER,
        caller_phone="1390000" + f"{rng.randint(0, 9999):04d}",
        description=f"{DEMO_MARK}来电人咨询：{question}",
        channel="phone" if conv.channel == "phone" else "web",
        conversation_id=conv.session_id,
    )
    # Back-dated history inside the day's unit of work (the intake's open_order would stamp now).
    view = tickets.create_ticket(session, data=data, actor="bot", channel="api", rules=rules, now=at)
    number = view.number
    conv.ticket_number = number
    steps = [
        (dt.timedelta(hours=rng.uniform(0.5, 4)), "assign"),
        (dt.timedelta(hours=rng.uniform(5, 30)), "处理中"),
        (dt.timedelta(days=rng.uniform(1, 9)), "已办结"),
        (dt.timedelta(days=rng.uniform(0.5, 2)), "callback"),
    ]
    when = at
    for delta, step in steps:
        when += delta
        if when >= now or rng.random() < 0.08:
            break
        if step == "assign":
            department = view.department or next(iter(rules.departments))
            tickets.assign(session, number=number, department=department, actor="班长", rules=rules, now=when)
        elif step == "callback":
            tickets.add_callback(
                session,
                number=number,
                result=f"{DEMO_MARK}已回访来电人",
                satisfaction=_pick(rng, RATING_WEIGHTS),
                actor="回访坐席",
                rules=rules,
                now=when,
            )
        else:
            tickets.change_status(
                session,
                number=number,
                to_status=step,
                actor=rng.choice(AGENTS),
                comment="演示处理",
                rules=rules,
                now=when,
            )
    return number


def _inspect_day(
    session: Session,
    rng: random.Random,
    settings: Settings,
    material: _Material,
    day: dt.date,
    count: int,
    report: DemoReport,
) -> None:
    for i in range(count):
        raw = dict(rng.choice(material.transcripts))
        raw["id"] = f"{DEMO_PREFIX}{day.isoformat()}-{i + 1}-{raw['id']}"
        raw["agent_id"] = AGENTS[zlib.crc32(raw["id"].encode()) % len(AGENTS)]
        raw["date"] = day.isoformat()
        result = inspection.score_transcript(session, transcript=raw, settings=settings)
        report.qa_results += 1
        for finding in result.findings:
            if finding.id is not None and rng.random() < 0.12:
                inspection.review_finding(
                    session,
                    finding_id=finding.id,
                    action="overrule",
                    reviewer="演示主管",
                    comment=f"{DEMO_MARK}复核：录音语境下不构成扣分",
                    settings=settings,
                )
                report.overruled += 1


def seed(
    settings: Settings,
    *,
    days: int = 28,
    per_day: int = 60,
    end: dt.date | None = None,
    rng_seed: int = 12393,
    transcripts_dir: Path = TRANSCRIPTS_DIR,
    now: dt.datetime | None = None,
) -> DemoReport:
    """Write ``days`` days of demo history ending with local day ``end`` (default today) up to ``now``."""
    if not 1 <= days <= 366:
        raise ValueError(f"days must be between 1 and 366, got {days}")
    if not 1 <= per_day <= 5000:
        raise ValueError(f"per_day must be between 1 and 5000, got {per_day}")
    zone = ZoneInfo(settings.timezone)
    now = now or utcnow()
    end = end or now.astimezone(zone).date()
    rng = random.Random(rng_seed)
    material = _load_material(settings, transcripts_dir)
    rules = tickets.rules_from_settings(settings)
    factory = get_session_factory(settings)
    report = DemoReport(days=days)
    first = end - dt.timedelta(days=days - 1)
    report.span = (first.isoformat(), end.isoformat())
    with unit_of_work(factory) as session:
        if has_demo_data(session):
            raise RuntimeError("数据库里已经有演示数据；如需重新生成，请先运行 hotline demo clear")
    serial = 0
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        volume = max(1, round(per_day * WEEKDAY_FACTOR[day.isoweekday()] * rng.uniform(0.85, 1.15)))
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=volume)
        with unit_of_work(factory) as session:
            pending: list[tuple[Conversation, str, dt.datetime]] = []
            for hour in sorted(hours):
                at = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)), zone)
                at = at.astimezone(dt.UTC)
                if at >= now:
                    continue
                serial += 1
                sid = f"{DEMO_PREFIX}{day.strftime('%Y%m%d')}-{serial:05d}"
                conv, question = _conversation(session, rng, material, sid, at, report)
                report.conversations += 1
                if question is not None:
                    pending.append((conv, question, at + dt.timedelta(minutes=2)))
            session.commit()
            for conv, question, at in pending:
                _ticket(session, rng, rules, conv, question, at, now)
                report.tickets += 1
            checks = 4 if day.isoweekday() <= 5 else 1
            # Its own random stream: how many findings the checks make must not change the rest.
            qa_rng = random.Random(f"{rng_seed}-qa-{day.isoformat()}")
            _inspect_day(session, qa_rng, settings, material, day, checks, report)
        log.info("demo.seed day=%s conversations=%d", day, report.conversations)
    report.notes.append(f"{DEMO_MARK}会话编号以 {DEMO_PREFIX} 开头，工单描述以 {DEMO_MARK} 开头")
    return report


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``demo seed`` and ``demo clear``."""
    parser = subparsers.add_parser("demo", help="演示数据：生成或清除（只在演示、截图时手动运行）")
    sub = parser.add_subparsers(dest="demo_command", required=True)
    s = sub.add_parser("seed", help="生成最近 N 天的演示历史（会话、工单、质检）")
    s.add_argument("--days", type=int, default=28, help="天数（默认 28）")
    s.add_argument("--per-day", type=int, default=60, help="工作日平均每天会话数（默认 60）")
    s.add_argument("--end", type=dt.date.fromisoformat, help="最后一天 YYYY-MM-DD（默认今天）")
    s.add_argument("--seed", type=int, default=12393, help="随机种子（同一种子生成同样的数据）")
    s.add_argument("--transcripts", type=Path, default=TRANSCRIPTS_DIR, help="质检用的通话记录文件夹")
    s.set_defaults(handler=run_seed)
    c = sub.add_parser("clear", help="删除全部演示数据（真实数据不受影响）")
    c.set_defaults(handler=run_clear)


def run_seed(args: argparse.Namespace, settings: Settings | None = None) -> int:
    settings = settings or get_settings()
    report = seed(
        settings,
        days=args.days,
        per_day=args.per_day,
        end=args.end,
        rng_seed=args.seed,
        transcripts_dir=args.transcripts,
    )
    where = settings.effective_database_url.split("@")[-1]
    print_lines(
        [
            f"演示数据已写入 {where}（{report.span[0]} 至 {report.span[1]}）：",
            f"  会话 {report.conversations} 个（转人工 {report.handoffs} 个），工单 {report.tickets} 件，"
            f"质检 {report.qa_results} 条（驳回扣分项 {report.overruled} 个）",
            *report.notes,
            "清除：hotline demo clear",
        ]
    )
    return 0


def run_clear(args: argparse.Namespace, settings: Settings | None = None) -> int:
    counts = clear(settings or get_settings())
    print_lines(
        [
            f"已删除演示会话 {counts['conversations']} 个、工单 {counts['tickets']} 件、"
            f"质检 {counts['qa_results']} 条"
        ]
    )
    return 0


def print_lines(lines: Sequence[str]) -> None:
    """The CLI's report on stdout (the one place this module writes to the terminal)."""
    import sys

    sys.stdout.write("\n".join(lines) + "\n")

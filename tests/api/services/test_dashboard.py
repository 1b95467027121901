"""Supervisor dashboard aggregations on a small hand-built week, on SQLite and PostgreSQL.

The week is Monday 2026-03-02 to Monday 2026-03-09 (Beijing time); conversations just outside
it (in UTC on one side of midnight, in Beijing time on the other) check the time-zone bounds.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy.orm import Session

from api.models.conversations import Conversation, Turn
from api.models.tickets import Ticket
from api.schemas import CountRow
from api.services import dashboard as svc
from api.services import dashboard_export, dashboard_range, inspection, kb_gaps, tickets
from api.settings import PROJECT_ROOT, Settings
from tests.api.ticket_data import ROUTING_FILE, TIME_LIMITS_FILE, local, ticket_request

START, END = dt.date(2026, 3, 2), dt.date(2026, 3, 9)
NOW = local(2026, 3, 10, 10)
TOPICS = {"e-out": "异地就医", "e-ratio": "待遇报销"}
ID_QUESTION = "我的身份证110101199003071234能查吗"
TRANSCRIPTS = PROJECT_ROOT / "tests" / "data" / "transcripts"

TurnSpec = tuple[str, str, str | None, dict[str, Any] | None]


def _answer(entry: str, title: str) -> dict[str, Any]:
    return {"sources": [{"id": entry, "title": title, "score": 0.9}]}


def add_conversation(
    session: Session,
    sid: str,
    at: dt.datetime,
    channel: str,
    turns: list[TurnSpec],
    *,
    handoff: bool = False,
    ticket: str | None = None,
    rating: str | None = None,
) -> None:
    """A stored conversation as the chat service leaves it, turns a few seconds apart."""
    conv = Conversation(
        session_id=sid,
        channel=channel,
        created_at=at,
        updated_at=at,
        rating=rating,
        ticket_number=ticket,
        handoff_at=at if handoff else None,
        status="handoff" if handoff else "bot",
    )
    session.add(conv)
    session.flush()
    for seq, (speaker, text, kind, data) in enumerate(turns, start=1):
        session.add(
            Turn(
                conversation_id=conv.id,
                seq=seq,
                speaker=speaker,
                text=text,
                kind=kind,
                data=data,
                created_at=at + dt.timedelta(seconds=5 * seq),
            )
        )
    session.commit()


def build_week(session: Session, rules: tickets.TicketRules) -> None:
    """Five conversations, four work orders and three inspected calls in the week; extras outside it."""
    add_conversation(
        session, "c1", local(2026, 3, 2, 7, 30), "web",
        [
            ("caller", "异地就医怎么备案？", None, None),
            ("bot", "……", "answer", _answer("e-out", "异地就医备案")),
            ("caller", "要带什么材料", None, None),
            ("bot", "……", "answer", _answer("e-out", "异地就医备案")),
        ],
        rating="满意",
    )  # fmt: skip
    add_conversation(
        session, "c2", local(2026, 3, 2, 9, 40), "web",
        [
            ("caller", "门诊慢特病怎么申请", None, None),
            ("bot", "……", "answer", _answer("gone", "门诊慢特病申请")),
            ("caller", "生育津贴多久到账", None, None),
            ("bot", "这个问题我暂时没法给您准确答复", "abstain", None),
            ("caller", "转人工", None, None),
            ("system", "您的对话已转给人工客服", "abstain", None),
        ],
        handoff=True,
    )  # fmt: skip
    add_conversation(
        session, "c3", local(2026, 3, 3, 14, 5), "phone",
        [
            ("caller", "生育津贴多久到账啊？", None, None),
            ("bot", "……", None, None),
            ("bot", "这个问题我暂时没法给您准确答复", "abstain", None),
            ("caller", "13812345678", None, None),
            ("bot", "已为您登记工单", "ticket", None),
        ],
        ticket="GD202603030001",
        rating="不满意",
    )  # fmt: skip
    add_conversation(
        session, "c4", local(2026, 3, 3, 14, 30), "phone",
        [
            ("caller", "报销比例是多少", None, None),
            ("bot", "请问您在哪里参保？", "clarify_region", None),
            ("caller", "太原", None, None),
            ("bot", "……", "answer", _answer("e-ratio", "住院报销比例")),
            ("caller", "那异地呢", None, None),
            ("bot", "……", "answer", _answer("e-out", "异地就医备案")),
        ],
        rating="基本满意",
    )  # fmt: skip
    add_conversation(
        session, "c5", local(2026, 3, 5, 20, 0), "agent",
        [
            ("caller", "你好", None, {"payload": "/greet"}),
            ("bot", "您好", "greet", None),
            ("caller", ID_QUESTION, None, None),
            ("bot", "这个问题我暂时没法给您准确答复", "abstain", None),
        ],
    )  # fmt: skip
    # Outside the week: 00:30 on 9 March in Beijing is still 8 March in UTC; 23:50 on 1 March too.
    for sid, at in (("c6", local(2026, 3, 9, 0, 30)), ("c0", local(2026, 3, 1, 23, 50))):
        add_conversation(
            session, sid, at, "web",
            [("caller", "医保卡丢了怎么办", None, None), ("bot", "……", "abstain", None)],
            rating="满意",
        )  # fmt: skip

    def create(at: dt.datetime, phone: str) -> str:
        data = ticket_request(caller_phone=phone, description="演示", topic=f"话题{phone[-2:]}")
        return tickets.create_ticket(
            session, data=data, actor="bot", channel="api", rules=rules, now=at
        ).number

    def walk(number: str, at: dt.datetime, *statuses: str) -> None:
        for status in statuses:
            if status == "已分派":
                tickets.assign(
                    session, number=number, department="待遇保障科", actor="班长", rules=rules, now=at
                )
            else:
                tickets.change_status(
                    session,
                    number=number,
                    to_status=status,
                    actor="坐席",
                    comment="说明",
                    rules=rules,
                    now=at,
                )

    def due(number: str, at: dt.datetime) -> None:
        session.query(Ticket).filter(Ticket.number == number).update({"due_at": at})
        session.commit()

    t1 = create(local(2026, 3, 2, 10), "13800000001")
    due(t1, local(2026, 3, 6, 17, 30))  # still 新建 on the 10th: overdue
    t2 = create(local(2026, 3, 3, 10), "13800000002")
    walk(t2, local(2026, 3, 3, 11), "已分派", "处理中", "挂起")
    due(t2, local(2026, 3, 5, 17, 30))  # 挂起: the clock is stopped, not overdue
    t3 = create(local(2026, 3, 4, 9), "13800000003")
    due(t3, local(2026, 3, 10, 17, 30))
    walk(t3, local(2026, 3, 4, 10), "已分派", "处理中", "已办结")
    tickets.add_callback(
        session,
        number=t3,
        result="已回访",
        satisfaction="满意",
        actor="坐席",
        rules=rules,
        now=local(2026, 3, 5),
    )
    t4 = create(local(2026, 3, 4, 11), "13800000004")
    due(t4, local(2026, 3, 6, 17, 30))
    walk(t4, local(2026, 3, 7, 9), "已分派", "处理中", "已办结")  # closed after its limit
    tickets.add_callback(
        session,
        number=t4,
        result="已回访",
        satisfaction="基本满意",
        actor="坐席",
        rules=rules,
        now=local(2026, 3, 8),
    )
    create(local(2026, 3, 1, 23), "13800000005")  # outside the week
    create(local(2026, 3, 9, 8), "13800000006")


def score_calls(session: Session, settings: Settings) -> None:
    """QA101 and QA103 for agent 2208, QA104 for 2580 (its 不耐烦 finding overruled), QA102 outside."""
    for name, agent, day in (
        ("QA101", "2208", 2),
        ("QA103", "2208", 4),
        ("QA104", "2580", 8),
        ("QA102", "1417", 9),
    ):
        raw = json.loads((TRANSCRIPTS / f"{name}.json").read_text(encoding="utf-8"))
        raw.pop("labels", None)
        raw.update(agent_id=agent, date=f"2026-03-0{day}")
        result = inspection.score_transcript(session, transcript=raw, settings=settings)
        if name == "QA104":
            finding = next(f for f in result.findings if f.rule == "politeness.impatience")
            assert finding.id is not None
            inspection.review_finding(
                session,
                finding_id=finding.id,
                action="overrule",
                reviewer="王主管",
                comment="语气正常",
                settings=settings,
            )


@pytest.fixture
def rules() -> tickets.TicketRules:
    return tickets.load_rules(ROUTING_FILE, TIME_LIMITS_FILE, duplicate_window_hours=72)


@pytest.fixture
def week(db_session: Session, db_settings: Settings, rules: tickets.TicketRules) -> Session:
    build_week(db_session, rules)
    score_calls(db_session, db_settings)
    return db_session


def _rows(rows: list[CountRow]) -> dict[str, int]:
    return {r.key: r.count for r in rows}


def test_contacts_per_channel_hour_and_day_in_local_time(week: Session) -> None:
    total, channels, hourly, daily = svc.contacts(week, start=START, end=END, timezone="Asia/Shanghai")
    assert total == 5
    assert _rows(channels) == {"web": 2, "phone": 2, "agent": 1}
    busy = {h.hour: (h.total, h.channels) for h in hourly if h.total}
    assert busy == {7: (1, {"web": 1}), 9: (1, {"web": 1}), 14: (2, {"phone": 2}), 20: (1, {"agent": 1})}
    assert [h.hour for h in hourly] == list(range(24))
    assert [(d.day.day, d.count) for d in daily] == [(2, 2), (3, 2), (4, 0), (5, 1), (6, 0), (7, 0), (8, 0)]


def test_containment_and_handoff_rates(week: Session) -> None:
    stats = svc.containment(week, start=START, end=END, timezone="Asia/Shanghai")
    assert (stats.conversations, stats.contained, stats.handoff, stats.ticket) == (5, 3, 1, 1)
    assert (stats.containment_rate, stats.handoff_rate, stats.ticket_rate) == (0.6, 0.2, 0.2)


def test_topics_from_the_entries_the_bot_answered_from(week: Session) -> None:
    rows = kb_gaps.topics(week, start=START, end=END, timezone="Asia/Shanghai", topic_of=TOPICS.get)
    assert [(r.key, r.count) for r in rows] == [("异地就医", 2), ("待遇报销", 1), ("门诊慢特病申请", 1)]


def test_gaps_group_near_identical_questions_and_mask_numbers(week: Session) -> None:
    rows = kb_gaps.gaps(week, start=START, end=END, timezone="Asia/Shanghai")
    masked = "我的身份证**************1234能查吗"
    assert [(g.question, g.count, g.kinds) for g in rows] == [
        ("生育津贴多久到账", 2, {"abstain": 2}),
        (masked, 1, {"abstain": 1}),
        ("报销比例是多少", 1, {"clarify_region": 1}),
    ]
    assert rows[0].kb_url == "/console/kb?question=" + quote("生育津贴多久到账", safe="")
    assert rows[0].last_at == local(2026, 3, 3, 14, 5) + dt.timedelta(seconds=5)
    assert kb_gaps.gap_key("生育津贴多久到账啊？") == kb_gaps.gap_key("生育津贴 多久到账")


def test_work_orders_by_status_overdue_and_late(week: Session) -> None:
    stats = svc.ticket_stats(week, start=START, end=END, timezone="Asia/Shanghai", now=NOW)
    assert (stats.total, stats.open, stats.overdue, stats.closed_late) == (4, 2, 1, 1)
    assert {k: n for k, n in _rows(stats.by_status).items() if n} == {"新建": 1, "挂起": 1, "已回访": 2}
    assert [r.key for r in stats.by_status] == list(tickets.STATUSES)


def test_satisfaction_from_chats_and_callbacks(week: Session) -> None:
    stats = svc.satisfaction(week, start=START, end=END, timezone="Asia/Shanghai")
    assert _rows(stats.chat) == {"满意": 1, "基本满意": 1, "不满意": 1}
    assert _rows(stats.callback) == {"满意": 1, "基本满意": 1, "不满意": 0}
    assert (stats.total, stats.satisfied_rate) == (5, 0.8)


def test_inspection_scores_by_agent_and_rule_after_review(week: Session) -> None:
    stats = svc.qa_stats(week, start=START, end=END, timezone="Asia/Shanghai")
    assert (stats.results, stats.average_score, stats.pass_rate) == (3, 84.33, 0.3333)
    agents = [(r.key, r.results, r.average_score, r.pass_rate, r.findings, r.points) for r in stats.by_agent]
    assert agents == [("2208", 2, 76.5, 0.0, 4, 47.0), ("2580", 1, 100.0, 1.0, 0, 0.0)]
    rules = [(r.key, r.results, r.average_score, r.findings, r.points) for r in stats.by_rule]
    assert rules == [
        ("closing.satisfaction", 1, 88.0, 1, 6.0),
        ("forbidden.phrase", 1, 65.0, 1, 20.0),
        ("greeting.opening", 1, 88.0, 1, 6.0),
        ("unresolved.no_ticket", 1, 65.0, 1, 15.0),
    ]


def test_summary_and_csv_rows(week: Session, db_settings: Settings) -> None:
    summary = svc.summary(week, start=START, end=END, settings=db_settings, now=NOW, topic_of=TOPICS.get)
    assert summary.contacts == 5 and summary.containment.contained == 3 and summary.tickets.overdue == 1
    rows = dashboard_export.export_rows(summary, "gaps")
    assert rows[0] == ["问题", "次数", "无法回答", "追问参保地", "最近一次"]
    assert rows[2][:2] == ["我的身份证**************1234能查吗", "1"]
    assert dashboard_export.export_rows(summary, "hourly")[15] == ["14", "2", "0", "2", "0"]
    with pytest.raises(dashboard_export.UnknownTable):
        dashboard_export.export_rows(summary, "users")


def test_empty_database_and_bad_ranges(db_session: Session, db_settings: Settings) -> None:
    summary = svc.summary(db_session, start=START, end=END, settings=db_settings, topic_of=TOPICS.get)
    assert summary.contacts == 0 and summary.containment.containment_rate == 0.0
    assert summary.gaps == [] and summary.qa.results == 0 and summary.satisfaction.satisfied_rate == 0.0
    with pytest.raises(dashboard_range.BadRange):
        svc.summary(db_session, start=END, end=START, settings=db_settings)
    with pytest.raises(dashboard_range.BadRange):
        svc.contacts(db_session, start=START, end=START + dt.timedelta(days=400), timezone="Asia/Shanghai")

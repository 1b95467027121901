"""Retention purge on SQLite and PostgreSQL: old personal data goes, statistics and recent data stay."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.cli import main as cli_main
from api.models.conversations import Conversation, Turn
from api.models.inspection import QaFinding, QaResult
from api.models.tickets import Ticket, TicketAttachment, TicketEvent
from api.schemas import TicketCreate, TranscriptTurn
from api.services import retention
from api.services.tickets import create_ticket
from api.settings import Settings

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=800)
RECENT = NOW - dt.timedelta(days=10)
ID_NUMBER = "110101199003071234"


def _conversation(db: Session, session_id: str, at: dt.datetime) -> None:
    conv = Conversation(
        session_id=session_id, channel="web", created_at=at, updated_at=at, region="山西/太原"
    )
    conv.handoff_slots = {"phone": "13812345678"}
    db.add(conv)
    db.flush()
    db.add_all(
        [
            Turn(conversation_id=conv.id, seq=1, speaker="caller", text="我电话13812345678", created_at=at),
            Turn(conversation_id=conv.id, seq=2, speaker="bot", text="好的", kind="answer", created_at=at),
        ]
    )


def _qa(db: Session, transcript_id: str, at: dt.datetime) -> None:
    result = QaResult(
        transcript_id=transcript_id, channel="phone", agent_id="A01", call_date=at.date(), score=80.0,
        passed=True, reviewed_score=80.0, reviewed_passed=True, ruleset_version="v1", scored_at=at,
        transcript={"id": transcript_id, "turns": [{"speaker": "caller", "text": f"身份证{ID_NUMBER}"}]},
    )  # fmt: skip
    db.add(result)
    db.flush()
    db.add(
        QaFinding(result_id=result.id, rule="r1", category="c", severity="minor", points=1.0, turns=[1],
                  evidence=[f"身份证{ID_NUMBER}"])
    )  # fmt: skip


def _ticket(db: Session, phone: str, status: str, closed: dt.datetime) -> str:
    data = TicketCreate(
        category="咨询", topic="异地就医", region="山西/太原", caller_name="张三", caller_phone=phone,
        description=f"来电人电话{phone}", channel="web",
        transcript=[TranscriptTurn(speaker="caller", text=f"我电话{phone}")],
    )  # fmt: skip
    number = create_ticket(
        db, data=data, actor="bot", channel="api", now=closed - dt.timedelta(days=5)
    ).number
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket is not None
    ticket.status, ticket.closed_at, ticket.updated_at = status, closed, closed
    db.commit()
    return number


def _seed(db: Session, settings: Settings) -> dict[str, str]:
    _conversation(db, "old-chat", OLD)
    _conversation(db, "new-chat", RECENT)
    _qa(db, "old-call", OLD)
    _qa(db, "new-call", RECENT)
    db.commit()
    numbers = {
        "old_closed": _ticket(db, "13811110001", "已归档", OLD),
        "old_open": _ticket(db, "13811110002", "处理中", OLD),
        "new_closed": _ticket(db, "13811110003", "已归档", RECENT),
    }
    calls = settings.data_dir / "calls"
    calls.mkdir(parents=True, exist_ok=True)
    for name, at in (("old", OLD), ("new", RECENT)):
        for suffix in (".wav", ".json"):
            path = calls / f"{name}{suffix}"
            path.write_bytes(b"x")
            os.utime(path, (at.timestamp(), at.timestamp()))
    return numbers


def test_purge_removes_old_personal_data_only(
    db_settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as db:
        numbers = _seed(db, db_settings)
    settings = db_settings.model_copy(update={"retention_days": 730})

    dry = retention.run_purge(settings, dry_run=True, now=NOW)
    assert (dry.conversations, dry.turns, dry.qa_results, dry.tickets, dry.call_files) == (1, 2, 1, 1, 2)
    assert (settings.data_dir / "calls" / "old.wav").exists()  # a dry run changes nothing

    report = retention.run_purge(settings, now=NOW)
    assert report.as_dict() | {"dry_run": True} == dry.as_dict()
    with session_factory() as db:
        texts = {c.session_id: [t.text for t in c.turns] for c in db.scalars(select(Conversation)).all()}
        assert texts == {"old-chat": ["", ""], "new-chat": ["我电话13812345678", "好的"]}
        old_conv = db.scalar(select(Conversation).where(Conversation.session_id == "old-chat"))
        assert old_conv is not None and old_conv.handoff_slots is None and old_conv.region == "山西/太原"
        qa = {r.transcript_id: r for r in db.scalars(select(QaResult)).all()}
        assert qa["old-call"].transcript["turns"] == [{"speaker": "caller", "text": ""}]
        assert qa["old-call"].score == 80.0
        assert qa["new-call"].transcript["turns"][0]["text"].startswith("身份证")
        evidence = {f.result_id: f.evidence for f in db.scalars(select(QaFinding)).all()}
        assert evidence[qa["old-call"].id] == [] and evidence[qa["new-call"].id]
        tickets = {t.number: t for t in db.scalars(select(Ticket)).all()}
        old = tickets[numbers["old_closed"]]
        assert (old.caller_name, old.caller_phone, old.description) == ("", "", retention.PURGED_TEXT)
        assert (old.topic, old.status, old.region) == ("异地就医", "已归档", "山西/太原")
        assert not db.scalars(select(TicketAttachment).where(TicketAttachment.ticket_id == old.id)).all()
        assert all(
            e.comment == "" for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == old.id))
        )
        assert tickets[numbers["old_open"]].caller_phone == "13811110002"  # still being handled
        assert tickets[numbers["new_closed"]].caller_phone == "13811110003"
    assert sorted(p.name for p in (settings.data_dir / "calls").iterdir()) == ["new.json", "new.wav"]

    again = retention.run_purge(settings, now=NOW)
    assert (again.conversations, again.turns, again.qa_results, again.tickets, again.call_files) == (0,) * 5


def test_zero_days_keeps_everything(db_settings: Settings, session_factory: sessionmaker[Session]) -> None:
    with session_factory() as db:
        _seed(db, db_settings)
    report = retention.run_purge(db_settings.model_copy(update={"retention_days": 0}), now=NOW)
    assert (report.turns, report.tickets, report.call_files) == (0, 0, 0)


def test_cli_dry_run_prints_counts_only(
    db_settings: Settings,
    session_factory: sessionmaker[Session],
    monkeypatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    with session_factory() as db:
        _seed(db, db_settings)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_settings.database_url)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(db_settings.data_dir))
    monkeypatch.setenv("HOTLINE_RETENTION_DAYS", "1")
    from api.settings import get_settings

    get_settings.cache_clear()
    try:
        assert cli_main(["purge", "--dry-run"]) == 0
    finally:
        get_settings.cache_clear()
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True and out["turns"] >= 2 and out["tickets"] >= 1
    assert "1381" not in json.dumps(out)


def test_the_api_runs_the_purge_job(make_db_settings: Callable[..., Settings]) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    app = create_app(make_db_settings(retention_interval_s=3600, ticket_escalation_interval_s=0))
    with TestClient(app):
        assert app.state.retention_task is not None and not app.state.retention_task.done()
    assert app.state.retention_task.cancelled()

"""The inspection service on SQLite and PostgreSQL: store, review, overrule counts, team reports."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models.inspection import QaReview
from api.services import inspection as svc
from api.services import qa_reports
from api.settings import Settings
from inspection import Fact

DEV = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "dev_transcripts"
IN_PROVINCE = Fact(
    id="out-of-area-taiyuan-in-province-no-filing",
    answer="太原参保人在山西省内定点医药机构看病、买药，都不用备案，可以直接结算。",
    region="山西/太原",
)


def call(tid: str, agent: str, *, rude: bool = False, day: str = "2026-11-20") -> dict:
    opening = "喂，请讲。" if rude else "您好，12393医保热线，工号1027，请问有什么可以帮您？"
    return {
        "id": tid,
        "channel": "phone",
        "agent_id": agent,
        "date": day,
        "turns": [
            {"speaker": "agent", "start": 0.0, "end": 4.0, "text": opening},
            {
                "speaker": "caller",
                "start": 4.5,
                "end": 8.0,
                "text": "我太原的，去忻州住院要备案吗？电话13812345678",
            },
            {
                "speaker": "agent",
                "start": 8.5,
                "end": 12.0,
                "text": "要备案的，您得先去备案。" if rude else "省内不用备案，直接结算。",
            },
            {"speaker": "caller", "start": 12.5, "end": 13.5, "text": "好的，谢谢。"},
            {
                "speaker": "agent",
                "start": 14.0,
                "end": 18.0,
                "text": "感谢您的来电，稍后请您对本次服务评价，再见。",
            },
        ],
    }


@pytest.fixture
def settings(make_db_settings: Callable[..., Settings]) -> Settings:
    return make_db_settings()


def test_score_stores_result_with_version_and_kb_entry(db_session: Session, settings: Settings) -> None:
    out = svc.score_transcript(
        db_session,
        transcript=call("A1", "1027", rude=True),
        settings=settings,
        kb_lookup=lambda _t: [IN_PROVINCE],
    )
    assert out.id is not None and out.kb_checked and out.ruleset_version
    assert {f.category for f in out.findings} == {"greeting", "accuracy"}
    acc = next(f for f in out.findings if f.category == "accuracy")
    assert acc.kb_entry == IN_PROVINCE.id and acc.review_status == "pending"
    stored = svc.get_result(db_session, result_id=out.id, masked=False)
    assert stored.call_date == dt.date(2026, 11, 20) and stored.transcript["id"] == "A1"
    masked = svc.get_result(db_session, result_id=out.id)
    assert "13812345678" not in json.dumps(masked.transcript, ensure_ascii=False)


def test_failing_knowledge_base_is_recorded(db_session: Session, settings: Settings) -> None:
    def broken(_text: str) -> list[Fact]:
        raise RuntimeError("index missing")

    out = svc.score_transcript(
        db_session, transcript=call("A2", "1027", rude=True), settings=settings, kb_lookup=broken
    )
    assert not out.kb_checked and "accuracy" not in {f.category for f in out.findings}


def test_bad_transcript_is_a_domain_error(db_session: Session, settings: Settings) -> None:
    bad = call("A3", "1027")
    bad["turns"][0]["end"] = -1
    with pytest.raises(svc.BadTranscript):
        svc.score_transcript(db_session, transcript=bad, settings=settings)
    with pytest.raises(svc.BadTranscript):
        svc.score_transcript(
            db_session, transcript={**call("A4", "1"), "date": "yesterday"}, settings=settings
        )


def test_review_overrule_updates_score_and_keeps_history(db_session: Session, settings: Settings) -> None:
    out = svc.score_transcript(
        db_session,
        transcript=call("R1", "2001", rude=True),
        settings=settings,
        kb_lookup=lambda _t: [IN_PROVINCE],
    )
    assert not out.passed
    greeting = next(f for f in out.findings if f.rule == "greeting.opening")
    accuracy = next(f for f in out.findings if f.rule == "accuracy.contradiction")
    svc.review_finding(
        db_session,
        finding_id=greeting.id,
        action="confirm",
        reviewer="王主管",
        comment="确实没报工号",
        settings=settings,
    )
    svc.review_finding(
        db_session,
        finding_id=accuracy.id,
        action="confirm",
        reviewer="王主管",
        comment="先确认",
        settings=settings,
    )
    changed = svc.review_finding(
        db_session,
        finding_id=accuracy.id,
        action="overrule",
        reviewer="李主管",
        comment="来电人要去的是外省，坐席说得对",
        settings=settings,
    )
    assert changed.review_status == "overruled" and changed.reviewed_by == "李主管"
    after = svc.get_result(db_session, result_id=out.id)
    assert after.score == out.score and after.reviewed_score == out.score + accuracy.points
    assert db_session.scalar(select(func.count(QaReview.id))) == 3
    counts = {r.rule: r for r in qa_reports.overrule_counts(db_session)}
    assert (
        counts["accuracy.contradiction"].overruled == 1
        and counts["accuracy.contradiction"].overrule_rate == 1.0
    )
    assert counts["greeting.opening"].confirmed == 1 and counts["greeting.opening"].overruled == 0
    with pytest.raises(svc.FindingNotFound):
        svc.review_finding(
            db_session, finding_id=999999, action="confirm", reviewer="x", comment="y", settings=settings
        )
    with pytest.raises(ValueError, match="action"):
        svc.review_finding(
            db_session, finding_id=greeting.id, action="delete", reviewer="x", comment="y", settings=settings
        )
    with pytest.raises(ValueError, match="comment"):
        svc.review_finding(
            db_session,
            finding_id=greeting.id,
            action="confirm",
            reviewer="x",
            comment="  ",
            settings=settings,
        )


def test_team_reports_and_listing(db_session: Session, settings: Settings) -> None:
    facts = lambda _t: [IN_PROVINCE]  # noqa: E731
    for tid, agent, rude, day in [
        ("P1", "1001", False, "2026-11-20"),
        ("P2", "1001", True, "2026-11-21"),
        ("P3", "1002", False, "2026-11-21"),
    ]:
        svc.score_transcript(
            db_session, transcript=call(tid, agent, rude=rude, day=day), settings=settings, kb_lookup=facts
        )
    by_agent = {r.key: r for r in qa_reports.team_report(db_session, group_by="agent").rows}
    assert by_agent["1001"].results == 2 and by_agent["1001"].pass_rate == 0.5
    assert by_agent["1002"].average_score == 100 and by_agent["1002"].findings == 0
    by_day = {r.key: r for r in qa_reports.team_report(db_session, group_by="day").rows}
    assert list(by_day) == ["2026-11-20", "2026-11-21"] and by_day["2026-11-21"].results == 2
    by_rule = {
        r.key: r
        for r in qa_reports.team_report(db_session, group_by="rule", since=dt.date(2026, 11, 21)).rows
    }
    assert (
        set(by_rule) == {"greeting.opening", "accuracy.contradiction"}
        and by_rule["greeting.opening"].results == 1
    )
    listing = svc.list_results(db_session, agent_id="1001", passed=False)
    assert listing.total == 1 and listing.items[0].transcript_id == "P2"
    with pytest.raises(qa_reports.BadReport):
        qa_reports.team_report(db_session, group_by="month")


@pytest.mark.skipif(not DEV.exists(), reason="shared dev transcripts not available")
def test_dev_transcripts_score_and_store(db_session: Session, settings: Settings) -> None:
    for path in sorted(DEV.glob("*.json")):
        svc.score_transcript(
            db_session, transcript=json.loads(path.read_text(encoding="utf-8")), settings=settings
        )
    assert svc.list_results(db_session, limit=10).total == 6

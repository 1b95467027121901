"""api/services/qa_calibration.py: supervisor reviews become examples of the next calibration."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.services import inspection as svc
from api.services import qa_calibration as cal
from api.settings import Settings
from inspection.semantic_bank import NONE

ROOT = Path(__file__).resolve().parents[3]
TUNE = ROOT / "tests" / "data" / "transcripts_semantic" / "tune"


def call(tid: str, middle: list[tuple[str, str]]) -> dict:
    turns = [("agent", "您好，12393医保热线，工号1027，请问有什么可以帮您？"), *middle]
    turns += [("agent", "感谢您的来电，稍后请您对本次服务评价，再见。")]
    return {"id": tid, "channel": "chat", "turns": [{"speaker": s, "text": t} for s, t in turns]}


@pytest.fixture
def settings(make_db_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    s = make_db_settings(qa_semantic_calibration_file=tmp_path / "qa" / "semantic.json")
    if cal.get_semantic_matcher(s) is None:
        pytest.skip("embedding model not available")
    return s


def test_no_model_or_switched_off_means_rules_only(make_db_settings: Callable[..., Settings]) -> None:
    assert cal.get_semantic_matcher(make_db_settings(qa_semantic=False)) is None
    assert cal.get_semantic_matcher(make_db_settings(embedding_model="/nonexistent")) is None


def test_reviews_become_examples_of_the_next_calibration(db_session: Session, settings: Settings) -> None:
    impatient = call("R1", [("caller", "备案怎么办？"), ("agent", "我都讲了三遍了，你怎么还是记不住？")])
    out = svc.score_transcript(db_session, transcript=impatient, settings=settings)
    finding = next(f for f in out.findings if f.rule == "politeness.impatience")
    assert "相近" in finding.detail
    svc.review_finding(
        db_session,
        finding_id=finding.id,
        action="confirm",
        reviewer="王主管",
        comment="确实不耐烦",
        settings=settings,
    )
    examples = cal.reviewed_examples(db_session)
    assert [(e.label, e.confirmed) for e in examples] == [("impatience", True)]

    result, target, used = cal.run_calibration(
        db_session, settings=settings, labelled=sorted(TUNE.glob("*.json"))[:40]
    )
    assert used == 1 and target == settings.qa_semantic_calibration_file
    written = json.loads(target.read_text(encoding="utf-8"))
    assert {"label": "impatience", "text": examples[0].text} in written["examples"]
    assert set(written["thresholds"]) == {"impatience", "forbidden", "deflection", "vague", "caller_open"}
    # The next scoring reads the new calibration, the confirmed sentence among its examples.
    matcher = cal.get_semantic_matcher(settings)
    assert matcher is not None and ("impatience", examples[0].text) in matcher.examples
    assert matcher.calibration.thresholds == pytest.approx(result.thresholds, abs=1e-4)


def test_overruled_findings_teach_the_ordinary_side(db_session: Session, settings: Settings) -> None:
    referral = call(
        "R2", [("caller", "药店不给刷卡。"), ("agent", "您去当地的政务服务中心窗口当面问一下吧。")]
    )
    out = svc.score_transcript(db_session, transcript=referral, settings=settings)
    finding = next(f for f in out.findings if f.rule == "first_contact.deflection")
    svc.review_finding(
        db_session,
        finding_id=finding.id,
        action="overrule",
        reviewer="王主管",
        comment="已转办",
        settings=settings,
    )
    (example,) = [e for e in cal.reviewed_examples(db_session) if e.label == "deflection"]
    assert not example.confirmed
    result, _, _ = cal.run_calibration(db_session, settings=settings, labelled=[])
    assert (NONE, example.text) in result.examples

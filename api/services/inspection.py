"""Quality inspection (智能质检) as a service: score, store, review, report.

Scoring uses the ``inspection`` library with the knowledge-base check wired to
``api.services.knowledge.search_entries``; every stored result records the rule-set version.
Supervisors confirm or overrule findings with a comment; overrules are kept, counted per rule
and taken out of the reviewed score. Team reports average the reviewed scores per agent, per
rule or per day. Every public function takes the session first and is one unit of work.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from api.errors import DomainError, NotFound
from api.models.base import utcnow
from api.models.inspection import (
    REVIEW_CONFIRMED,
    REVIEW_OVERRULED,
    REVIEW_PENDING,
    QaFinding,
    QaResult,
    QaReview,
)
from api.privacy import mask_text
from api.schemas import (
    QaFindingPublic,
    QaResultList,
    QaResultPublic,
    QaTranscriptIn,
)
from api.services.conversations import store
from api.services.qa_calibration import get_semantic_matcher
from api.settings import Settings
from inspection import Fact, Inspector, KbFact, KbLookup, load_ruleset, parse_transcript
from inspection.ruleset import FATAL, RuleSet

log = logging.getLogger(__name__)

__all__ = [
    "BadTranscript",
    "FindingNotFound",
    "ResultNotFound",
    "call_transcript",
    "chat_transcript",
    "get_inspector",
    "get_result",
    "list_results",
    "make_kb_lookup",
    "review_finding",
    "score_call",
    "score_chat",
    "score_transcript",
]

_ACTIONS = {"confirm": REVIEW_CONFIRMED, "overrule": REVIEW_OVERRULED}


class BadTranscript(DomainError):
    status_code = 422
    key = "qa_bad_transcript"


class ResultNotFound(NotFound):
    key = "qa_result_not_found"


class FindingNotFound(NotFound):
    key = "qa_finding_not_found"


def _as_fact(doc: Any) -> KbFact:
    """A knowledge-base hit (a search Doc or a catalog Entry) as the library's Fact."""
    key = str(getattr(doc, "id", None) or getattr(doc, "key", ""))
    return Fact(
        id=key.removeprefix("entry:"),
        answer=str(getattr(doc, "answer", "")),
        points=dict(getattr(doc, "points", {}) or {}),
        region=getattr(doc, "region", None),
        title=str(getattr(doc, "title", "") or ""),
    )


def make_kb_lookup(settings: Settings, *, k: int = 3) -> KbLookup:
    """The knowledge-base check: curated entries from ``search_entries`` above ``qa_kb_min_score``."""
    min_score = settings.qa_kb_min_score

    def lookup(text: str) -> list[KbFact]:
        # Imported here so that inspection works (without the check) before the knowledge service exists.
        from api.services.knowledge import search_entries

        hits = search_entries(text, k=k, audience="agent", settings=settings)
        return [_as_fact(doc) for doc, score in hits if score >= min_score]

    return lookup


@lru_cache(maxsize=8)
def _ruleset(path: Path | None) -> RuleSet:
    return load_ruleset(path)


def get_inspector(settings: Settings, *, kb_lookup: KbLookup | None = None) -> Inspector:
    """An Inspector with the configured rule set, the given knowledge-base lookup and the semantic checks."""
    return Inspector(
        _ruleset(settings.qa_ruleset_file), kb_lookup=kb_lookup, semantic=get_semantic_matcher(settings)
    )


def _finding_public(f: QaFinding) -> QaFindingPublic:
    return QaFindingPublic(
        id=f.id,
        rule=f.rule,
        category=f.category,
        severity=f.severity,  # type: ignore[arg-type]
        points=f.points,
        turns=list(f.turns),
        evidence=list(f.evidence),
        detail=f.detail,
        kb_entry=f.kb_entry,
        review_status=f.review_status,
        reviewed_by=f.reviewed_by,
        review_comment=f.review_comment,
    )


def _masked_transcript(transcript: Mapping[str, Any]) -> dict[str, Any]:
    turns = [{**t, "text": mask_text(str(t.get("text", "")))} for t in transcript.get("turns", [])]
    return {**transcript, "turns": turns}


def _result_public(r: QaResult, *, with_transcript: bool = False, masked: bool = True) -> QaResultPublic:
    findings = [_finding_public(f) for f in r.findings]
    if masked:
        findings = [f.model_copy(update={"evidence": [mask_text(e) for e in f.evidence]}) for f in findings]
    transcript = None
    if with_transcript:
        transcript = _masked_transcript(r.transcript) if masked else dict(r.transcript)
    return QaResultPublic(
        id=r.id,
        transcript_id=r.transcript_id,
        channel=r.channel,
        agent_id=r.agent_id,
        call_date=r.call_date,
        score=r.score,
        passed=r.passed,
        reviewed_score=r.reviewed_score,
        reviewed_passed=r.reviewed_passed,
        ruleset_version=r.ruleset_version,
        kb_checked=r.kb_checked,
        scored_at=r.scored_at,
        findings=findings,
        transcript=transcript,
    )


def _today(settings: Settings) -> dt.date:
    try:
        return dt.datetime.now(ZoneInfo(settings.timezone)).date()
    except (KeyError, ValueError):
        return dt.datetime.now(dt.UTC).date()


def _guarded(kb_lookup: KbLookup, failures: list[Exception]) -> KbLookup:
    """The lookup, but a failing knowledge base (no index, no model) yields no facts and is noted."""

    def lookup(text: str) -> Sequence[KbFact]:
        if failures:
            return []
        try:
            return kb_lookup(text)
        except Exception as exc:  # any failure of the outside service: score without the check
            log.warning("inspection.kb_check.unavailable error=%s", type(exc).__name__)
            failures.append(exc)
            return []

    return lookup


def score_transcript(
    session: Session,
    *,
    transcript: QaTranscriptIn | Mapping[str, Any],
    settings: Settings,
    kb_lookup: KbLookup | None = None,
    store: bool = True,
) -> QaResultPublic:
    """Score one transcript (knowledge-base check when a lookup is given) and store the result."""
    if isinstance(transcript, QaTranscriptIn):
        raw = transcript.model_dump(exclude_none=True, mode="json")
    else:
        raw = dict(transcript)
    call_date = None
    if raw.get("date"):
        try:
            call_date = dt.date.fromisoformat(str(raw["date"]))
        except ValueError as exc:
            raise BadTranscript(f"date must be YYYY-MM-DD, got {raw['date']!r}") from exc
    try:
        parsed = parse_transcript(raw)
    except (ValueError, TypeError) as exc:
        raise BadTranscript(str(exc)) from exc
    failures: list[Exception] = []
    guarded = _guarded(kb_lookup, failures) if kb_lookup is not None else None
    result = get_inspector(settings, kb_lookup=guarded).inspect(parsed)
    kb_checked = kb_lookup is not None and not failures
    row = QaResult(
        transcript_id=result.id,
        channel=result.channel,
        agent_id=result.agent_id,
        call_date=call_date or _today(settings),
        score=result.score,
        passed=result.passed,
        reviewed_score=result.score,
        reviewed_passed=result.passed,
        ruleset_version=result.ruleset_version,
        kb_checked=kb_checked,
        transcript=raw,
        scored_at=utcnow(),
        findings=[
            QaFinding(
                rule=f.rule,
                category=f.category,
                severity=f.severity,
                points=f.points,
                turns=list(f.turns),
                evidence=list(f.evidence),
                detail=f.detail,
                kb_entry=f.kb_entry,
                review_status=REVIEW_PENDING,
            )
            for f in result.findings
        ],
    )
    if store:
        session.add(row)
        session.commit()
        log.info(
            "inspection.scored result=%s score=%.0f passed=%s findings=%d version=%s kb=%s",
            row.id, row.score, row.passed, len(row.findings), row.ruleset_version, kb_checked,
        )  # fmt: skip
    return _result_public(row, with_transcript=False, masked=False)


def _load_result(session: Session, result_id: int) -> QaResult:
    row = session.scalar(
        select(QaResult).where(QaResult.id == result_id).options(selectinload(QaResult.findings))
    )
    if row is None:
        raise ResultNotFound(f"result {result_id}", result_id=result_id)
    return row


def get_result(session: Session, *, result_id: int, masked: bool = True) -> QaResultPublic:
    """One stored result with its findings and transcript (personal numbers masked unless privileged)."""
    return _result_public(_load_result(session, result_id), with_transcript=True, masked=masked)


def list_results(
    session: Session,
    *,
    agent_id: str | None = None,
    transcript_id: str | None = None,
    passed: bool | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
    masked: bool = True,
) -> QaResultList:
    """Stored results, newest first, filtered; ``passed`` filters on the reviewed verdict."""
    if not 1 <= limit <= 500:
        raise ValueError(f"limit must be between 1 and 500, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
    conds = []
    if agent_id is not None:
        conds.append(QaResult.agent_id == agent_id)
    if transcript_id is not None:
        conds.append(QaResult.transcript_id == transcript_id)
    if passed is not None:
        conds.append(QaResult.reviewed_passed == passed)
    if since is not None:
        conds.append(QaResult.call_date >= since)
    if until is not None:
        conds.append(QaResult.call_date <= until)
    total = session.scalar(select(func.count(QaResult.id)).where(*conds)) or 0
    rows = session.scalars(
        select(QaResult)
        .where(*conds)
        .options(selectinload(QaResult.findings))
        .order_by(QaResult.scored_at.desc(), QaResult.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return QaResultList(items=[_result_public(r, masked=masked) for r in rows], total=int(total))


def _rescore(result: QaResult, pass_mark: float) -> None:
    """Reviewed score and verdict: the machine's, without the findings a supervisor overruled."""
    kept = [f for f in result.findings if f.review_status != REVIEW_OVERRULED]
    result.reviewed_score = max(0.0, 100.0 - sum(f.points for f in kept))
    fatal = any(f.severity == FATAL for f in kept)
    result.reviewed_passed = not fatal and result.reviewed_score >= pass_mark


def review_finding(
    session: Session,
    *,
    finding_id: int,
    action: str,
    reviewer: str,
    comment: str,
    settings: Settings,
) -> QaFindingPublic:
    """Confirm or overrule a finding with a comment; the history is kept and the score updated."""
    if action not in _ACTIONS:
        raise ValueError(f"action must be 'confirm' or 'overrule', got {action!r}")
    comment = comment.strip()
    if not comment:
        raise ValueError("comment must not be empty")
    reviewer = (reviewer or "").strip()[:64] or "supervisor"
    finding = session.get(QaFinding, finding_id)
    if finding is None:
        raise FindingNotFound(f"finding {finding_id}", finding_id=finding_id)
    now = utcnow()
    finding.review_status = _ACTIONS[action]
    finding.reviewed_by = reviewer
    finding.reviewed_at = now
    finding.review_comment = comment[:1000]
    session.add(
        QaReview(
            finding_id=finding.id, action=action, reviewer=reviewer, comment=comment[:1000], created_at=now
        )
    )
    result = _load_result(session, finding.result_id)
    _rescore(result, _ruleset(settings.qa_ruleset_file).pass_mark)
    session.commit()
    log.info("inspection.reviewed finding=%s rule=%s action=%s", finding.id, finding.rule, action)
    return _finding_public(finding)


def chat_transcript(session_id: str, *, settings: Settings) -> dict[str, Any]:
    """A stored chat conversation in the inspection input format (untimed; system turns left out)."""
    stored = store.transcript(session_id, settings=settings)
    turns = [
        {"speaker": t.speaker, "text": t.text}
        for t in stored.turns
        if t.speaker in ("caller", "bot", "agent") and t.text.strip()
    ]
    return {"id": f"chat:{stored.session_id}", "channel": "chat", "turns": turns}


def score_chat(
    session: Session, *, session_id: str, settings: Settings, kb_lookup: KbLookup | None = None
) -> QaResultPublic:
    """Score and store the transcript of a web-chat conversation."""
    transcript = chat_transcript(session_id, settings=settings)
    return score_transcript(session, transcript=transcript, settings=settings, kb_lookup=kb_lookup)


def call_transcript(call_id: str, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A phone call's timed log (``voice.ivr`` transcript lines) in the inspection input format.

    Both sides keep their start and end seconds; keys, events and empty lines are left out.
    """
    turns: list[dict[str, Any]] = []
    for entry in entries:
        speaker, text = entry.get("speaker"), str(entry.get("text") or "").strip()
        if speaker not in ("caller", "bot", "agent") or not text or entry.get("kind") == "dtmf":
            continue
        turn: dict[str, Any] = {"speaker": speaker, "text": text[:5000]}
        start = entry.get("t")
        if isinstance(start, int | float) and start >= 0:
            turn["start"] = float(start)
            end = entry.get("end")
            turn["end"] = float(end) if isinstance(end, int | float) and end >= start else float(start)
        turns.append(turn)
    return {"id": f"phone:{call_id}", "channel": "phone", "turns": turns}


def score_call(
    session: Session,
    *,
    call_id: str,
    entries: Sequence[Mapping[str, Any]],
    settings: Settings,
    kb_lookup: KbLookup | None = None,
) -> QaResultPublic:
    """Score and store a finished phone call; the result's transcript id is ``phone:<call id>``."""
    return score_transcript(
        session, transcript=call_transcript(call_id, entries), settings=settings, kb_lookup=kb_lookup
    )

"""HTTP adapter for quality inspection (智能质检); each handler parses, calls the service, renders.

- ``POST /api/qa/score`` (agent or above, also the IVR/chat back office): score a transcript with
  the knowledge-base check and store the result with the rule-set version;
  ``POST /api/qa/score/chat/{session_id}`` does the same for a stored web-chat conversation.
- ``GET /api/qa/results`` and ``GET /api/qa/results/{id}`` (agent or above): stored results;
  personal numbers in evidence and transcripts are masked below the supervisor role.
- ``POST /api/qa/findings/{id}/review`` (supervisor): confirm or overrule a finding with a comment.
- ``GET /api/qa/overrules`` and ``GET /api/qa/reports`` (supervisor): overrule counts per rule,
  team reports per agent, rule or day.
- ``POST /api/qa/calibration`` (supervisor): recalibrate the semantic checks on the labelled calls
  and every review (as ``hotline qa calibrate``), shown before/after but not applied;
  ``POST /api/qa/calibration/apply`` makes that result current.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam

from api.deps import Principal, SessionDep, SettingsDep, require_role
from api.schemas import (
    QaCalibrationApplyIn,
    QaCalibrationProposal,
    QaFindingPublic,
    QaReport,
    QaReportGroup,
    QaResultList,
    QaResultPublic,
    QaReviewIn,
    QaRuleOverrules,
    QaTranscriptIn,
)
from api.services import audit, qa_calibration, qa_reports
from api.services import inspection as service

router = APIRouter(prefix="/api/qa", tags=["quality inspection"])

AgentDep = Annotated[Principal, Depends(require_role("agent"))]
# Row ids fit the database integer (a larger one is a 422, not a driver overflow).
RowId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
SupervisorDep = Annotated[Principal, Depends(require_role("supervisor"))]


def _privileged(principal: Principal) -> bool:
    return principal.role in ("supervisor", "admin")


@router.post("/score", response_model=QaResultPublic)
def score(
    body: QaTranscriptIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: AgentDep,
    kb: Annotated[bool, Query(description="与知识库比对（答得准、一次性告知）")] = True,
) -> QaResultPublic:
    """Score and store one transcript."""
    lookup = service.make_kb_lookup(settings) if kb else None
    return service.score_transcript(session, transcript=body, settings=settings, kb_lookup=lookup)


@router.post("/score/chat/{session_id}", response_model=QaResultPublic)
def score_chat(
    session_id: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: AgentDep,
    kb: Annotated[bool, Query(description="与知识库比对（答得准、一次性告知）")] = True,
) -> QaResultPublic:
    """Score and store a stored web-chat conversation."""
    lookup = service.make_kb_lookup(settings) if kb else None
    return service.score_chat(session, session_id=session_id, settings=settings, kb_lookup=lookup)


@router.get("/results", response_model=QaResultList)
def results(
    session: SessionDep,
    principal: AgentDep,
    agent_id: Annotated[str | None, Query(max_length=64)] = None,
    transcript_id: Annotated[str | None, Query(max_length=128)] = None,
    passed: bool | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,  # bounded: DB int range
) -> QaResultList:
    """Stored results, newest first."""
    return service.list_results(
        session,
        agent_id=agent_id,
        transcript_id=transcript_id,
        passed=passed,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
        masked=not _privileged(principal),
    )


@router.get("/results/{result_id}", response_model=QaResultPublic)
def result(result_id: RowId, session: SessionDep, principal: AgentDep, request: Request) -> QaResultPublic:
    """One result with findings and the transcript (the view is audited)."""
    found = service.get_result(session, result_id=result_id, masked=not _privileged(principal))
    audit.record(session, principal, audit.QA_RESULT_VIEW, "qa_result", result_id, request)
    return found


@router.post("/findings/{finding_id}/review", response_model=QaFindingPublic)
def review(
    finding_id: RowId,
    body: QaReviewIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: SupervisorDep,
) -> QaFindingPublic:
    """Confirm or overrule a finding; the reviewed score of its result is updated."""
    return service.review_finding(
        session,
        finding_id=finding_id,
        action=body.action,
        reviewer=principal.name,
        comment=body.comment,
        settings=settings,
    )


@router.get("/overrules", response_model=list[QaRuleOverrules])
def overrules(session: SessionDep, principal: SupervisorDep) -> list[QaRuleOverrules]:
    """How often each rule's findings were overruled."""
    return qa_reports.overrule_counts(session)


@router.get("/reports", response_model=QaReport)
def reports(
    session: SessionDep,
    principal: SupervisorDep,
    group_by: QaReportGroup = "agent",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QaReport:
    """Average reviewed score and pass rate per agent, rule or day."""
    return qa_reports.team_report(session, group_by=group_by, since=since, until=until)


@router.post("/calibration", response_model=QaCalibrationProposal)
def calibration(
    session: SessionDep, settings: SettingsDep, principal: SupervisorDep
) -> QaCalibrationProposal:
    """Recalibrate the semantic thresholds; the result waits for the supervisor's confirmation."""
    return qa_calibration.propose(session, settings=settings)


@router.post("/calibration/apply", response_model=dict[str, float])
def apply_calibration(
    body: QaCalibrationApplyIn, settings: SettingsDep, principal: SupervisorDep
) -> dict[str, float]:
    """Apply the recalibration last shown; the next scoring uses its thresholds."""
    return qa_calibration.apply_proposal(settings, body.id)

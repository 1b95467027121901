"""Quality-inspection reports for team leads: per agent, per rule or per day, and how often each
rule's findings are overruled by a reviewer (the rules to recalibrate first)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from api.errors import DomainError
from api.models.inspection import REVIEW_CONFIRMED, REVIEW_OVERRULED, QaFinding, QaResult
from api.schemas import QaReport, QaReportRow, QaRuleOverrules

__all__ = ["BadReport", "overrule_counts", "team_report"]


class BadReport(DomainError):
    key = "qa_bad_report"


def overrule_counts(session: Session) -> list[QaRuleOverrules]:
    """Per rule: findings, confirmed, overruled and the overrule rate, most overruled first."""
    overruled = func.sum(func.cast(QaFinding.review_status == REVIEW_OVERRULED, Integer))
    confirmed = func.sum(func.cast(QaFinding.review_status == REVIEW_CONFIRMED, Integer))
    rows = session.execute(
        select(
            QaFinding.rule, func.min(QaFinding.category), func.count(QaFinding.id), confirmed, overruled
        ).group_by(QaFinding.rule)
    ).all()
    out = []
    for rule, category, n, conf, over in rows:
        reviewed = int(conf or 0) + int(over or 0)
        out.append(
            QaRuleOverrules(
                rule=rule,
                category=category,
                findings=int(n),
                confirmed=int(conf or 0),
                overruled=int(over or 0),
                overrule_rate=round(int(over or 0) / reviewed, 4) if reviewed else 0.0,
            )
        )
    out.sort(key=lambda r: (-r.overruled, -r.overrule_rate, r.rule))
    return out


def team_report(
    session: Session,
    *,
    group_by: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QaReport:
    """Average reviewed score and pass rate per agent, per rule or per day (overruled findings left out)."""
    if group_by not in ("agent", "rule", "day"):
        raise BadReport(f"group_by must be agent, rule or day, got {group_by!r}")
    if since and until and since > until:
        raise BadReport("since must not be after until")
    conds = []
    if since is not None:
        conds.append(QaResult.call_date >= since)
    if until is not None:
        conds.append(QaResult.call_date <= until)
    passed = func.avg(func.cast(QaResult.reviewed_passed, Integer))
    kept = QaFinding.review_status != REVIEW_OVERRULED
    if group_by == "rule":
        stmt = (
            select(
                QaFinding.rule,
                func.count(func.distinct(QaResult.id)),
                func.avg(QaResult.reviewed_score),
                passed,
                func.count(QaFinding.id),
                func.sum(QaFinding.points),
            )
            .join(QaFinding, QaFinding.result_id == QaResult.id)
            .where(kept, *conds)
            .group_by(QaFinding.rule)
            .order_by(func.count(QaFinding.id).desc(), QaFinding.rule)
        )
        rows = [(str(k), n, avg, pr, nf, pts) for k, n, avg, pr, nf, pts in session.execute(stmt).all()]
    else:
        key = func.coalesce(QaResult.agent_id, "") if group_by == "agent" else QaResult.call_date
        counts = (
            select(
                QaFinding.result_id,
                func.count(QaFinding.id).label("n"),
                func.sum(QaFinding.points).label("p"),
            )
            .where(kept)
            .group_by(QaFinding.result_id)
            .subquery()
        )
        stmt = (
            select(
                key,
                func.count(QaResult.id),
                func.avg(QaResult.reviewed_score),
                passed,
                func.coalesce(func.sum(counts.c.n), 0),
                func.coalesce(func.sum(counts.c.p), 0.0),
            )
            .outerjoin(counts, counts.c.result_id == QaResult.id)
            .where(*conds)
            .group_by(key)
            .order_by(key)
        )
        rows = [
            (k.isoformat() if isinstance(k, dt.date) else str(k) or "(未知坐席)", n, avg, pr, nf, pts)
            for k, n, avg, pr, nf, pts in session.execute(stmt).all()
        ]
    return QaReport(
        group_by=group_by,  # type: ignore[arg-type]
        since=since,
        until=until,
        rows=[
            QaReportRow(
                key=k,
                results=int(n),
                average_score=round(float(avg or 0.0), 2),
                pass_rate=round(float(pr or 0.0), 4),
                findings=int(nf or 0),
                points=round(float(pts or 0.0), 1),
            )
            for k, n, avg, pr, nf, pts in rows
        ],
    )

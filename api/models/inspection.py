"""Quality-inspection results, their findings and the supervisors' reviews.

Tables: qa_results (one scoring of one transcript: score, pass/fail, the rule-set version and
the transcript itself, plus the score after review), qa_findings (each deduction with its
evidence and its review state) and qa_reviews (every confirm/overrule with its comment, kept
so that overrules can be counted per rule and bad rules show).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.base import Base, utcnow
from api.models.tickets import UtcDateTime

REVIEW_PENDING = "pending"
REVIEW_CONFIRMED = "confirmed"
REVIEW_OVERRULED = "overruled"


class QaResult(Base):
    """One machine scoring of a transcript (a rescoring with a new rule set is a new row)."""

    __tablename__ = "qa_results"
    __table_args__ = (
        Index("ix_qa_results_transcript", "transcript_id"),
        Index("ix_qa_results_agent_date", "agent_id", "call_date"),
        Index("ix_qa_results_call_date", "call_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transcript_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    call_date: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    reviewed_score: Mapped[float] = mapped_column(Float)
    reviewed_passed: Mapped[bool] = mapped_column(Boolean)
    ruleset_version: Mapped[str] = mapped_column(String(64))
    kb_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    transcript: Mapped[dict[str, Any]] = mapped_column(JSON)
    scored_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    findings: Mapped[list[QaFinding]] = relationship(
        back_populates="result", order_by="QaFinding.id", cascade="all, delete-orphan"
    )


class QaFinding(Base):
    """One deduction: rule, category, severity, points, turns and quoted evidence."""

    __tablename__ = "qa_findings"
    __table_args__ = (
        Index("ix_qa_findings_result", "result_id"),
        Index("ix_qa_findings_rule_status", "rule", "review_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("qa_results.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(8))
    points: Mapped[float] = mapped_column(Float)
    turns: Mapped[list[int]] = mapped_column(JSON)
    evidence: Mapped[list[str]] = mapped_column(JSON)
    detail: Mapped[str] = mapped_column(Text, default="")
    kb_entry: Mapped[str | None] = mapped_column(String(128), nullable=True)
    review_status: Mapped[str] = mapped_column(String(16), default=REVIEW_PENDING)
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    review_comment: Mapped[str | None] = mapped_column(Text, nullable=True)

    result: Mapped[QaResult] = relationship(back_populates="findings")
    reviews: Mapped[list[QaReview]] = relationship(
        back_populates="finding", order_by="QaReview.id", cascade="all, delete-orphan"
    )


class QaReview(Base):
    """A supervisor's decision on a finding; the history is kept, the latest one counts."""

    __tablename__ = "qa_reviews"
    __table_args__ = (Index("ix_qa_reviews_finding", "finding_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("qa_findings.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    finding: Mapped[QaFinding] = relationship(back_populates="reviews")

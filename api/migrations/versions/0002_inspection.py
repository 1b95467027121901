"""Quality inspection: results, findings and supervisor reviews.

Revision ID: 0002_inspection
Revises: 0001_tickets
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_inspection"
down_revision: str | None = "0001_tickets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "qa_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("transcript_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("call_date", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("reviewed_score", sa.Float(), nullable=False),
        sa.Column("reviewed_passed", sa.Boolean(), nullable=False),
        sa.Column("ruleset_version", sa.String(64), nullable=False),
        sa.Column("kb_checked", sa.Boolean(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        _ts("scored_at"),
    )
    op.create_index("ix_qa_results_transcript", "qa_results", ["transcript_id"])
    op.create_index("ix_qa_results_agent_date", "qa_results", ["agent_id", "call_date"])
    op.create_index("ix_qa_results_call_date", "qa_results", ["call_date"])
    op.create_table(
        "qa_findings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "result_id", sa.Integer(), sa.ForeignKey("qa_results.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("turns", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("kb_entry", sa.String(128), nullable=True),
        sa.Column("review_status", sa.String(16), nullable=False),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        _ts("reviewed_at", nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
    )
    op.create_index("ix_qa_findings_result", "qa_findings", ["result_id"])
    op.create_index("ix_qa_findings_rule_status", "qa_findings", ["rule", "review_status"])
    op.create_table(
        "qa_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "finding_id", sa.Integer(), sa.ForeignKey("qa_findings.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_qa_reviews_finding", "qa_reviews", ["finding_id"])


def downgrade() -> None:
    op.drop_index("ix_qa_reviews_finding", table_name="qa_reviews")
    op.drop_table("qa_reviews")
    op.drop_index("ix_qa_findings_rule_status", table_name="qa_findings")
    op.drop_index("ix_qa_findings_result", table_name="qa_findings")
    op.drop_table("qa_findings")
    op.drop_index("ix_qa_results_call_date", table_name="qa_results")
    op.drop_index("ix_qa_results_agent_date", table_name="qa_results")
    op.drop_index("ix_qa_results_transcript", table_name="qa_results")
    op.drop_table("qa_results")

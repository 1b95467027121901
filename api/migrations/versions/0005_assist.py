"""Agent-assist feedback on suggested answers.

Revision ID: 0005_assist
Revises: 0004_users_audit
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_assist"
down_revision: str | None = "0004_users_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assist_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.String(128), nullable=False),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("session_id", "entry_id", "agent", name="uq_assist_feedback_vote"),
    )
    op.create_index("ix_assist_feedback_entry", "assist_feedback", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_assist_feedback_entry", table_name="assist_feedback")
    op.drop_table("assist_feedback")

"""Chat conversations and turns, with the hand-off state of each conversation.

Revision ID: 0003_conversations
Revises: 0002_inspection
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_conversations"
down_revision: str | None = "0002_inspection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("rating", sa.String(8), nullable=True),
        sa.Column("ticket_number", sa.String(20), nullable=True),
        sa.Column("handoff_reason", sa.String(32), nullable=True),
        _ts("handoff_at", nullable=True),
        sa.Column("handoff_slots", sa.JSON(), nullable=True),
        sa.Column("agent", sa.String(64), nullable=True),
        _ts("released_at", nullable=True),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.UniqueConstraint("session_id", name="uq_conversations_session_id"),
    )
    op.create_index("ix_conversations_status", "conversations", ["status"])
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        _ts("created_at"),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_turns_conversation_seq"),
    )


def downgrade() -> None:
    op.drop_table("turns")
    op.drop_index("ix_conversations_status", table_name="conversations")
    op.drop_table("conversations")

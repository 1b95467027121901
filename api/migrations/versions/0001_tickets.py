"""Work orders: departments, tickets, events, attachments, callbacks, links, notifications, counters.

Revision ID: 0001_tickets
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_tickets"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("name", name="uq_departments_name"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("category", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("caller_name", sa.String(64), nullable=False),
        sa.Column("caller_phone", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("department", sa.String(64), sa.ForeignKey("departments.name"), nullable=True),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("due_at"),
        _ts("closed_at", nullable=True),
        _ts("escalated_at", nullable=True),
        sa.Column("escalation_count", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.String(8), nullable=True),
        sa.UniqueConstraint("number", name="uq_tickets_number"),
    )
    op.create_index("ix_tickets_topic", "tickets", ["topic"])
    op.create_index("ix_tickets_department", "tickets", ["department"])
    op.create_index("ix_tickets_status", "tickets", ["status"])
    op.create_index("ix_tickets_conversation_id", "tickets", ["conversation_id"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_tickets_status_due", "tickets", ["status", "due_at"])
    op.create_index("ix_tickets_phone_topic", "tickets", ["caller_phone", "topic"])

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        _ts("at"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(8), nullable=True),
        sa.Column("to_status", sa.String(8), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])

    op.create_table(
        "ticket_attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_ticket_attachments_ticket_id", "ticket_attachments", ["ticket_id"])

    op.create_table(
        "ticket_callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        _ts("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("satisfaction", sa.String(8), nullable=True),
    )
    op.create_index("ix_ticket_callbacks_ticket_id", "ticket_callbacks", ["ticket_id"])

    op.create_table(
        "ticket_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "related_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("ticket_id", "related_id", name="uq_ticket_links_pair"),
    )
    op.create_index("ix_ticket_links_ticket_id", "ticket_links", ["ticket_id"])
    op.create_index("ix_ticket_links_related_id", "ticket_links", ["related_id"])

    op.create_table(
        "ticket_notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("read_at", nullable=True),
    )
    op.create_index("ix_ticket_notifications_ticket_id", "ticket_notifications", ["ticket_id"])

    op.create_table(
        "ticket_counters",
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ticket_counters",
        "ticket_notifications",
        "ticket_links",
        "ticket_callbacks",
        "ticket_attachments",
        "ticket_events",
    ):
        op.drop_table(table)
    for index in (
        "ix_tickets_phone_topic",
        "ix_tickets_status_due",
        "ix_tickets_created_at",
        "ix_tickets_conversation_id",
        "ix_tickets_status",
        "ix_tickets_department",
        "ix_tickets_topic",
    ):
        op.drop_index(index, table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("departments")

"""Staff accounts, their login sessions, the audit log and the knowledge editor's versions.

Tables: users (username, argon2 password hash, roles, active flag), auth_sessions (opaque
tokens stored only as a SHA-256 hash, with expiry and revocation), audit_log (who, in which
role, saw or changed which caller's data, when, from where) and kb_entry_versions (every
change of a curated entry made in the knowledge editor, with author and reason; the latest
published version of an entry overrides its YAML file).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.models.base import Base, utcnow
from api.models.tickets import UtcDateTime


class User(Base):
    """A staff member who logs in to the console."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username", name="uq_users_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AuthSession(Base):
    """One login: the token itself is never stored, only its hash."""

    __tablename__ = "auth_sessions"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_auth_sessions_token_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditEntry(Base):
    """Who saw (or acted on) which caller's data."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_subject", "subject_type", "subject_id"),
        Index("ix_audit_log_actor", "actor"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(128))
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class KbEntryVersion(Base):
    """One change of a curated entry: a draft until published; ``data`` is None when retired."""

    __tablename__ = "kb_entry_versions"
    __table_args__ = (
        UniqueConstraint("entry_id", "version", name="uq_kb_entry_versions_entry_version"),
        Index("ix_kb_entry_versions_entry", "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create | edit | retire
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    author: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(64), nullable=True)

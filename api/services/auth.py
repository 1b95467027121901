"""Staff accounts and login sessions: argon2 password hashes, opaque session tokens, roles.

No account or password ships with the code: the first administrator is created with
``hotline users add NAME --role admin`` (password typed or piped in). A session token is a
random string handed to the browser once (cookie or bearer); the database keeps only its
SHA-256, so a leaked database does not leak live sessions. Failed logins are counted per
username and address in this process, and too many lock that pair out for a while.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import Conflict, DomainError, NotFound
from api.models.base import utcnow
from api.models.users import AuthSession, User

__all__ = [
    "ADMITTED_BY",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "AuthFailed",
    "BadRole",
    "LoginThrottle",
    "UserExists",
    "UserNotFound",
    "UserPublic",
    "WeakPassword",
    "admits",
    "authenticate",
    "change_password",
    "create_session",
    "create_user",
    "get_user",
    "list_users",
    "primary_role",
    "revoke_session",
    "set_active",
    "set_password",
    "set_roles",
    "verify_session",
]

ROLES = ("agent", "editor", "supervisor", "admin")
# Which user roles an endpoint open to a role admits: supervisors and admins do agents' work,
# admins edit the knowledge base; editors are a separate line and see no caller data.
ADMITTED_BY: dict[str, frozenset[str]] = {
    "agent": frozenset({"agent", "supervisor", "admin"}),
    "supervisor": frozenset({"supervisor", "admin"}),
    "editor": frozenset({"editor", "admin"}),
    "admin": frozenset({"admin"}),
}
# The role a multi-role user acts in where one is shown (history, masking): the most privileged.
_RANK = ("editor", "agent", "supervisor", "admin")
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class WeakPassword(DomainError):
    status_code = 422
    key = "auth_weak_password"


class BadRole(DomainError):
    status_code = 422
    key = "auth_bad_role"


class AuthFailed(DomainError):
    status_code = 401
    key = "auth_failed"


class UserNotFound(NotFound):
    key = "auth_user_not_found"


class UserExists(Conflict):
    key = "auth_user_exists"


class UserPublic(BaseModel):
    """A staff account as the console and the CLI show it (never the hash)."""

    id: int
    username: str
    display_name: str
    roles: list[str]
    active: bool


def _public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        roles=list(user.roles or []),
        active=user.active,
    )


def admits(required: str, roles: Iterable[str]) -> bool:
    """True when a user with ``roles`` may use what is open to ``required``."""
    return bool(ADMITTED_BY[required] & set(roles))


def primary_role(roles: Iterable[str]) -> str:
    """The most privileged of ``roles`` (the role shown in history and used for masking)."""
    held = set(roles)
    for role in reversed(_RANK):
        if role in held:
            return role
    raise ValueError("roles must not be empty")


def _check_roles(roles: Sequence[str]) -> list[str]:
    cleaned = sorted({r.strip() for r in roles if r.strip()})
    for role in cleaned:
        if role not in ROLES:
            raise BadRole(role, role=role, roles="、".join(ROLES))
    if not cleaned:
        raise BadRole("", role="", roles="、".join(ROLES))
    return cleaned


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword("password too short", min_length=MIN_PASSWORD_LENGTH)


def _by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.strip())).first()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    roles: Sequence[str],
    display_name: str = "",
) -> UserPublic:
    """Add a staff account; the password is stored only as an argon2 hash."""
    username = username.strip()
    if not username or len(username) > 64:
        raise ValueError("username must be 1-64 characters")
    checked = _check_roles(roles)
    _check_password(password)
    if _by_name(session, username) is not None:
        raise UserExists(f"user {username} exists", username=username)
    user = User(
        username=username,
        display_name=display_name.strip()[:64] or username,
        password_hash=_hasher.hash(password),
        roles=checked,
        active=True,
    )
    session.add(user)
    session.commit()
    return _public(user)


def get_user(session: Session, *, username: str) -> UserPublic:
    return _public(_require(session, username))


def list_users(session: Session) -> list[UserPublic]:
    return [_public(u) for u in session.scalars(select(User).order_by(User.username))]


def _require(session: Session, username: str) -> User:
    user = _by_name(session, username)
    if user is None:
        raise UserNotFound(f"user {username}", username=username)
    return user


def set_roles(session: Session, *, username: str, roles: Sequence[str]) -> UserPublic:
    user = _require(session, username)
    user.roles = _check_roles(roles)
    session.commit()
    return _public(user)


def set_active(session: Session, *, username: str, active: bool) -> UserPublic:
    """Disable (or re-enable) an account; disabling ends its sessions at once."""
    user = _require(session, username)
    user.active = active
    if not active:
        _revoke_all(session, user.id)
    session.commit()
    return _public(user)


def set_password(session: Session, *, username: str, password: str) -> UserPublic:
    """Set a new password (administrator reset); every open session of the user ends."""
    user = _require(session, username)
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = utcnow()
    _revoke_all(session, user.id)
    session.commit()
    return _public(user)


def change_password(session: Session, *, username: str, old_password: str, new_password: str) -> UserPublic:
    """A user changes their own password, proving the old one."""
    if authenticate(session, username=username, password=old_password) is None:
        raise AuthFailed("wrong password")
    return set_password(session, username=username, password=new_password)


def authenticate(session: Session, *, username: str, password: str) -> UserPublic | None:
    """The active user with this name and password, or None (same cost either way)."""
    user = _by_name(session, username)
    stored = user.password_hash if user is not None and user.active else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.commit()
    return _public(user)


def create_session(session: Session, *, user_id: int, hours: float, ip: str | None = None) -> str:
    """Open a login session and return its token (shown once; only the hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AuthSession(
            token_hash=_hash_token(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
            ip=(ip or "")[:64] or None,
        )
    )
    session.commit()
    return token


def verify_session(session: Session, *, token: str) -> UserPublic | None:
    """The active user of a live (not expired, not revoked) session token, or None."""
    if not token:
        return None
    row = session.scalars(select(AuthSession).where(AuthSession.token_hash == _hash_token(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return _public(user)


def revoke_session(session: Session, *, token: str) -> bool:
    """End a session (logout); False when the token was unknown or already ended."""
    row = session.scalars(select(AuthSession).where(AuthSession.token_hash == _hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.commit()
    return True


def _revoke_all(session: Session, user_id: int) -> None:
    now = utcnow()
    for row in session.scalars(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    ):
        row.revoked_at = now


@dataclass
class _Failures:
    count: int = 0
    first: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Failed logins per (username, address): ``max_failures`` within the lockout window lock the
    pair for ``lockout_s`` seconds. Kept in memory: one API process guards its own door."""

    def __init__(self, max_failures: int, lockout_s: float) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self._clock = time.monotonic
        self._state: dict[tuple[str, str], _Failures] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(username: str, ip: str) -> tuple[str, str]:
        return (username.strip().lower(), ip)

    def locked_for(self, username: str, ip: str) -> float:
        """Seconds the pair stays locked (0 when it may try)."""
        with self._lock:
            state = self._state.get(self._key(username, ip))
            if state is None:
                return 0.0
            return max(0.0, state.locked_until - self._clock())

    def failure(self, username: str, ip: str) -> None:
        now = self._clock()
        with self._lock:
            key = self._key(username, ip)
            state = self._state.get(key)
            if state is None or now - state.first > self.lockout_s:
                state = self._state[key] = _Failures(first=now)
            state.count += 1
            if state.count >= self.max_failures:
                state.locked_until = now + self.lockout_s
                state.count = 0
                state.first = now
            if len(self._state) > 10_000:  # forget the oldest so a spray of names cannot fill memory
                oldest = min(self._state, key=lambda k: self._state[k].first)
                self._state.pop(oldest, None)

    def success(self, username: str, ip: str) -> None:
        with self._lock:
            self._state.pop(self._key(username, ip), None)

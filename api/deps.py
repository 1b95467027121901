"""FastAPI dependencies: settings, one database session per request, and role checks.

Roles come from bearer tokens configured in settings (``HOTLINE_AGENT_TOKEN``,
``HOTLINE_SUPERVISOR_TOKEN``, ``HOTLINE_ADMIN_TOKEN``). An empty token disables that role:
no password ships with the code. Roles are ranked agent < supervisor < admin, and an
endpoint open to a role is open to the roles above it.

A token names a role, not a person. The optional ``X-Actor`` header gives the staff
member's name for the history (and the assignee check when showing phone numbers); it is
trusted only because the request already carries a staff token.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from api.errors import Forbidden, Unauthorized
from api.services.registry import get_session_factory
from api.settings import Settings

__all__ = [
    "ROLES",
    "Principal",
    "SessionDep",
    "SettingsDep",
    "get_session",
    "get_settings_dep",
    "require_role",
]

ROLES = ("agent", "supervisor", "admin")


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with (``create_app(settings)``)."""
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """One session per request; services commit their own unit of work, leftovers roll back."""
    session = get_session_factory(settings)()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role proven by the token and the name used in the history."""

    role: str
    name: str


def _role_for_token(settings: Settings, token: str) -> str | None:
    """The role whose configured token equals ``token`` (constant-time), or None."""
    found = None
    for role in ROLES:
        configured = getattr(settings, f"{role}_token") or ""
        # Compare every role, even after a match, so timing does not tell which one matched.
        if configured and hmac.compare_digest(configured.encode(), token.encode()):
            found = role
    return found


def require_role(*roles: str) -> Callable[..., Principal]:
    """A dependency admitting the given roles and every role ranked above them."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"roles must be among {ROLES}, got {roles!r}")
    lowest = min(ROLES.index(r) for r in roles)
    allowed = set(ROLES[lowest:])

    def dependency(
        settings: SettingsDep,
        authorization: Annotated[str | None, Header()] = None,
        x_actor: Annotated[str | None, Header()] = None,
    ) -> Principal:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("missing bearer token")
        role = _role_for_token(settings, token)
        if role is None:
            raise Unauthorized("invalid token")
        if role not in allowed:
            raise Forbidden(f"role {role} not allowed")
        # Header values are Latin-1; Chinese names arrive percent-encoded UTF-8.
        name = unquote((x_actor or "").strip())[:64].strip() or role
        return Principal(role=role, name=name)

    return dependency

"""FastAPI dependencies: settings, one database session per request, and role checks.

Roles are agent, editor, supervisor and admin (``api.services.auth.ADMITTED_BY``): an agent
endpoint admits agents, supervisors and admins; a supervisor endpoint supervisors and admins;
an editor endpoint (knowledge editor) editors and admins; an admin endpoint admins.

Two kinds of credential are accepted:
- a staff user's login session (``hotline users add``, ``POST /api/auth/login``): the HttpOnly
  cookie ``hotline_session`` or ``Authorization: Bearer <session token>``; the principal's
  name is the username and its role the user's most privileged role;
- the service tokens configured in settings (``HOTLINE_AGENT_TOKEN``, ``HOTLINE_SUPERVISOR_TOKEN``,
  ``HOTLINE_ADMIN_TOKEN``) for scripts and the action server. An empty token disables that role:
  no password ships with the code. A token names a role, not a person: the optional ``X-Actor``
  header gives the staff member's name for the history (and the assignee check when showing
  phone numbers); it is trusted only because the request already carries a staff token.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.errors import Forbidden, Unauthorized
from api.services import auth
from api.services.registry import get_session_factory
from api.settings import Settings

__all__ = [
    "ROLES",
    "Principal",
    "SESSION_COOKIE",
    "SessionDep",
    "SettingsDep",
    "client_ip",
    "get_session",
    "principal_from_request",
    "session_token",
    "get_settings_dep",
    "require_role",
]

ROLES = auth.ROLES
SESSION_COOKIE = "hotline_session"
# Roles that service tokens can carry (there is no editor token: editors are people who log in).
_TOKEN_ROLES = ("agent", "supervisor", "admin")


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
    """Who is calling: the role proven by the credential and the name used in the history.

    ``roles`` are all roles of a logged-in user (just ``role`` for a service token);
    ``user_id`` is None for service tokens.
    """

    role: str
    name: str
    roles: tuple[str, ...] = ()
    user_id: int | None = None
    display_name: str = ""

    def has(self, required: str) -> bool:
        """True when this principal may use what is open to ``required``."""
        return auth.admits(required, self.roles or (self.role,))


def _role_for_token(settings: Settings, token: str) -> str | None:
    """The role whose configured token equals ``token`` (constant-time), or None."""
    found = None
    for role in _TOKEN_ROLES:
        configured = getattr(settings, f"{role}_token") or ""
        # Compare every role, even after a match, so timing does not tell which one matched.
        if configured and hmac.compare_digest(configured.encode(), token.encode()):
            found = role
    return found


def client_ip(request: Request) -> str:
    """The caller's address as the server sees it (a proxy in front must be configured there)."""
    return request.client.host if request.client else ""


def session_token(request: Request) -> str:
    """The login-session token of a request: the bearer token, else the session cookie."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return (request.cookies.get(SESSION_COOKIE) or "").strip()


def principal_from_request(request: Request, settings: Settings) -> Principal | None:
    """Who is calling (service token or login session), or None when no valid credential came."""
    token = session_token(request)
    if not token:
        return None
    role = _role_for_token(settings, token)
    if role is not None:
        # Header values are Latin-1; Chinese names arrive percent-encoded UTF-8.
        name = unquote((request.headers.get("x-actor") or "").strip())[:64].strip() or role
        return Principal(role=role, name=name, roles=(role,))
    with get_session_factory(settings)() as db:
        user = auth.verify_session(db, token=token)
    if user is None:
        return None
    return Principal(
        role=auth.primary_role(user.roles),
        name=user.username,
        roles=tuple(user.roles),
        user_id=user.id,
        display_name=user.display_name,
    )


def require_role(*roles: str) -> Callable[..., Principal]:
    """A dependency admitting the users and tokens that ``roles`` admit (see ADMITTED_BY)."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"roles must be among {ROLES}, got {roles!r}")

    def dependency(request: Request, settings: SettingsDep) -> Principal:
        principal = principal_from_request(request, settings)
        if principal is None:
            raise Unauthorized("missing or invalid credential")
        if not any(principal.has(r) for r in roles):
            raise Forbidden(f"role {principal.role} not allowed")
        return principal

    return dependency

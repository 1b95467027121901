"""Console login: ``POST /api/auth/login`` sets the HttpOnly session cookie and returns the token,
``POST /api/auth/logout`` ends the session, ``GET /api/auth/me`` says who is logged in and which
console pages their roles open. Failed logins per username and address lead to a short lockout.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from api.deps import SESSION_COOKIE, Principal, SessionDep, SettingsDep, client_ip, session_token
from api.errors import DomainError, Unauthorized
from api.services import auth
from api.settings import Settings
from api.texts import text

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/auth", tags=["auth"])

# Console pages and the role each needs; api/routes/console.py serves them by this table.
PAGE_ROLES: dict[str, str | None] = {
    "login": None,
    "agent": "agent",
    "supervisor": "supervisor",
    "inspection": "supervisor",
    "kb": "editor",
}


class LoginLocked(DomainError):
    status_code = 429
    key = "auth_locked"


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class PasswordChangeIn(BaseModel):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class PageLink(BaseModel):
    name: str
    label: str
    url: str


class MePublic(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    pages: list[PageLink] = []


class LoginOut(BaseModel):
    token: str
    user: MePublic


def allowed_pages(roles: tuple[str, ...] | list[str]) -> list[PageLink]:
    """The console pages a user with ``roles`` may open, in navigation order."""
    return [
        PageLink(name=name, label=text(f"console_page_{name}"), url=f"/console/{name}")
        for name, role in PAGE_ROLES.items()
        if role is not None and auth.admits(role, roles)
    ]


def _throttle(request: Request, settings: Settings) -> auth.LoginThrottle:
    throttle = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = auth.LoginThrottle(settings.auth_max_failures, settings.auth_lockout_s)
        request.app.state.login_throttle = throttle
    return throttle


def _me(user: auth.UserPublic) -> MePublic:
    return MePublic(
        username=user.username,
        display_name=user.display_name,
        roles=user.roles,
        pages=allowed_pages(user.roles),
    )


@router.post("/login", response_model=LoginOut)
def login(
    body: LoginIn, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> LoginOut:
    """Check the password and open a session (cookie for the console, token for scripts)."""
    ip = client_ip(request)
    throttle = _throttle(request, settings)
    wait = throttle.locked_for(body.username, ip)
    if wait > 0:
        raise LoginLocked("locked", seconds=int(wait) + 1)
    user = auth.authenticate(session, username=body.username, password=body.password)
    if user is None:
        throttle.failure(body.username, ip)
        log.info("auth.login.failed ip=%s", ip)
        raise auth.AuthFailed("bad credentials")
    throttle.success(body.username, ip)
    token = auth.create_session(session, user_id=user.id, hours=settings.auth_session_hours, ip=ip)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.auth_session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=settings.auth_cookie_secure,
        path="/",
    )
    log.info("auth.login user_id=%s", user.id)
    return LoginOut(token=token, user=_me(user))


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, session: SessionDep) -> Response:
    """End the current session (if any) and clear the cookie."""
    token = session_token(request)
    if token:
        auth.revoke_session(session, token=token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _current_user(request: Request, session: SessionDep) -> auth.UserPublic:
    user = auth.verify_session(session, token=session_token(request))
    if user is None:
        raise Unauthorized("not logged in")
    return user


CurrentUser = Annotated[auth.UserPublic, Depends(_current_user)]


@router.get("/me", response_model=MePublic)
def me(user: CurrentUser) -> MePublic:
    """The logged-in user, their roles and the console pages they may open."""
    return _me(user)


@router.post("/password", response_model=MePublic)
def change_password(body: PasswordChangeIn, user: CurrentUser, session: SessionDep) -> MePublic:
    """Change one's own password (every session of the user ends; log in again)."""
    updated = auth.change_password(
        session, username=user.username, old_password=body.old_password, new_password=body.new_password
    )
    return _me(updated)


def principal_pages(principal: Principal) -> list[PageLink]:
    return allowed_pages(principal.roles or (principal.role,))

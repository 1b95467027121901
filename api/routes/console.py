"""The agent workspace pages: ``/console/<page>`` with a role check per page, assets under
``/console/static/<file>``, and ``/console`` sending each user to the first page they may open.

A page needs a login session (cookie); without one the browser is sent to the login page
with ``next`` set, with the wrong role it gets a 403 page. The pages call the API themselves,
and every API route checks the role again, so a page is never the only guard.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.deps import SettingsDep, principal_from_request
from api.errors import NotFound
from api.routes.auth import PAGE_ROLES, principal_pages
from api.texts import text

router = APIRouter(tags=["console"], include_in_schema=False)

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "static" / "console"
_MEDIA = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".html": "text/html; charset=utf-8",
}
_NO_CACHE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/login?next={quote(target, safe='')}", status_code=303)


def _forbidden_page() -> HTMLResponse:
    message = html.escape(text("console_forbidden_page"))
    body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="/console/static/common.css"><title>403</title></head>'
        f'<body><main class="page narrow"><h1>403</h1><p class="error" id="forbidden">{message}</p>'
        '<p><a href="/console">返回</a> · <a href="/console/login">换个账号登录</a></p></main></body></html>'
    )
    return HTMLResponse(body, status_code=403, headers=_NO_CACHE)


@router.get("/console")
def console_home(request: Request, settings: SettingsDep) -> Response:
    """The first page the user's roles allow (or the login page)."""
    principal = principal_from_request(request, settings)
    if principal is None:
        return RedirectResponse("/console/login", status_code=303)
    pages = principal_pages(principal)
    if not pages:
        return _forbidden_page()
    return RedirectResponse(pages[0].url, status_code=303)


@router.get("/console/static/{name}")
def console_asset(name: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_.-]+$")]) -> FileResponse:
    """Scripts, styles and images of the console (public: they hold no data)."""
    path = CONSOLE_DIR / name
    if name.startswith(".") or path.suffix not in _MEDIA or not path.is_file():
        raise NotFound(name)
    return FileResponse(path, media_type=_MEDIA[path.suffix], headers=_NO_CACHE)


@router.get("/console/{page}")
def console_page(
    page: Annotated[str, PathParam(pattern=r"^[a-z_-]+$")], request: Request, settings: SettingsDep
) -> Response:
    """A console page, if the logged-in user's roles allow it."""
    if page not in PAGE_ROLES or not (CONSOLE_DIR / f"{page}.html").is_file():
        raise NotFound(page)
    required = PAGE_ROLES[page]
    if required is not None:
        principal = principal_from_request(request, settings)
        if principal is None:
            return _login_redirect(request)
        if not principal.has(required):
            return _forbidden_page()
    return FileResponse(CONSOLE_DIR / f"{page}.html", media_type=_MEDIA[".html"], headers=_NO_CACHE)

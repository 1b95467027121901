"""Every route that is not explicitly caller-facing (or a staff entry point) refuses anonymous requests.

The routes are read from ``create_app``'s router, so an endpoint added later is checked without
editing this file: it either requires a staff login (401 without one) or is added to an allowlist
below with the reason it is public.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.main import create_app
from api.settings import Settings

# Callers (web widget, phone line, the bot) and load balancers use these without a login.
CALLER_FACING: dict[tuple[str, str], str] = {
    ("GET", "/api/health"): "load balancer health check",
    ("GET", "/api/chat/health"): "widget shows degraded mode",
    ("POST", "/api/chat"): "caller message",
    ("WS", "/api/chat/ws"): "caller messages (widget)",
    ("GET", "/api/chat/{session_id}/transcript"): "the caller's own conversation, numbers masked",
    ("POST", "/api/knowledge/answer"): "caller question, public entries only",
    ("POST", "/api/tickets"): "caller opens a work order (masked answer)",
    ("GET", "/api/tickets/lookup"): "caller's own order by number + phone last 4",
    ("POST", "/api/stt"): "caller's recording",
    ("WS", "/api/voice/stream"): "the PBX media stream; restrict to the PBX at the network level",
    ("GET", "/chat/widget.js"): "widget file",
    ("GET", "/chat/widget.css"): "widget file",
    ("GET", "/chat/demo"): "widget demo page",
}
# Staff entry points: they must answer before a login exists (the data behind them is protected).
STAFF_ENTRY: dict[tuple[str, str], str] = {
    ("POST", "/api/auth/login"): "staff login",
    ("POST", "/api/auth/logout"): "ends the current login, if any (204 either way)",
    ("GET", "/console"): "console shell page (data comes from protected APIs)",
    ("GET", "/console/{page}"): "console shell pages",
    ("GET", "/console/static/{name}"): "console scripts and styles",
    ("GET", "/openapi.json"): "API description",
    ("GET", "/docs"): "API documentation",
    ("GET", "/docs/oauth2-redirect"): "API documentation",
    ("GET", "/redoc"): "API documentation",
}
# Telephony platforms: no staff login, but the platform's own credential (Twilio's request signature,
# the shared secret of FreeSWITCH and jambonz); without it they refuse with 403.
PLATFORM: dict[tuple[str, str], str] = {
    ("POST", "/api/voice/twilio/incoming"): "Twilio's call webhook (X-Twilio-Signature)",
    ("POST", "/api/voice/twilio/after"): "Twilio's <Connect action> callback (X-Twilio-Signature)",
    ("POST", "/api/voice/jambonz/after"): "jambonz's actionHook (shared secret)",
}
PUBLIC = CALLER_FACING | STAFF_ENTRY


def _routes(app: object) -> list[tuple[str, str]]:
    """(method, path) of every HTTP and WebSocket route of the app, HEAD left out."""
    found: list[tuple[str, str]] = []
    for context in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        if isinstance(context.route, APIWebSocketRoute) or context.methods is None:
            found.append(("WS", context.path))
            continue
        found += [(m, context.path) for m in sorted(context.methods) if m != "HEAD"]
    return found


def _concrete(path: str) -> str:
    """The path with every parameter filled with a value any converter accepts."""
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_walk_finds_the_known_routes(settings: Settings) -> None:
    routes = set(_routes(create_app(settings)))
    assert ("GET", "/api/tickets/{number}") in routes
    assert ("WS", "/api/chat/ws") in routes
    stale = [r for r in CALLER_FACING if r not in routes]
    assert not stale, f"allowlisted routes that no longer exist: {stale}"


def test_every_non_caller_route_rejects_anonymous_requests(client: TestClient, settings: Settings) -> None:
    checked, failures = 0, []
    for method, path in _routes(create_app(settings)):
        if (method, path) in PUBLIC:
            continue
        url = _concrete(path)
        if method == "WS":
            try:
                with client.websocket_connect(url):
                    failures.append(f"WS {path}: accepted an anonymous connection")
            except WebSocketDisconnect:
                pass
            checked += 1
            continue
        resp = client.request(method, url, json={})
        checked += 1
        if (method, path) in PLATFORM:
            if resp.status_code != 403:
                failures.append(f"{method} {path}: {resp.status_code} without the platform's credential")
            continue
        if resp.status_code != 401:
            failures.append(f"{method} {path}: {resp.status_code} {resp.text[:120]}")
    assert checked >= 20
    assert not failures, "routes open to anonymous requests:\n" + "\n".join(failures)


def test_a_wrong_token_is_refused_too(client: TestClient) -> None:
    resp = client.get("/api/tickets", headers={"Authorization": "Bearer not-a-token"})
    assert resp.status_code == 401
    assert resp.json()["message"] == "请先登录或提供有效的访问令牌。"

"""Request limits: body size (413), rate limits per IP and per chat session (429 + Retry-After),
CORS only for configured origins, browser-hardening headers, audio caps of the phone line."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from api.limits import RateLimiter
from tests.security.conftest import ADMIN

LOOKUP = "/api/tickets/lookup?number=GD000&phone_last4=1234"


def test_token_bucket_refills_at_its_rate() -> None:
    bucket = RateLimiter(rate_per_min=60, burst=2)
    assert bucket.take("a", now=0.0) == 0.0
    assert bucket.take("a", now=0.0) == 0.0
    assert bucket.take("a", now=0.0) == pytest.approx(1.0)  # one token a second
    assert bucket.take("b", now=0.0) == 0.0  # keys are independent
    assert bucket.take("a", now=1.0) == 0.0
    assert RateLimiter(rate_per_min=0, burst=0).take("a") == 0.0  # 0 disables


def test_token_bucket_forgets_old_keys_beyond_its_size() -> None:
    bucket = RateLimiter(rate_per_min=1, burst=1, max_keys=3)
    for key in "abcde":
        bucket.take(key, now=0.0)
    assert len(bucket._buckets) == 3


def test_body_over_the_limit_is_refused_with_413(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_kb=1)
    resp = client.post("/api/chat", json={"session_id": "s1", "text": "问" * 2000})
    assert resp.status_code == 413
    assert resp.json()["error"] == "body_too_large"
    assert "1 KB" in resp.json()["message"]


def test_chunked_body_over_the_limit_is_refused_while_streaming(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(max_body_kb=1)

    def chunks():  # no Content-Length: the limit is enforced as the body arrives
        for _ in range(8):
            yield b'{"pad": "' + b"x" * 500 + b'"}'

    resp = client.post("/api/tickets", content=chunks(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 413
    assert resp.json()["error"] == "body_too_large"


def test_small_bodies_pass_the_body_limit(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_kb=1)
    resp = client.post("/api/chat", json={"session_id": "s1", "text": "  "})
    assert resp.status_code == 422  # reached the handler: empty message


def test_ip_limit_answers_429_with_retry_after(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit_ip_per_min=6, rate_limit_ip_burst=2)
    assert client.get(LOOKUP).status_code == 404
    assert client.get(LOOKUP).status_code == 404
    resp = client.get(LOOKUP)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "10"
    assert resp.json()["message"] == "您的操作太频繁了，请 10 秒后再试。"
    # Staff are not limited (agents share the centre's address).
    assert client.get(LOOKUP, headers=ADMIN).status_code == 404


def test_session_limit_applies_per_session(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit_session_per_min=1, rate_limit_session_burst=1)
    assert client.post("/api/chat", json={"session_id": "s1", "text": " "}).status_code == 422
    resp = client.post("/api/chat", json={"session_id": "s1", "text": " "})
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) == 60
    assert client.post("/api/chat", json={"session_id": "s2", "text": " "}).status_code == 422


def test_websocket_messages_are_rate_limited_and_size_capped(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit_session_per_min=1, rate_limit_session_burst=1)
    with client.websocket_connect("/api/chat/ws") as ws:
        ws.send_json({"session_id": "w1", "text": " "})
        assert ws.receive_json()["error"] == "empty_question"
        ws.send_json({"session_id": "w1", "text": " "})
        assert ws.receive_json()["error"] == "rate_limited"
        ws.send_text('{"session_id": "w2", "text": "' + "x" * 70_000 + '"}')
        assert ws.receive_json()["error"] == "invalid_request"


def test_cors_preflight_only_for_configured_origins(make_client: Callable[..., TestClient]) -> None:
    client = make_client(cors_origins=["https://www.hotline.example"])
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options("/api/chat", headers={"Origin": "https://www.hotline.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://www.hotline.example"
    denied = client.options("/api/chat", headers={"Origin": "https://evil.example", **preflight})
    assert denied.status_code == 400
    assert "access-control-allow-origin" not in denied.headers


def test_no_cors_by_default(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    resp = client.get("/chat/widget.js", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in resp.headers
    preflight = client.options(
        "/api/chat", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_html_pages_carry_a_content_security_policy(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    page = client.get("/chat/demo")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    api = client.get(LOOKUP)
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers
    assert "content-security-policy" not in client.get("/docs").headers  # Swagger UI loads a CDN


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)
_INLINE_HANDLER = re.compile(r"\son(click|load|submit|change|input)\s*=", re.IGNORECASE)


def test_served_html_pages_need_no_inline_script(make_client: Callable[..., TestClient]) -> None:
    """The CSP forbids inline scripts: every HTML page we serve must load its scripts from files."""
    client = make_client()
    from tests.security.test_auth import _concrete, _routes

    pages = 0
    for method, path in _routes(client.app):
        if method != "GET" or path.startswith(("/api/", "/docs", "/redoc")):
            continue  # pages live outside /api/; API responses are JSON
        resp = client.get(_concrete(path), headers=ADMIN)
        if resp.status_code != 200 or not resp.headers.get("content-type", "").startswith("text/html"):
            continue
        pages += 1
        assert not _INLINE_SCRIPT.search(resp.text), f"{path} has an inline <script>"
        assert not _INLINE_HANDLER.search(resp.text), f"{path} has an inline event handler"
    assert pages >= 1


def test_stt_refuses_a_declared_oversized_upload(make_client: Callable[..., TestClient]) -> None:
    client = make_client(stt_max_upload_mb=0.01)
    resp = client.post("/api/stt", files={"file": ("a.wav", b"\0" * 200_000, "audio/wav")})
    assert resp.status_code == 413
    assert resp.json()["error"] in ("audio_too_large", "body_too_large")

"""Console access on the real server: login, logout, the session cookie, pages per role,
service tokens next to user sessions, and the lockout after repeated wrong passwords."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from api.settings import Settings

pytestmark = [pytest.mark.integration]

PASSWORD = "correct horse 12393"


def _client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, follow_redirects=False, timeout=30)


def test_login_me_logout_with_cookie_and_bearer(console_server: str, make_user: Callable[..., Any]) -> None:
    make_user("zhang.agent", PASSWORD, ["agent"], display_name="张坐席")
    with _client(console_server) as client:
        assert client.get("/api/auth/me").status_code == 401
        resp = client.post("/api/auth/login", json={"username": "zhang.agent", "password": PASSWORD})
        assert resp.status_code == 200
        body = resp.json()
        assert body["user"]["roles"] == ["agent"] and body["user"]["display_name"] == "张坐席"
        assert "HttpOnly" in resp.headers["set-cookie"] and "hotline_session=" in resp.headers["set-cookie"]
        me = client.get("/api/auth/me").json()  # the cookie
        assert me["username"] == "zhang.agent"
        assert [p["name"] for p in me["pages"]] == ["agent"]
        token = body["token"]
        # The same session as a bearer token (scripts), on a role-checked API.
        with _client(console_server) as other:
            headers = {"Authorization": f"Bearer {token}"}
            assert other.get("/api/chat/handoffs", headers=headers).status_code == 200
            assert other.get("/api/tickets/notifications", headers=headers).status_code == 403
        assert client.post("/api/auth/logout").status_code == 204
        assert client.get("/api/auth/me").status_code == 401
        with _client(console_server) as other:
            assert (
                other.get("/api/chat/handoffs", headers={"Authorization": f"Bearer {token}"}).status_code
                == 401
            )


def test_wrong_password_then_lockout(console_server: str, make_user: Callable[..., Any]) -> None:
    make_user("li.locked", PASSWORD, ["agent"])
    with _client(console_server) as client:
        for _ in range(5):
            resp = client.post(
                "/api/auth/login", json={"username": "li.locked", "password": "wrong-password"}
            )
            assert resp.status_code == 401
            assert resp.json()["message"] == "用户名或密码不正确。"
        # Locked now: even the right password is refused for a while.
        resp = client.post("/api/auth/login", json={"username": "li.locked", "password": PASSWORD})
        assert resp.status_code == 429
        assert "秒后再试" in resp.json()["message"]
        # Another user from the same address is not locked out.
        make_user("wang.free", PASSWORD, ["agent"])
        assert (
            client.post("/api/auth/login", json={"username": "wang.free", "password": PASSWORD}).status_code
            == 200
        )


def test_service_tokens_keep_working(console_server: str, console_app_settings: Settings) -> None:
    with _client(console_server) as client:
        agent = {"Authorization": f"Bearer {console_app_settings.agent_token}"}
        supervisor = {"Authorization": f"Bearer {console_app_settings.supervisor_token}"}
        assert client.get("/api/chat/handoffs", headers=agent).status_code == 200
        assert client.get("/api/tickets/notifications", headers=agent).status_code == 403
        assert client.get("/api/tickets/notifications", headers=supervisor).status_code == 200
        assert client.get("/api/audit", headers=supervisor).status_code == 403
        admin = {"Authorization": f"Bearer {console_app_settings.admin_token}"}
        assert client.get("/api/audit", headers=admin).status_code == 200
        assert client.get("/api/chat/handoffs", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_pages_redirect_to_login_without_session(console_server: str) -> None:
    with _client(console_server) as client:
        resp = client.get("/console/kb?question=x")
        assert resp.status_code == 303
        assert resp.headers["location"] == "/console/login?next=%2Fconsole%2Fkb%3Fquestion%3Dx"
        assert client.get("/console").headers["location"] == "/console/login"
        assert client.get("/console/login").status_code == 200
        assert client.get("/console/static/common.js").status_code == 200
        assert client.get("/console/static/..%2Fdemo.html").status_code == 404
        assert client.get("/console/nope").status_code == 404

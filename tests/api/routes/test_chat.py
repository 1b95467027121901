"""Chat HTTP API and WebSocket: clear 4xx for bad input, transcripts, agent hand-off routes, widget files.

Rasa is deliberately unreachable here (a closed port), so replies come from the degraded path;
the full dialogue through Rasa is tested in tests/bot/test_dialogues.py.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import install_error_handlers
from api.routes import chat as routes
from api.settings import PROJECT_ROOT, Settings

AGENT = {"Authorization": "Bearer agent-secret"}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def settings(make_db_settings: Callable[..., Settings]) -> Settings:
    port = _port()
    return make_db_settings(
        data_dir=PROJECT_ROOT / "var",
        rasa_url=f"http://127.0.0.1:{port}",
        rasa_port=port,
        action_port=_port(),
        rasa_timeout_s=2.0,
        agent_token="agent-secret",
        staffed_hours="00:00-24:00",
        staffed_weekdays="1-7",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(routes.router)
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"session_id": "s1", "text": ""}, "empty_question"),
        ({"session_id": "s1", "text": "   "}, "empty_question"),
        ({"session_id": "s1", "text": "问" * 5000}, "question_too_long"),
        ({"session_id": "bad id!", "text": "你好"}, "invalid_request"),
        ({"session_id": "s1"}, "invalid_request"),
        ({"session_id": "s1", "text": 42}, "invalid_request"),
    ],
)
def test_bad_messages_get_a_clear_4xx(client: TestClient, body: dict, error: str) -> None:
    resp = client.post("/api/chat", json=body)
    assert resp.status_code == 422
    assert resp.json()["error"] == error
    assert resp.json()["message"]  # Chinese sentence for people


def test_malformed_json_is_422(client: TestClient) -> None:
    resp = client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 422 and resp.json()["error"] == "invalid_request"


def test_unknown_session_transcript_is_404(client: TestClient) -> None:
    resp = client.get("/api/chat/never-seen/transcript")
    assert resp.status_code == 404 and resp.json()["error"] == "chat_unknown_session"


def test_health_reports_degraded_mode(client: TestClient) -> None:
    assert client.get("/api/chat/health").json()["mode"] == "degraded"


@pytest.mark.integration
def test_http_and_websocket_reply_and_transcript(client: TestClient) -> None:
    reply = client.post(
        "/api/chat", json={"session_id": "web-1", "text": "杭州的生育津贴多久能到账？"}
    ).json()
    assert reply["kind"] == "answer" and reply["degraded"] is True and reply["sources"]
    with client.websocket_connect("/api/chat/ws") as ws:
        ws.send_text("{broken")
        assert ws.receive_json()["error"] == "invalid_request"
        ws.send_json({"session_id": "web-1", "text": ""})
        assert ws.receive_json()["error"] == "empty_question"
        ws.send_json({"session_id": "web-1", "text": "我叫李秀英，电话13512345678"})
        ticket = ws.receive_json()
        assert ticket["kind"] == "ticket" and ticket["ticket_id"].startswith("GD")
    turns = client.get("/api/chat/web-1/transcript").json()["turns"]
    assert [t["speaker"] for t in turns][0] == "caller"
    assert all("13512345678" not in t["text"] for t in turns)


@pytest.mark.integration
def test_agent_routes_release_a_handoff(client: TestClient) -> None:
    assert client.post("/api/chat", json={"session_id": "web-2", "text": "转人工"}).json()["handoff"]
    assert client.get("/api/chat/handoffs").status_code == 401
    queue = client.get("/api/chat/handoffs", headers=AGENT).json()
    assert [q["session_id"] for q in queue] == ["web-2"]
    assert client.post("/api/chat/web-2/accept", headers=AGENT).json()["agent"] == "agent"
    sent = client.post("/api/chat/web-2/agent-message", json={"text": "您好，我是坐席"}, headers=AGENT)
    assert sent.status_code == 204
    turns = client.get("/api/chat/web-2/transcript").json()["turns"]
    assert turns[-1]["speaker"] == "agent" and turns[-1]["text"] == "您好，我是坐席"
    assert (
        client.post("/api/chat", json={"session_id": "web-2", "text": "好"}).json()["handoff"]["status"]
        == "active"
    )
    assert client.post("/api/chat/web-2/release", headers=AGENT).json()["status"] == "bot"
    assert client.post("/api/chat/web-2/release", headers=AGENT).status_code == 409
    assert client.get("/api/chat/handoffs", headers=AGENT).json() == []
    late = client.post("/api/chat/web-2/agent-message", json={"text": "还在吗"}, headers=AGENT)
    assert late.status_code == 409


def test_widget_files_are_served(client: TestClient) -> None:
    js = client.get("/chat/widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "/api/chat/ws" in js.text
    # No external resources: the only absolute URL is the embedding example in the header comment.
    assert set(re.findall(r"https?://[^\s\"']+", js.text)) == {"https://HOST/chat/widget.js"}
    assert client.get("/chat/widget.css").status_code == 200
    demo = client.get("/chat/demo")
    assert demo.status_code == 200 and '<script src="/chat/widget.js"' in demo.text

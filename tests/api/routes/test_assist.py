"""Agent-assist HTTP API on the real app and database: roles, suggestions, the audited conversation
view, feedback counts for supervisors, the server-sent event stream, and the chat socket pushing
an agent's reply to the caller as soon as it is stored."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.db import unit_of_work
from api.models.users import AuditEntry
from api.services import knowledge as kb_service
from api.services.conversations import handoff, store
from api.services.registry import get_session_factory
from api.settings import Settings

AGENT = {"Authorization": "Bearer assist-agent", "X-Actor": "zhang"}
SUPERVISOR = {"Authorization": "Bearer assist-supervisor", "X-Actor": "boss"}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def assist_index_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The curated-entries index in pytest's cache (shared with the console tests)."""
    data = Path(request.config.cache.mkdir("console-index"))
    kb_service.build_index(Settings(data_dir=data, kb_documents=[], _env_file=None), progress=False)  # type: ignore[call-arg]
    yield data
    kb_service.reset()


@pytest.fixture
def settings(make_db_settings: Callable[..., Settings], assist_index_dir: Path) -> Settings:
    port = _port()
    return make_db_settings(
        data_dir=assist_index_dir,
        kb_documents=[],
        rasa_url=f"http://127.0.0.1:{port}",  # nothing listens: chat runs in its degraded mode
        rasa_port=port,
        rasa_timeout_s=2.0,
        agent_token="assist-agent",
        supervisor_token="assist-supervisor",
        staffed_hours="00:00-24:00",
        staffed_weekdays="1-7",
        ticket_escalation_interval_s=0,
        assist_poll_s=0.1,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from api.main import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _conversation(settings: Settings, session_id: str, *caller: str, agent: str | None = None) -> None:
    for said in caller:
        store.record_turn(session_id, "caller", said, channel="web", settings=settings)
    with unit_of_work(get_session_factory(settings)) as db:
        handoff.request(
            db, session_id=session_id, reason="caller_request", slots={"ticket_phone": "13812345678"}
        )
        if agent:
            handoff.accept(db, session_id=session_id, agent=agent)


def test_roles_and_unknown_sessions(client: TestClient, settings: Settings) -> None:
    assert client.get("/api/assist/sessions/x-1").status_code == 401
    assert client.get("/api/assist/sessions/never-seen", headers=AGENT).status_code == 404
    assert client.get("/api/assist/feedback", headers=AGENT).status_code == 403
    assert client.get("/api/assist/sessions/bad%20id", headers=AGENT).status_code == 422


def test_suggestions_and_audited_conversation(client: TestClient, settings: Settings) -> None:
    _conversation(settings, "api-1", "我是太原的", "异地就医怎么备案", agent="zhang")
    view = client.get("/api/assist/sessions/api-1", headers=AGENT).json()
    assert view["suggestions"][0]["entry_id"] == "out-of-area-taiyuan-self-filing"
    assert [c["label"] for c in view["checklist"] if c["required"]] == ["所需材料", "办理渠道", "办理时限"]

    mine = client.get("/api/assist/sessions/api-1/conversation", headers=AGENT).json()
    assert mine["held_by_viewer"] and mine["slots"]["ticket_phone"] == "13812345678"
    other = client.get("/api/assist/sessions/api-1/conversation", headers={**AGENT, "X-Actor": "li"}).json()
    assert other["slots"]["ticket_phone"] == "138****5678"
    with unit_of_work(get_session_factory(settings)) as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.subject_id == "api-1")).all()
        assert sorted(r.actor for r in rows) == ["li", "zhang"]
        assert {r.action for r in rows} == {"transcript.view"}


def test_feedback_counts_for_supervisors(client: TestClient, settings: Settings) -> None:
    _conversation(settings, "api-2", "异地就医怎么备案")
    entry = "out-of-area-taiyuan-self-filing"
    resp = client.post(
        "/api/assist/sessions/api-2/feedback", headers=AGENT, json={"entry_id": entry, "useful": True}
    )
    assert resp.status_code == 200 and resp.json()["useful"] == 1
    client.post(
        "/api/assist/sessions/api-2/feedback",
        headers={**AGENT, "X-Actor": "li"},
        json={"entry_id": entry, "useful": False},
    )
    bad = client.post("/api/assist/sessions/api-2/feedback", headers=AGENT, json={"entry_id": entry})
    assert bad.status_code == 422
    counts = client.get("/api/assist/feedback", headers=SUPERVISOR).json()
    assert counts == [
        {
            "entry_id": entry,
            "title": "太原参保人跨省异地就医自助备案（承诺制）",
            "useful": 1,
            "not_useful": 1,
            "total": 2,
            "last_at": counts[0]["last_at"],
        }
    ]


def _events(lines: Iterator[str]) -> Iterator[dict]:
    event, data = None, ""
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            data = line[len("data: ") :]
        elif line == "" and event:
            yield {"event": event, **json.loads(data)}
            event, data = None, ""


def test_stream_pushes_when_the_transcript_grows(client: TestClient, settings: Settings) -> None:
    _conversation(settings, "api-3", "我是太原的", "异地就医怎么备案", agent="zhang")
    with client.stream("GET", "/api/assist/sessions/api-3/stream", headers=AGENT) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        events = _events(resp.iter_lines())
        first = next(events)
        assert first["event"] == "assist"
        assert first["assist"]["suggestions"][0]["entry_id"] == "out-of-area-taiyuan-self-filing"
        assert first["conversation"]["turns"][-1]["text"] == "异地就医怎么备案"
        store.record_turn("api-3", "caller", "杭州的生育津贴多久能到账", channel="web", settings=settings)
        second = next(events)
        assert second["assist"]["last_seq"] > first["assist"]["last_seq"]
        assert second["assist"]["region"] == "浙江/杭州"
        assert second["conversation"]["turns"][-1]["text"] == "杭州的生育津贴多久能到账"


def test_chat_socket_pushes_agent_replies(client: TestClient, settings: Settings) -> None:
    with client.websocket_connect("/api/chat/ws") as ws:
        ws.send_text(json.dumps({"session_id": "ws-1", "text": "转人工"}))
        reply = ws.receive_json()
        assert reply["handoff"]["status"] == "waiting"
        with unit_of_work(get_session_factory(settings)) as db:
            handoff.accept(db, session_id="ws-1", agent="zhang")
        store.add_agent_turn("ws-1", "您好，我是坐席小张，请讲。", agent="zhang", settings=settings)
        pushed = ws.receive_json()
        assert pushed["type"] == "agent" and pushed["text"] == "您好，我是坐席小张，请讲。"
        with unit_of_work(get_session_factory(settings)) as db:
            handoff.release(db, session_id="ws-1", agent="zhang")
        assert ws.receive_json() == {"type": "handoff_end"}

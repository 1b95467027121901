"""HTTP API of quality inspection on SQLite and PostgreSQL: scoring, results, review, reports, roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import install_error_handlers
from api.routes import qa as routes
from api.services import inspection as svc
from api.settings import Settings
from inspection import Fact

AGENT = {"Authorization": "Bearer agent-secret"}
SUPERVISOR = {"Authorization": "Bearer supervisor-secret", "X-Actor": "%E7%8E%8B%E4%B8%BB%E7%AE%A1"}
FACT = Fact(
    id="out-of-area-taiyuan-in-province-no-filing",
    answer="太原参保人在山西省内定点医药机构看病、买药，都不用备案，可以直接结算。",
    region="山西/太原",
)
BODY = {
    "id": "DT05-like",
    "channel": "phone",
    "agent_id": "4418",
    "date": "2026-11-20",
    "turns": [
        {
            "speaker": "agent",
            "start": 0.4,
            "end": 6.6,
            "text": "您好，12393医保服务热线，工号4418，请问有什么可以帮您？",
        },
        {
            "speaker": "caller",
            "start": 7.2,
            "end": 12.3,
            "text": "我是太原参保的，要去忻州住院，还要备案吗？我电话13912345678",
        },
        {"speaker": "agent", "start": 13.1, "end": 18.0, "text": "要备案的，您得先回太原办异地就医备案。"},
        {"speaker": "caller", "start": 18.6, "end": 19.6, "text": "好的，谢谢。"},
        {
            "speaker": "agent",
            "start": 20.1,
            "end": 25.0,
            "text": "不客气，感谢您的来电，稍后请您对本次服务进行评价，再见！",
        },
    ],
}


def _app(settings: Settings) -> FastAPI:
    app = FastAPI()
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(routes.router)
    return app


@pytest.fixture
def client(
    make_db_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    # The knowledge search (an embedding model and an index) is the edge of the world here.
    monkeypatch.setattr(svc, "make_kb_lookup", lambda settings: lambda text: [FACT])
    settings = make_db_settings(agent_token="agent-secret", supervisor_token="supervisor-secret")
    with TestClient(_app(settings)) as test_client:
        yield test_client


def test_score_then_read(client: TestClient) -> None:
    r = client.post("/api/qa/score", json=BODY, headers=AGENT)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["passed"] is False and data["kb_checked"] is True and data["ruleset_version"]
    [finding] = data["findings"]
    assert finding["category"] == "accuracy" and finding["kb_entry"] == FACT.id and finding["turns"] == [2]
    listing = client.get("/api/qa/results", params={"agent_id": "4418"}, headers=AGENT).json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == data["id"]
    one = client.get(f"/api/qa/results/{data['id']}", headers=AGENT).json()
    assert "13912345678" not in str(one["transcript"])  # agents see personal numbers masked
    full = client.get(f"/api/qa/results/{data['id']}", headers=SUPERVISOR).json()
    assert "13912345678" in str(full["transcript"])


def test_without_kb_check(client: TestClient) -> None:
    data = client.post("/api/qa/score", params={"kb": "false"}, json=BODY, headers=AGENT).json()
    assert data["kb_checked"] is False and data["findings"] == [] and data["passed"] is True


def test_review_and_reports(client: TestClient) -> None:
    data = client.post("/api/qa/score", json=BODY, headers=AGENT).json()
    fid = data["findings"][0]["id"]
    body = {"action": "overrule", "comment": "来电人说的是外省，坐席没有答错"}
    assert client.post(f"/api/qa/findings/{fid}/review", json=body, headers=AGENT).status_code == 403
    r = client.post(f"/api/qa/findings/{fid}/review", json=body, headers=SUPERVISOR)
    assert (
        r.status_code == 200
        and r.json()["review_status"] == "overruled"
        and r.json()["reviewed_by"] == "王主管"
    )
    after = client.get(f"/api/qa/results/{data['id']}", headers=SUPERVISOR).json()
    assert (
        after["reviewed_score"] == 100
        and after["reviewed_passed"] is True
        and after["score"] == data["score"]
    )
    overrules = client.get("/api/qa/overrules", headers=SUPERVISOR).json()
    assert overrules[0]["rule"] == "accuracy.contradiction" and overrules[0]["overruled"] == 1
    report = client.get("/api/qa/reports", params={"group_by": "agent"}, headers=SUPERVISOR).json()
    assert report["rows"] == [
        {"key": "4418", "results": 1, "average_score": 100.0, "pass_rate": 1.0, "findings": 0, "points": 0.0}
    ]
    assert client.get("/api/qa/reports", params={"group_by": "month"}, headers=SUPERVISOR).status_code == 422


def test_errors_speak_chinese(client: TestClient) -> None:
    assert client.post("/api/qa/score", json=BODY).status_code == 401
    bad = {**BODY, "turns": [{"speaker": "robot", "text": "你好"}]}
    r = client.post("/api/qa/score", json=bad, headers=AGENT)
    assert r.status_code == 422 and "请" in r.json()["message"]
    backwards = {**BODY, "turns": [{"speaker": "agent", "start": 5, "end": 1, "text": "你好"}]}
    r = client.post("/api/qa/score", json=backwards, headers=AGENT)
    assert r.status_code == 422 and r.json()["error"] == "qa_bad_transcript" and "end" in r.json()["detail"]
    r = client.get("/api/qa/results/99999", headers=AGENT)
    assert r.status_code == 404 and "99999" in r.json()["message"]
    r = client.post(
        "/api/qa/findings/99999/review", json={"action": "confirm", "comment": "好"}, headers=SUPERVISOR
    )
    assert r.status_code == 404
    r = client.post(
        "/api/qa/findings/1/review", json={"action": "confirm", "comment": ""}, headers=SUPERVISOR
    )
    assert r.status_code == 422


def test_score_a_stored_chat(client: TestClient, session_factory) -> None:  # type: ignore[no-untyped-def]
    from api.db import unit_of_work
    from api.models.conversations import Conversation, Turn

    with unit_of_work(session_factory) as db:
        conv = Conversation(session_id="web-qa-1", channel="web")
        conv.turns = [
            Turn(seq=1, speaker="caller", text="我想查一下我的医保余额"),
            Turn(seq=2, speaker="system", text="handoff"),
            Turn(seq=3, speaker="bot", text="您好，您的个人账户余额为2356.8元。"),
            Turn(seq=4, speaker="caller", text="好的"),
            Turn(seq=5, speaker="bot", text="感谢您的咨询，请对本次服务评价，再见！"),
        ]
        db.add(conv)
    r = client.post("/api/qa/score/chat/web-qa-1", params={"kb": "false"}, headers=AGENT)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["transcript_id"] == "chat:web-qa-1" and data["channel"] == "chat"
    assert {f["category"] for f in data["findings"]} == {"identity_verification"}
    assert client.post("/api/qa/score/chat/nope", headers=AGENT).status_code == 404

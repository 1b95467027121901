"""HTTP API of work orders on SQLite and PostgreSQL: roles, masking, errors, the escalation timer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import main
from api.errors import install_error_handlers
from api.routes import tickets as routes
from api.settings import Settings

AGENT = {"Authorization": "Bearer agent-secret"}
SUPERVISOR = {"Authorization": "Bearer supervisor-secret"}

BODY = {
    "category": "投诉",
    "topic": "零星报销",
    "region": "河南/开封",
    "caller_name": "张三",
    "caller_phone": "13812345678",
    "description": "报销两个月没到账，电话13812345678",
    "channel": "web",
}


def _app(settings: Settings) -> FastAPI:
    """The tickets router as ``create_app`` mounts it (same error handlers, same settings)."""
    app = FastAPI()
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(routes.router)
    return app


@pytest.fixture
def settings(make_db_settings: Callable[..., Settings]) -> Settings:
    return make_db_settings(
        agent_token="agent-secret",
        supervisor_token="supervisor-secret",
        admin_token="",
        ticket_escalation_interval_s=0,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(_app(settings)) as test_client:
        yield test_client


def _create(client: TestClient, **fields: object) -> dict:
    response = client.post("/api/tickets", json={**BODY, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_router_is_registered() -> None:
    assert routes.router in main.ROUTERS


def test_create_is_public_and_answers_masked(client: TestClient) -> None:
    created = _create(client, priority="特急")
    assert created["number"].startswith("GD") and created["status"] == "新建"
    assert created["caller_phone"] == "138****5678" and created["caller_name"] == "张*"
    assert "description" not in created and created["duplicate"] is False
    supervisor = client.get(f"/api/tickets/{created['number']}", headers=SUPERVISOR).json()
    assert supervisor["priority"] == "一般"  # the public cannot make its own order urgent
    again = _create(client, description="再问一次")
    assert again["number"] == created["number"] and again["duplicate"] is True
    # The same phone, another person or another matter: an order of its own.
    for other in ({"caller_name": "李四"}, {"topic": "生育津贴"}):
        separate = _create(client, **other)
        assert separate["number"] != created["number"] and separate["duplicate"] is False


def test_detail_names_the_conversation(client: TestClient) -> None:
    transcript = [{"speaker": "caller", "text": "报销两个月没到账"}]
    number = _create(client, conversation_id="web-abc", transcript=transcript)["number"]
    detail = client.get(f"/api/tickets/{number}", headers=SUPERVISOR).json()
    assert detail["conversation_id"] == "web-abc"
    assert [t["text"] for t in detail["transcript"]] == ["报销两个月没到账"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**BODY, "category": "闲聊"}, "category"),
        ({**BODY, "caller_phone": "abc"}, "caller_phone"),
        ({**BODY, "description": "   "}, "description"),
        ({**BODY, "description": "长" * 5001}, "description"),
        ({k: v for k, v in BODY.items() if k != "topic"}, "topic"),
    ],
)
def test_create_rejects_bad_input(client: TestClient, payload: dict, field: str) -> None:
    response = client.post("/api/tickets", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request" and "请求" in body["message"]
    assert any(field in f for f in body["fields"])


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/tickets", content=b'{"category": "\xe6\x8a\x95', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "agent-secret"},
        {"Authorization": "Bearer "},  # the admin token is empty: nobody logs in with it
        {"Authorization": "Basic agent-secret"},
    ],
)
def test_staff_endpoints_need_a_valid_token(client: TestClient, headers: dict) -> None:
    number = _create(client)["number"]
    for response in (
        client.get(f"/api/tickets/{number}", headers=headers),
        client.get("/api/tickets", headers=headers),
        client.post(f"/api/tickets/{number}/status", json={"status": "处理中"}, headers=headers),
    ):
        assert response.status_code == 401
        assert response.json()["message"] == "请先登录或提供有效的访问令牌。"


def test_agent_sees_masked_phone_unless_assignee(client: TestClient) -> None:
    number = _create(client)["number"]
    agent = client.get(f"/api/tickets/{number}", headers=AGENT).json()
    assert agent["caller_phone"] == "138****5678"
    assert "13812345678" not in str(agent)
    supervisor = client.get(f"/api/tickets/{number}", headers=SUPERVISOR).json()
    assert supervisor["caller_phone"] == "13812345678"
    name = {"X-Actor": quote("王五")}
    response = client.post(
        f"/api/tickets/{number}/assign",
        json={"department": "待遇保障科", "assignee": "王五", "comment": "请办理"},
        headers={**SUPERVISOR, "X-Actor": quote("李班长")},
    )
    assert response.status_code == 200 and response.json()["events"][-1]["actor"] == "李班长"
    mine = client.get(f"/api/tickets/{number}", headers={**AGENT, **name}).json()
    assert mine["caller_phone"] == "13812345678"
    listed = client.get("/api/tickets", headers=AGENT).json()
    assert listed["total"] == 1 and listed["items"][0]["caller_phone"] == "138****5678"


def test_lifecycle_over_http(client: TestClient) -> None:
    number = _create(client)["number"]
    post = client.post
    assert (
        post(f"/api/tickets/{number}/assign", json={"department": "待遇保障科"}, headers=AGENT).status_code
        == 200
    )
    assert post(f"/api/tickets/{number}/status", json={"status": "处理中"}, headers=AGENT).status_code == 200
    done = post(
        f"/api/tickets/{number}/status", json={"status": "已办结", "comment": "已拨付"}, headers=AGENT
    )
    assert done.json()["status"] == "已办结"
    callback = post(
        f"/api/tickets/{number}/callbacks",
        json={"result": "还没收到", "satisfaction": "不满意"},
        headers=AGENT,
    )
    assert callback.status_code == 201 and callback.json()["status"] == "重开"
    progress = client.get("/api/tickets/lookup", params={"number": number, "phone_last4": "5678"}).json()
    assert [p["status"] for p in progress["progress"]] == ["新建", "已分派", "处理中", "已办结", "重开"]


def test_illegal_transition_is_409_in_chinese(client: TestClient) -> None:
    number = _create(client)["number"]
    response = client.post(f"/api/tickets/{number}/status", json={"status": "已归档"}, headers=AGENT)
    assert response.status_code == 409
    assert response.json()["message"] == "工单当前状态为“新建”，不能变更为“已归档”。"
    response = client.post(f"/api/tickets/{number}/assign", json={"department": "火星科"}, headers=AGENT)
    assert response.status_code == 422 and "火星科" in response.json()["message"]


def test_unknown_number_is_404_in_chinese(client: TestClient) -> None:
    response = client.get("/api/tickets/GD202001010001", headers=AGENT)
    assert response.status_code == 404
    assert response.json()["message"] == "没有找到编号为 GD202001010001 的工单，请核对工单编号后再试。"
    response = client.post("/api/tickets/GD202001010001/status", json={"status": "处理中"}, headers=AGENT)
    assert response.status_code == 404


def test_caller_lookup(client: TestClient) -> None:
    number = _create(client)["number"]
    ok = client.get("/api/tickets/lookup", params={"number": number, "phone_last4": "5678"})
    assert ok.status_code == 200 and ok.json()["caller_phone"] == "138****5678"
    wrong_phone = client.get("/api/tickets/lookup", params={"number": number, "phone_last4": "0000"})
    wrong_number = client.get(
        "/api/tickets/lookup", params={"number": "GD202001010001", "phone_last4": "5678"}
    )
    assert wrong_phone.status_code == wrong_number.status_code == 404
    assert wrong_phone.json() == wrong_number.json()
    assert client.get("/api/tickets/lookup", params={"number": number}).status_code == 422


def test_list_filters_over_http(client: TestClient) -> None:
    first = _create(client)["number"]
    second = _create(client, caller_phone="13900001111", category="举报")["number"]
    by_department = client.get("/api/tickets", params={"department": "基金监管科"}, headers=AGENT).json()
    assert [t["number"] for t in by_department["items"]] == [second]
    by_status = client.get("/api/tickets", params=[("status", "新建"), ("status", "已分派")], headers=AGENT)
    assert by_status.json()["total"] == 2
    assert client.get("/api/tickets", params={"overdue": True}, headers=AGENT).json()["total"] == 0
    window = client.get(
        "/api/tickets", params={"since": "2000-01-01T00:00:00", "until": "2000-01-02T00:00:00"}, headers=AGENT
    )
    assert window.json()["total"] == 0
    assert client.get("/api/tickets", params={"status": "open"}, headers=AGENT).status_code == 422
    assert client.get("/api/tickets", params={"limit": 0}, headers=AGENT).status_code == 422
    assert first != second


def test_notifications_are_for_supervisors(client: TestClient) -> None:
    assert client.get("/api/tickets/notifications", headers=AGENT).status_code == 403
    response = client.get("/api/tickets/notifications", headers=SUPERVISOR)
    assert response.status_code == 200 and response.json() == []


def test_mounted_by_create_app(settings: Settings) -> None:
    """The real application factory serves the routes (its jobs run the escalation)."""
    app = main.create_app(settings)
    with TestClient(app) as client:
        number = _create(client)["number"]
        assert client.get(f"/api/tickets/{number}", headers=SUPERVISOR).status_code == 200
    assert "/api/tickets/lookup" in app.openapi()["paths"]

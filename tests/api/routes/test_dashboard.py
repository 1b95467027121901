"""Dashboard API on SQLite and PostgreSQL: roles, date filters, forecast, CSV export with masking."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.main import create_app
from api.services import tickets
from api.services.dashboard_export import EXPORT_TABLES
from api.settings import Settings
from tests.api.services.test_dashboard import ID_QUESTION, build_week, score_calls
from tests.api.ticket_data import ROUTING_FILE, TIME_LIMITS_FILE

AGENT = {"Authorization": "Bearer agent-secret"}
SUPERVISOR = {"Authorization": "Bearer supervisor-secret"}
ADMIN = {"Authorization": "Bearer admin-secret"}
WEEK = {"from": "2026-03-02", "to": "2026-03-09"}


@pytest.fixture
def client(make_db_settings: Callable[..., Settings], db_session: Session) -> Iterator[TestClient]:
    settings = make_db_settings(
        agent_token="agent-secret", supervisor_token="supervisor-secret", admin_token="admin-secret"
    )
    build_week(db_session, tickets.load_rules(ROUTING_FILE, TIME_LIMITS_FILE, duplicate_window_hours=72))
    score_calls(db_session, settings)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_roles(client: TestClient) -> None:
    assert client.get("/api/dashboard/summary", params=WEEK).status_code == 401
    assert client.get("/api/dashboard/summary", params=WEEK, headers=AGENT).status_code == 403
    assert client.get("/api/dashboard/export/gaps.csv", params=WEEK, headers=AGENT).status_code == 403
    assert client.get("/api/dashboard/forecast", params=WEEK, headers=AGENT).status_code == 403
    assert client.get("/api/dashboard/summary", params=WEEK, headers=ADMIN).status_code == 200


def test_summary_follows_the_date_filter(client: TestClient) -> None:
    week = client.get("/api/dashboard/summary", params=WEEK, headers=SUPERVISOR).json()
    assert (week["start"], week["end"], week["timezone"]) == ("2026-03-02", "2026-03-09", "Asia/Shanghai")
    assert week["contacts"] == 5 and week["containment"]["containment_rate"] == 0.6
    assert week["gaps"][0]["question"] == "生育津贴多久到账" and week["gaps"][0]["count"] == 2
    monday = client.get(
        "/api/dashboard/summary", params={"from": "2026-03-02", "to": "2026-03-03"}, headers=SUPERVISOR
    ).json()
    assert monday["contacts"] == 2 and len(monday["daily"]) == 1
    # Only "to": the seven days before it.
    assert (
        client.get("/api/dashboard/summary", params={"to": "2026-03-09"}, headers=SUPERVISOR).json()[
            "contacts"
        ]
        == 5
    )
    bad = client.get(
        "/api/dashboard/summary", params={"from": "2026-03-09", "to": "2026-03-02"}, headers=SUPERVISOR
    )
    assert bad.status_code == 422 and "结束日期" in bad.json()["message"]
    assert client.get("/api/dashboard/summary", params={"from": "x"}, headers=SUPERVISOR).status_code == 422


def test_csv_exports_mask_personal_numbers(client: TestClient) -> None:
    resp = client.get("/api/dashboard/export/gaps.csv", params=WEEK, headers=SUPERVISOR)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert 'filename="dashboard-gaps-2026-03-02_2026-03-09.csv"' in resp.headers["content-disposition"]
    rows = _csv(resp.text)
    assert rows[0][0] == "问题" and len(rows) == 4
    assert "110101199003071234" not in resp.text and ID_QUESTION[:5] in resp.text
    assert "**************1234" in resp.text
    for table in EXPORT_TABLES:
        resp = client.get(f"/api/dashboard/export/{table}.csv", params=WEEK, headers=SUPERVISOR)
        assert resp.status_code == 200, table
        assert "13800000001" not in resp.text and "13812345678" not in resp.text
    assert (
        len(_csv(client.get("/api/dashboard/export/forecast.csv", params=WEEK, headers=SUPERVISOR).text))
        == 1 + 168
    )
    assert client.get("/api/dashboard/export/users.csv", params=WEEK, headers=SUPERVISOR).status_code == 404


def test_forecast_endpoint(client: TestClient) -> None:
    body = client.get("/api/dashboard/forecast", params={**WEEK, "weeks": 2}, headers=SUPERVISOR).json()
    assert (
        body["weeks"] == 2
        and len(body["points"]) == 168
        and "backtest" in body
        and "mape" in body["accuracy"]
    )
    assert sum(p["actual"] for p in body["points"]) == 5
    # The week's data has no history before it: the forecast is withheld, not drawn as zeros.
    assert body["enough_history"] is False and body["min_history_days"] == 7
    assert {p["forecast"] for p in body["points"]} == {None} and body["accuracy"]["mape"] is None
    assert client.get("/api/dashboard/forecast", params={"weeks": 0}, headers=SUPERVISOR).status_code == 422

"""api/jobs.py: the background jobs start with the app, do their work, and stop with it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api import jobs, main
from api.db import unit_of_work
from api.schemas import TicketCreate
from api.services import tickets as svc
from api.services.registry import get_session_factory
from api.settings import Settings

SUPERVISOR = {"Authorization": "Bearer supervisor-secret"}
# Each job's task on app.state, and the setting whose 0 turns the job off.
INTERVAL_OF = {
    "ticket_escalation_task": "ticket_escalation_interval_s",
    "outbox_replay_task": "outbox_replay_interval_s",
    "retention_task": "retention_interval_s",
    "kb_clusters_task": "kb_cluster_interval_s",
}
STATE_NAMES = list(INTERVAL_OF)
ON = {setting: 3600 for setting in INTERVAL_OF.values()}
OFF = {setting: 0 for setting in INTERVAL_OF.values()}


def test_every_job_is_listed_once() -> None:
    assert [job.state_name for job in jobs.JOBS] == STATE_NAMES


def test_jobs_start_with_the_app_and_are_cancelled_with_it(make_db_settings: Callable[..., Settings]) -> None:
    app = main.create_app(make_db_settings(**ON))
    with TestClient(app):
        tasks = [getattr(app.state, name) for name in STATE_NAMES]
        assert all(task is not None and not task.done() for task in tasks)
    assert all(task.cancelled() for task in tasks)


@pytest.mark.parametrize("name", STATE_NAMES)
def test_a_zero_interval_turns_its_job_off(make_db_settings: Callable[..., Settings], name: str) -> None:
    app = main.create_app(make_db_settings(**{**ON, INTERVAL_OF[name]: 0}))
    with TestClient(app):
        assert getattr(app.state, name) is None
        others = [getattr(app.state, other) for other in STATE_NAMES if other != name]
        assert all(task is not None for task in others)


def test_no_purge_job_when_retention_days_is_zero(make_db_settings: Callable[..., Settings]) -> None:
    app = main.create_app(make_db_settings(**{**OFF, "retention_interval_s": 3600, "retention_days": 0}))
    with TestClient(app):
        assert app.state.retention_task is None


def test_a_failed_pass_is_logged_and_the_next_pass_runs(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def step(settings: object) -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("database down")

    async def run() -> None:
        task = asyncio.create_task(jobs.every(0.01, step, None, event="test.job", first=0))  # type: ignore[arg-type]
        while len(calls) < 3:
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(asyncio.wait_for(run(), timeout=10))
    assert calls[:3] == [0, 1, 2]
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == ["test.job.failed"]


def test_the_escalation_job_raises_an_overdue_order(make_db_settings: Callable[..., Settings]) -> None:
    settings = make_db_settings(
        **{**OFF, "ticket_escalation_interval_s": 0.05},
        agent_token="agent-secret",
        supervisor_token="supervisor-secret",
    )
    app = main.create_app(settings)
    with TestClient(app) as client:
        # A 24-hour callback promise made 25 hours ago is overdue now.
        with unit_of_work(get_session_factory(settings)) as session:
            ticket = svc.create_ticket(
                session,
                data=TicketCreate(
                    category="求助",
                    topic="人工回电",
                    region="河南/开封",
                    caller_name="张三",
                    caller_phone="13812345678",
                    description="报销两个月没到账，电话13812345678",
                    channel="web",
                ),
                actor="bot",
                channel="test",
                rules=svc.rules_from_settings(settings),
                now=datetime.now(UTC) - timedelta(hours=25),
            )
        deadline = time.monotonic() + 20
        notes: list = []
        while time.monotonic() < deadline and not notes:
            time.sleep(0.1)
            notes = client.get("/api/tickets/notifications", headers=SUPERVISOR).json()
        assert [n["number"] for n in notes] == [ticket.number]
        detail = client.get(f"/api/tickets/{ticket.number}", headers=SUPERVISOR).json()
        assert detail["priority"] == "紧急" and detail["overdue"] is True
    # Leaving the context ran the shutdown, which cancelled the timer.
    assert app.state.ticket_escalation_task.done()

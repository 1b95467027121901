"""Durability settings: health shows when the database could lose committed caller turns in a crash.

The fault tests found exactly this: a PostgreSQL with ``synchronous_commit=off`` lost the last
acknowledged turns when it was stopped like a crash. Each backend is checked with the setting
switched for one session, so the test does not depend on how its server was started.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.db import durability_warnings
from api.routes import health
from api.settings import Settings


def _set(session: Session, name: str, value: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET {name} = {value}"))
    else:
        session.execute(text(f"PRAGMA synchronous = {value}"))


def test_commit_setting_that_loses_turns_is_named(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        _set(session, "synchronous_commit", "off")
        warnings = durability_warnings(session)
        assert any("synchronous" in w and "丢失" in w for w in warnings), warnings
        safe = "on" if session.get_bind().dialect.name == "postgresql" else "full"
        _set(session, "synchronous_commit", safe)
        assert not any("synchronous" in w for w in durability_warnings(session))


def test_health_reports_reachable_database_with_its_durability(
    make_db_settings: Callable[..., Settings],
) -> None:
    app = FastAPI()
    app.state.settings = make_db_settings()
    app.include_router(health.router)
    with TestClient(app) as client:
        database = client.get("/api/health").json()["components"]["database"]
    assert database["ok"] is True
    assert database["durable"] is (not database["warnings"])
    assert all("不安全" in w for w in database["warnings"])

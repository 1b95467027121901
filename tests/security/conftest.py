"""An app as ``create_app`` builds it, on a temporary SQLite database, with staff tokens set."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.db import init_db, make_engine
from api.main import create_app
from api.settings import Settings

TOKENS = {
    "agent_token": "agent-test-token",
    "supervisor_token": "sup-test-token",
    "admin_token": "adm-test-token",
}
ADMIN = {"Authorization": "Bearer adm-test-token"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a migrated SQLite file in tmp_path; Rasa points at a closed port (degraded mode)."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = make_engine(url)
    try:
        init_db(engine)
    finally:
        engine.dispose()

    def build(**overrides: object) -> Settings:
        port = _closed_port()
        values: dict[str, object] = {
            "database_url": url,
            "data_dir": tmp_path,
            "rasa_url": f"http://127.0.0.1:{port}",
            "rasa_port": port,
            "action_port": _closed_port(),
            "rasa_timeout_s": 1.0,
            "ticket_escalation_interval_s": 0,
            "retention_interval_s": 0,
            **TOKENS,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[arg-type]

    return build


@pytest.fixture
def make_client(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., TestClient]]:
    """A TestClient of ``create_app(settings)`` for the given setting overrides (closed afterwards)."""
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        client = TestClient(create_app(make_settings(**overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)

"""schemathesis against the OpenAPI description of ``create_app``: no request, valid or not, gets a 500.

In process (ASGI), on a temporary SQLite database, with an admin token so staff endpoints are
exercised beyond their 401; Rasa points at a closed port (the degraded path answers, as it does
when Rasa is down). The number of examples per operation is bounded to keep the run short.
"""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.db import init_db, make_engine
from api.main import create_app
from api.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ADMIN_TOKEN = "schemathesis-admin"
MAX_EXAMPLES = 6


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app() -> object:
    db = Path(tempfile.mkdtemp(prefix="hotline-schemathesis-")) / "hotline.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        init_db(engine)
    finally:
        engine.dispose()
    port = _closed_port()
    return create_app(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=f"sqlite:///{db}",
            data_dir=PROJECT_ROOT / "var",  # the built knowledge index; the database is the temp one
            rasa_url=f"http://127.0.0.1:{port}",
            rasa_port=port,
            action_port=_closed_port(),
            rasa_timeout_s=1.0,
            admin_token=ADMIN_TOKEN,
            ticket_escalation_interval_s=0,
            retention_interval_s=0,
            rate_limit_ip_per_min=0,
            rate_limit_session_per_min=0,
        )
    )


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error(case: schemathesis.Case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    )

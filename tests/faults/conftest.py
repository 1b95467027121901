"""Fixtures of the fault tests: a private PostgreSQL per module that a test may halt and resume."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.procs import RestartablePostgres


@pytest.fixture(scope="module")
def pg() -> Iterator[RestartablePostgres]:
    """A private PostgreSQL per test module, which the test may halt and resume."""
    server = RestartablePostgres()
    try:
        server.url = server.start()  # type: ignore[attr-defined]
    except Exception as exc:
        server.stop()
        pytest.skip(f"PostgreSQL could not start: {exc}")
    yield server
    server.stop()

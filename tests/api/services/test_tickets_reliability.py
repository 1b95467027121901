"""Creation is one transaction (the intake's own unit of work) and numbers are unique under concurrency."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.db import unit_of_work
from api.models.tickets import Ticket, TicketAttachment, TicketCounter, TicketEvent
from api.services import tickets as svc
from api.settings import PROJECT_ROOT
from tests.api.ticket_data import ROUTING_FILE, TIME_LIMITS_FILE, ticket_request

RULES = svc.load_rules(ROUTING_FILE, TIME_LIMITS_FILE)


def _worker(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.api.ticket_worker", *args]


def _counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count(Ticket.id))) or 0,
        session.scalar(select(func.count(TicketEvent.id))) or 0,
        session.scalar(select(func.count(TicketAttachment.id))) or 0,
        session.scalar(select(func.coalesce(func.sum(TicketCounter.value), 0))) or 0,
    )


def test_killed_creation_leaves_no_trace(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    marker = tmp_path / "inside-transaction.json"
    child = subprocess.Popen(
        _worker(db_url, "hang", str(marker)),
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            if child.poll() is not None:
                pytest.fail(f"worker exited early: {child.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                pytest.fail("worker never reached the commit")
            time.sleep(0.05)
        # Inside its transaction the worker had written the order and its first event.
        assert json.loads(marker.read_text()) == {"tickets": 1, "events": 1}
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    with session_factory() as session:
        assert _counts(session) == (0, 0, 0, 0)
    # The database is usable straight away and the number was not burnt by the dead process.
    with unit_of_work(session_factory) as session:
        ticket = svc.create_ticket(session, data=ticket_request(), actor="bot", channel="test", rules=RULES)
        assert ticket.number.endswith("0001")
    with session_factory() as session:
        assert _counts(session) == (1, 1, 0, 1)


def test_hundred_concurrent_creations_in_threads(session_factory: sessionmaker[Session]) -> None:
    def create(i: int) -> str:
        data = ticket_request(caller_phone=f"1390000{i:04d}")
        return svc.register_order(session_factory, data, actor="bot", channel="test", rules=RULES).number

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(create, range(100)))
    assert len(set(numbers)) == 100
    assert sorted(int(n[-4:]) for n in numbers) == list(range(1, 101))
    with session_factory() as session:
        assert _counts(session)[:2] == (100, 100)


def test_concurrent_duplicates_make_one_order(session_factory: sessionmaker[Session]) -> None:
    """The same caller pressing submit several times at once still gets one order."""

    def create(_: int) -> str:
        return svc.register_order(
            session_factory, ticket_request(), actor="bot", channel="test", rules=RULES
        ).number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = set(pool.map(create, range(8)))
    assert len(numbers) == 1
    with session_factory() as session:
        assert _counts(session)[:2] == (1, 8)


def test_hundred_creations_from_four_processes(db_url: str, session_factory: sessionmaker[Session]) -> None:
    """SQLite's locking is per file, between processes; PostgreSQL's is covered by the threads."""
    if not db_url.startswith("sqlite"):
        pytest.skip("process-level concurrency is checked on SQLite; PostgreSQL runs the thread test")
    children = [
        subprocess.Popen(
            _worker(db_url, "batch", "25", str(tag)),
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
        for tag in range(4)
    ]
    numbers: list[str] = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()[-2000:]
        numbers += json.loads(out.decode().strip().splitlines()[-1])
    assert len(numbers) == 100 and len(set(numbers)) == 100
    with session_factory() as session:
        assert _counts(session)[0] == 100

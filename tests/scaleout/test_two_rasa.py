"""Two Rasa servers share one conversation through Rasa's Redis lock store and SQL tracker store.

A real redis-server on a free port and the throwaway PostgreSQL of tests/db.py (tracker store
in its own database, work orders in the app's) back two Rasa servers started by
devtools/stack.py with the same cached model, plus one action server. The turns of one
conversation alternate between the two instances (as a round-robin load balancer sends them)
and the conversation keeps its context: a waiting question is answered on the other instance
once the region is given, and the complaint form is filled across both.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.db import make_engine, unit_of_work
from api.schemas import ChatReply
from api.services.conversations.respond import respond
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings
from devtools.stack import Stack, actions_up, ensure_running
from tests.faults.procs import free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres]


def _redis_command(port: int, *words: str) -> str:
    """One command in the Redis protocol over a socket (the app venv has no redis client)."""
    payload = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload.encode())
        reader = sock.makefile("rb")
        first = reader.readline()
        if first.startswith(b"$"):  # a bulk string: its length, then the data
            size = int(first[1:])
            return reader.read(size + 2)[:size].decode(errors="replace")
        return first.decode(errors="replace")


def _commands_processed(port: int) -> int:
    info = _redis_command(port, "INFO", "stats")
    line = next(x for x in info.splitlines() if x.startswith("total_commands_processed:"))
    return int(line.split(":", 1)[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server not installed (Debian package redis-server; scripts/setup.sh installs it)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: "PONG" in _redis_command(port, "PING"), "redis-server", 30)
        yield f"redis://127.0.0.1:{port}/1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def tracker_url(postgres_url: str) -> str:
    """A database of its own for Rasa's tracker store, on the test PostgreSQL (psycopg2 URL for Rasa)."""
    name = f"rasa_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres_url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(postgres_url).set(drivername="postgresql", database=name)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def pair(
    postgres_url: str, tracker_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Settings]]:
    """Settings of instance A and B (same stores, same action server), both servers running."""
    from api.db import init_db

    engine = make_engine(postgres_url)
    try:
        init_db(engine)
    finally:
        engine.dispose()
    port_a, port_b = free_port(), free_port()
    common: dict[str, Any] = {
        "database_url": postgres_url,
        "data_dir": PROJECT_ROOT / "var",  # the cached Rasa model
        "outbox_path": tmp_path_factory.mktemp("outbox") / "outbox.sqlite3",
        "action_port": free_port(),
        "rasa_tracker_store_url": tracker_url,
        "rasa_lock_store_url": redis_url,
        "rasa_timeout_s": 60.0,
        "staffed_hours": "00:00-24:00",
        "staffed_weekdays": "1-7",
    }
    a, b = (
        Settings(_env_file=None, rasa_url=f"http://127.0.0.1:{p}", rasa_port=p, **common)  # type: ignore[call-arg]
        for p in (port_a, port_b)
    )
    from bot.rasa_model import ensure_model

    model = ensure_model(a.rasa_model_dir, a.rasa_venv)  # one model for both instances
    stacks: list[Stack] = []
    errors: list[BaseException] = []

    def start(settings: Settings) -> None:
        try:
            stacks.append(ensure_running(settings, model=model))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    first = threading.Thread(target=start, args=(a,))
    first.start()  # action server and Rasa A
    try:
        wait_for(lambda: actions_up(a) or errors, "the action server", 300)
        if not errors:
            start(b)  # Rasa B loads while A is still loading; it reuses A's action server
        first.join()
        if errors:
            raise errors[0]
        yield a, b
    finally:
        first.join()
        for stack in stacks:
            stack.stop()


def joined(reply: ChatReply) -> str:
    return "".join(m.text for m in reply.replies)


class Caller:
    """One caller whose turns go to A and B in turn (round robin)."""

    def __init__(self, pair: tuple[Settings, Settings]) -> None:
        self.pair = pair
        self.turn = 0
        self.session_id = f"so-{uuid.uuid4().hex[:10]}"

    def say(self, text_: str) -> ChatReply:
        settings = self.pair[self.turn % 2]
        self.turn += 1
        reply = respond(self.session_id, text_, settings=settings)
        assert not reply.degraded, f"instance {'AB'[(self.turn - 1) % 2]} fell back to the knowledge base"
        return reply


def test_endpoints_name_the_shared_stores(pair: tuple[Settings, Settings], redis_url: str) -> None:
    for settings in pair:
        written = (settings.data_dir / "rasa" / f"endpoints-{settings.rasa_port}.yml").read_text()
        assert "type: SQL" in written and "dialect: postgresql" in written
        assert "type: redis" in written and f"port: {redis_url.rsplit(':', 1)[1].split('/')[0]}" in written
        assert (
            Path(settings.data_dir / "rasa" / f"endpoints-{settings.rasa_port}.yml").stat().st_mode & 0o077
            == 0
        )


def test_region_given_on_the_other_instance(pair: tuple[Settings, Settings], redis_url: str) -> None:
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    before = _commands_processed(port)
    caller = Caller(pair)
    first = caller.say("去外地看病要先备案吗？要不要开证明？")  # A
    assert first.kind == "clarify_region" and "参保" in joined(first)
    second = caller.say("我是太原的")  # B answers the question that waited on A
    assert second.kind == "answer"
    assert any(w in joined(second) for w in ("承诺制", "免证明", "不用开证明", "无需", "不需要"))
    assert _commands_processed(port) > before  # the turns took and released locks in Redis


def test_complaint_form_filled_across_both(pair: tuple[Settings, Settings], tracker_url: str) -> None:
    from api.services.tickets import get_ticket

    caller = Caller(pair)
    assert caller.say("我爸住院才一个礼拜，医院说医保额度用完了非让出院，我要投诉！").kind == "ask_slot"  # A
    assert caller.say("我叫王建国").kind == "ask_slot"  # B
    phone = caller.say("我手机号是13912345678")  # A
    assert phone.kind == "ask_slot" and "139****5678" in joined(phone)
    done = caller.say("县人民医院，昨天医生说额度用完了让今天必须出院，可病还没好")  # B
    assert done.kind == "ticket" and done.ticket_id and done.ticket_id in joined(done)
    with unit_of_work(get_session_factory(pair[0])) as db:
        ticket = get_ticket(db, number=done.ticket_id)
    assert (ticket.category, ticket.caller_name, ticket.caller_phone) == ("投诉", "王建国", "13912345678")
    assert ticket.conversation_id == caller.session_id

    engine = make_engine(tracker_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            users = conn.execute(
                text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"),
                {"s": caller.session_id},
            ).scalar_one()
    finally:
        engine.dispose()
    assert users == 4  # one tracker in PostgreSQL holds the turns both instances handled

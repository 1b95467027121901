"""The one work-order intake: its own units of work, and the outbox while the database is down.

The outage is real: a PostgreSQL URL on a port nobody listens on (connection refused), the edge
of the world; nothing inside the code is replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.models.tickets import Ticket
from api.services import outbox, provisional
from api.services import tickets as svc
from api.services.conversations import store as conversations
from api.settings import Settings
from tests.api.ticket_data import ticket_request
from tests.faults.procs import free_port


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.sqlite3"


@pytest.fixture
def up(make_db_settings: Callable[..., Settings], outbox_path: Path) -> Settings:
    return make_db_settings(outbox_path=outbox_path)


@pytest.fixture
def down(tmp_path: Path, outbox_path: Path) -> Settings:
    """The same outbox, and a database nobody answers for."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/hotline"
    return Settings(_env_file=None, database_url=url, data_dir=tmp_path, outbox_path=outbox_path)  # type: ignore[call-arg]


def _orders(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count(Ticket.id))) or 0


def test_open_order_registers_and_commits(up: Settings, session_factory: sessionmaker[Session]) -> None:
    result = svc.open_order(up, ticket_request(conversation_id="conv-1"), actor="bot", channel="rasa")
    assert not result.queued and result.number.startswith("GD") and result.ticket is not None
    with session_factory() as session:  # another session sees it: committed before the return
        stored = svc.get_ticket(session, number=result.number)
    assert stored.conversation_id == "conv-1"
    again = svc.open_order(up, ticket_request(description="又来问"), actor="bot", channel="rasa")
    assert again.number == result.number and again.duplicate


def test_bad_data_is_raised_not_queued(up: Settings, down: Settings) -> None:
    with pytest.raises(ValueError, match="actor"):
        svc.open_order(down, ticket_request(), actor=" ", channel="rasa")
    assert outbox.get_outbox(down).backlog() == 0


def test_outage_queues_and_the_replay_registers_once(
    up: Settings, down: Settings, session_factory: sessionmaker[Session]
) -> None:
    data = ticket_request(conversation_id="conv-down", caller_name="李娜", caller_phone="13700001234")
    queued = svc.open_order(down, data, actor="bot", channel="rasa")
    assert queued.queued and provisional.is_provisional(queued.number) and not queued.duplicate
    box = outbox.get_outbox(down)
    [item] = box.pending()
    assert item.kind == outbox.KIND_TICKET and provisional.provisional_reference(item.key) == queued.number
    assert item.payload["session_id"] == "conv-down" and item.payload["actor"] == "bot"
    # The same key queued again (a retried request) is still one row.
    assert svc.open_order(down, data, actor="bot", channel="rasa", key=item.key).number == queued.number
    assert box.backlog() == 1
    assert _orders(session_factory) == 0

    replayed = outbox.replay(up)  # the database is back
    assert (replayed.applied, replayed.failed, replayed.pending) == (1, 0, 0)
    number = box.result(item.key)["ticket"]  # type: ignore[index]
    with session_factory() as session:
        ticket = svc.get_ticket(session, number=number)
        conversation = conversations.load(session, "conv-down")
        note = conversations.find_applied(session, session_id="conv-down", key=item.key)
    assert ticket.caller_name == "李娜" and ticket.conversation_id == "conv-down"
    assert conversation.ticket_number == number and note is not None and note["provisional"] == queued.number
    # Applying the row again (a replay that died before marking it done) changes nothing.
    assert svc.replay_queued(up, item.payload, item.key) == {"ticket": number, "provisional": queued.number}
    assert _orders(session_factory) == 1


def test_replay_without_a_conversation_is_idempotent_by_key(
    up: Settings, down: Settings, session_factory: sessionmaker[Session]
) -> None:
    queued = svc.open_order(down, ticket_request(), actor="ivr", channel="phone")
    [item] = outbox.get_outbox(down).pending()
    first = svc.replay_queued(up, item.payload, item.key)
    second = svc.replay_queued(up, item.payload, item.key)
    assert first == second and first["provisional"] == queued.number
    assert _orders(session_factory) == 1
    with session_factory() as session:
        created = svc.get_ticket(session, number=first["ticket"]).events[0]
    assert created.actor == "ivr" and created.data["intake_key"] == item.key


def test_replay_waits_while_the_database_is_still_down(down: Settings) -> None:
    svc.open_order(down, ticket_request(), actor="bot", channel="rasa")
    result = outbox.replay(down)
    assert (result.applied, result.failed, result.pending) == (0, 0, 1)

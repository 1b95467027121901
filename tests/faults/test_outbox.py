"""The durable outbox: its file, and the chat service queueing while a real PostgreSQL is down.

Rasa is absent here (a closed port), so the chat service answers in degraded mode: the quick
half of the fault tests. test_faults.py repeats it through the whole running stack.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from api.db import unit_of_work
from api.models.tickets import Ticket
from api.services import outbox, provisional
from api.services.conversations import handoff
from api.services.conversations.respond import respond
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings
from tests.faults.procs import RestartablePostgres, free_port

pytestmark = [pytest.mark.integration]


def test_outbox_keeps_one_row_per_key_and_sets_bad_rows_aside(tmp_path: Path) -> None:
    box = outbox.Outbox(tmp_path / "outbox.sqlite3")
    key = box.put(outbox.KIND_CHAT, {"session_id": "s", "turns": []})
    assert box.put(outbox.KIND_CHAT, {"session_id": "other"}, key=key) == key
    assert [i.payload["session_id"] for i in box.pending()] == ["s"]
    dead = [box.mark_failed(key, "ValueError: bad") for _ in range(outbox.MAX_ATTEMPTS)]
    assert dead == [False] * (outbox.MAX_ATTEMPTS - 1) + [True]
    assert box.counts() == {"pending": 0, "done": 0, "dead": 1}
    other = box.put(outbox.KIND_TICKET, {"x": 1})
    box.mark_done(other, {"ticket": "GD202601010001"})
    assert box.result(other) == {"ticket": "GD202601010001"}
    assert outbox.Outbox(box.path).backlog() == 0  # what is on disk, read by a new handle
    with pytest.raises(ValueError, match="kind"):
        box.put("email", {})


def test_provisional_reference_is_not_a_ticket_number() -> None:
    ref = provisional.provisional_reference(uuid.uuid4().hex)
    assert provisional.is_provisional(ref) and not provisional.is_provisional("GD202601010001")
    assert len(ref) <= 20  # fits conversations.ticket_number


@pytest.fixture(scope="module")
def settings(pg: RestartablePostgres, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    closed = free_port()
    values: dict[str, Any] = {
        "database_url": pg.url,  # type: ignore[attr-defined]
        "data_dir": PROJECT_ROOT / "var",  # the built knowledge index
        "outbox_path": tmp_path_factory.mktemp("outbox") / "outbox.sqlite3",
        "rasa_url": f"http://127.0.0.1:{closed}",
        "rasa_port": closed,
        "action_port": free_port(),
        "rasa_timeout_s": 2.0,
        "staffed_hours": "00:00-24:00",
        "staffed_weekdays": "1-7",
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _text(reply: Any) -> str:
    return "".join(m.text for m in reply.replies)


def test_requests_queued_while_database_down_land_once(settings: Settings, pg: RestartablePostgres) -> None:
    caller = f"ob-{uuid.uuid4().hex[:8]}"
    said = ["杭州的生育津贴多久能到账？"]
    assert respond(caller, said[0], settings=settings).kind == "answer"
    pg.halt()
    try:
        said.append("我想反映医院乱收费的问题")
        respond(caller, said[-1], settings=settings)
        said.append("我叫李娜，电话13700001234，麻烦回电")
        queued = respond(caller, said[-1], settings=settings)
        assert queued.kind == "ticket" and provisional.is_provisional(queued.ticket_id)
        assert f"临时受理号{queued.ticket_id}" in _text(queued) and "137****1234" in _text(queued)
        said.append("转人工")
        human = respond(caller, said[-1], settings=settings)
        assert human.handoff is not None and human.handoff.status == "waiting"
        assert "临时受理号" in _text(human)
        assert outbox.get_outbox(settings).backlog() == 7  # 3 turns x 2 writes + the work order
        assert outbox.replay(settings).pending == 7  # still down: nothing applied, nothing lost
    finally:
        pg.resume()

    assert outbox.replay(settings) == outbox.ReplayResult(applied=7, failed=0, pending=0)
    _check_once(settings, caller, said, queued.ticket_id or "")
    box = outbox.get_outbox(settings)
    with box._connect() as conn:  # as if the process died before marking the rows done
        conn.execute("UPDATE outbox SET state = 'pending'")
    assert outbox.replay(settings).pending == 0
    _check_once(settings, caller, said, queued.ticket_id or "")


def _check_once(settings: Settings, caller: str, said: list[str], provisional: str) -> None:
    with unit_of_work(get_session_factory(settings)) as db:
        numbers = db.scalars(select(Ticket.number).where(Ticket.conversation_id == caller)).all()
        assert len(numbers) == 1
        conv = handoff.get_conversation(db, session_id=caller)
        assert conv is not None and conv.ticket_number == numbers[0] and conv.status == "handoff"
        assert [t.text for t in conv.turns if t.speaker == "caller"] == said
        assert [t.seq for t in conv.turns] == list(range(1, len(conv.turns) + 1))
        assert sum(provisional in t.text and numbers[0] in t.text for t in conv.turns) == 1
        assert caller in [h.session_id for h in handoff.queue(db)]

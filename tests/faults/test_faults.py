"""Faults mid-conversation through the real API: the action server, Rasa, then the database fall over.

One scenario per module, in order (later steps use conversations of earlier ones): real
processes (uvicorn API, Rasa, action server, a private PostgreSQL) are killed with SIGKILL or
an immediate shutdown while callers talk, then started again. Callers get knowledge answers
or an honest reply with a provisional reference; every acknowledged turn, hand-off and work
order is in the database afterwards exactly once; health names what is degraded; at the end
the whole system restarts and open conversations continue with their context.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from api.db import unit_of_work
from api.models.conversations import Conversation, Turn
from api.models.tickets import Ticket
from api.services import outbox
from api.services.conversations import handoff
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings
from devtools.stack import Stack, ensure_running
from tests.faults.procs import ApiProcess, RestartablePostgres, free_port, joined, kill_group, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STATE: dict[str, Any] = {}  # conversations the later steps come back to


def sid(name: str) -> str:
    return f"f-{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def settings(pg: RestartablePostgres, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("faults")
    port = free_port()
    values: dict[str, Any] = {
        "database_url": pg.url,  # type: ignore[attr-defined]
        "data_dir": PROJECT_ROOT / "var",  # the built knowledge index and the cached Rasa model
        "outbox_path": tmp / "outbox.sqlite3",
        "outbox_replay_interval_s": 1.0,
        "rasa_tracker_store_url": f"sqlite:///{tmp / 'tracker.db'}",  # survives the restart
        "rasa_url": f"http://127.0.0.1:{port}",
        "rasa_port": port,
        "action_port": free_port(),
        "rasa_timeout_s": 30.0,
        "staffed_hours": "00:00-24:00",
        "staffed_weekdays": "1-7",
        "ticket_escalation_interval_s": 0,
        "retention_interval_s": 0,
        "rate_limit_ip_per_min": 0,
        "rate_limit_session_per_min": 0,
    }
    return Settings(_env_file=None, **{k: v for k, v in values.items() if k in Settings.model_fields})  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def stacks(settings: Settings) -> Iterator[list[Stack]]:
    """Every stack started here (the first and the restarts), all stopped at the end."""
    from bot.rasa_model import ensure_model

    # Restarts reuse this model even if the training data changes meanwhile (no retraining mid-test).
    STATE["model"] = ensure_model(settings.rasa_model_dir, settings.rasa_venv)
    started = [ensure_running(settings, model=STATE["model"])]
    yield started
    for stack in started:
        stack.stop()


@pytest.fixture(scope="module")
def api(
    settings: Settings, stacks: list[Stack], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiProcess]:
    proc = ApiProcess(settings, tmp_path_factory.mktemp("api-log") / "api.log")
    proc.start()
    STATE["api"] = proc
    yield proc
    STATE["api"].stop()


def _process(stacks: list[Stack], name: str) -> Any:
    return next(s.processes[name] for s in reversed(stacks) if name in s.processes)


def _component_ok(api: ApiProcess, name: str) -> bool:
    return bool(api.health()["components"][name]["ok"])


def test_action_server_killed_mid_conversation(
    api: ApiProcess, stacks: list[Stack], settings: Settings
) -> None:
    caller = sid("actions")
    assert api.say(caller, "杭州的生育津贴多久能到账？")["kind"] == "answer"
    kill_group(_process(stacks, "actions"))

    reply = api.say(caller, "那生育津贴要带什么材料？")
    assert reply["degraded"] and reply["kind"] in ("answer", "clarify_region", "abstain") and joined(reply)
    health = api.health()
    assert health["status"] == "degraded" and "actions" in health["degraded"]
    assert health["components"]["rasa"]["ok"] and health["components"]["database"]["ok"]

    stacks.append(ensure_running(settings, model=STATE["model"]))  # starts only the missing action server
    wait_for(lambda: _component_ok(api, "actions"), "the action server in health")
    again = api.say(caller, "杭州的生育津贴多久能到账？")
    assert not again["degraded"] and again["kind"] == "answer"


def test_rasa_killed_mid_conversation(api: ApiProcess, stacks: list[Stack], settings: Settings) -> None:
    caller = sid("rasa")
    assert api.say(caller, "你好")["kind"] == "greet"
    kill_group(_process(stacks, "rasa"))

    answer = api.say(caller, "杭州的生育津贴多久能到账？")
    assert answer["degraded"] and answer["kind"] == "answer" and "工作日" in joined(answer)
    ticket = api.say(caller, "我叫李娜，电话13700001234，麻烦回电")
    assert ticket["kind"] == "ticket" and ticket["ticket_id"].startswith("GD")
    health = api.health()
    assert "rasa" in health["degraded"] and health["components"]["knowledge"]["ok"]

    stacks.append(ensure_running(settings, model=STATE["model"]))
    wait_for(lambda: _component_ok(api, "rasa"), "Rasa in health")
    assert not api.say(caller, "谢谢")["degraded"]
    with unit_of_work(get_session_factory(settings)) as db:
        found = db.scalars(select(Ticket.number).where(Ticket.conversation_id == caller)).all()
    assert found == [ticket["ticket_id"]]


def test_database_down_mid_conversation(api: ApiProcess, pg: RestartablePostgres, settings: Settings) -> None:
    form, question, human = sid("form"), sid("kb"), sid("human")
    said = {
        form: [
            "我爸住院才一个礼拜，医院说医保额度用完了非让出院，我要投诉！",
            "我叫王建国",
            "我手机号是13912345678",
        ]
    }
    assert [api.say(form, text)["kind"] for text in said[form]] == ["ask_slot"] * 3
    pg.halt()
    try:
        description = "县人民医院，我爸上周三住进去的，昨天医生说额度用完了让今天必须出院，可病还没好"
        done = api.say(form, description)
        said[form].append(description)
        assert done["kind"] == "ticket" and done["ticket_id"].startswith("LS")
        assert "临时受理号" + done["ticket_id"] in joined(done) and "139****5678" in joined(done)
        said[question] = ["杭州的生育津贴多久能到账？"]
        answer = api.say(question, said[question][0])
        assert answer["kind"] == "answer" and "工作日" in joined(answer)
        said[human] = ["给我转人工"]
        wait = api.say(human, said[human][0])
        assert wait["handoff"]["status"] == "waiting" and "临时受理号" in joined(wait)

        health = api.health()
        assert health["status"] == "degraded" and {"database", "outbox"} <= set(health["degraded"])
        assert health["components"]["outbox"]["pending"] >= 7  # 6 chat writes (one hand-off), 1 work order
    finally:
        pg.resume()

    wait_for(lambda: api.health()["components"]["outbox"]["pending"] == 0, "the outbox to drain", 120)
    assert api.health()["components"]["database"]["ok"]
    STATE.update(human=human, form=form)  # the restart test checks these whatever happens below
    _check_landed_once(settings, said, form, done["ticket_id"], human)

    # Replaying everything again (as after a crash before rows were marked done) adds nothing.
    box = outbox.get_outbox(settings)
    with box._connect() as conn:
        conn.execute("UPDATE outbox SET state = 'pending'")
    assert outbox.replay(settings).pending == 0
    _check_landed_once(settings, said, form, done["ticket_id"], human)


def _check_landed_once(
    settings: Settings, said: dict[str, list[str]], form: str, provisional: str, human: str
) -> None:
    with unit_of_work(get_session_factory(settings)) as db:
        numbers = db.scalars(select(Ticket.number).where(Ticket.conversation_id == form)).all()
        assert len(numbers) == 1 and numbers[0].startswith("GD")
        for session_id, texts in said.items():
            conv = handoff.get_conversation(db, session_id=session_id)
            assert conv is not None
            callers = [t.text for t in conv.turns if t.speaker == "caller"]
            assert callers == texts  # every acknowledged turn, once, in order
            seqs = [t.seq for t in conv.turns]
            assert seqs == list(range(1, len(seqs) + 1))
        conv = handoff.get_conversation(db, session_id=form)
        assert conv is not None and conv.ticket_number == numbers[0]
        notes = [t.text for t in conv.turns if t.speaker == "system" and provisional in t.text]
        assert len(notes) == 1 and numbers[0] in notes[0]
        assert human in [h.session_id for h in handoff.queue(db)]


def test_whole_system_restart_keeps_conversations(
    api: ApiProcess, stacks: list[Stack], settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    waiting, form = sid("ctx"), sid("form2")
    assert api.say(waiting, "去外地看病要先备案吗？要不要开证明？")["kind"] == "clarify_region"
    assert api.say(form, "医院乱收费，我要举报")["kind"] == "ask_slot"
    assert api.say(form, "我叫张伟")["kind"] == "ask_slot"
    with unit_of_work(get_session_factory(settings)) as db:
        tickets_before = db.scalar(select(func.count(Ticket.id)))
        turns_before = db.scalar(select(func.count(Turn.id)))

    api.stop()
    for stack in stacks:
        stack.stop()
    stacks.append(ensure_running(settings, model=STATE["model"]))
    restarted = ApiProcess(settings, tmp_path_factory.mktemp("api-log2") / "api.log")
    restarted.start()
    STATE["api"] = restarted

    region = restarted.say(waiting, "我是太原的")  # the waiting question is answered, not asked again
    assert region["kind"] == "answer" and not region["degraded"]
    phone = restarted.say(form, "13800001111")  # the form goes on where it stopped
    assert phone["kind"] == "ask_slot" and "138****1111" in joined(phone)
    with unit_of_work(get_session_factory(settings)) as db:
        assert db.scalar(select(func.count(Ticket.id))) == tickets_before
        assert db.scalar(select(func.count(Turn.id))) > turns_before
        conv = handoff.get_conversation(db, session_id=waiting)
        assert conv is not None and [t.text for t in conv.turns if t.speaker == "caller"] == [
            "去外地看病要先备案吗？要不要开证明？",
            "我是太原的",
        ]
        assert STATE["human"] in [h.session_id for h in handoff.queue(db)]
        conv = db.scalars(select(Conversation).where(Conversation.session_id == STATE["form"])).one()
        assert conv.ticket_number and conv.ticket_number.startswith("GD")
    health = restarted.health()
    assert health["status"] == "ok", health

"""The chat service without a dialogue engine: rendering Rasa's messages, and the degraded mode.

With Rasa unreachable (a closed port, a real connection failure) the knowledge service still
answers, a phone number opens a work order, 转人工 still reaches a human, and the health check
says so. Rendering is checked on messages shaped exactly as Rasa's REST channel sends them.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from api.services.conversations import handoff, rasa, store
from api.services.conversations.respond import respond
from api.services.registry import get_session_factory
from api.settings import PROJECT_ROOT, Settings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def down_settings(make_db_settings) -> Settings:  # type: ignore[no-untyped-def]
    port = _closed_port()
    return make_db_settings(
        data_dir=PROJECT_ROOT / "var",  # the built knowledge index
        rasa_url=f"http://127.0.0.1:{port}",
        rasa_port=port,
        action_port=_closed_port(),
        rasa_timeout_s=2.0,
        staffed_hours="00:00-24:00",
        staffed_weekdays="1-7",
    )


def test_render_joins_text_and_custom_parts() -> None:
    messages = [
        {"recipient_id": "s", "text": "杭州10个工作日到账"},
        {
            "recipient_id": "s",
            "custom": {"kind": "answer", "sources": [{"id": "e1", "title": "杭州生育津贴"}]},
        },
        {"recipient_id": "s", "text": "请打分", "buttons": [{"title": "满意", "payload": "/rate_service"}]},
        {"recipient_id": "s", "custom": {"kind": "goodbye", "rating_request": True}},
    ]
    reply, extra = rasa.render("s", messages)
    assert [m.text for m in reply.replies] == ["杭州10个工作日到账", "请打分"]
    assert reply.kind == "goodbye"  # the last kind wins
    assert reply.replies[0].sources[0].title == "杭州生育津贴"
    assert reply.sources[0].id == "e1"
    assert reply.replies[1].buttons[0].payload == "/rate_service"
    assert reply.rating_requested and extra == {}


def test_render_handoff_ticket_and_rating() -> None:
    messages = [
        {"text": "正在转接"},
        {
            "custom": {
                "kind": "abstain",
                "handoff": {"status": "waiting", "reason": "anger", "slots": {"a": 1}},
            }
        },
        {"custom": {"kind": "goodbye", "rating": "不满意"}},
        {"text": "工单已登记，工单编号GD202611230001"},
        {"custom": {"kind": "ticket", "ticket_id": "GD202611230001"}},
    ]
    reply, extra = rasa.render("s", messages)
    assert reply.kind == "ticket" and reply.ticket_id == "GD202611230001"
    assert reply.handoff is not None and reply.handoff.status == "waiting" and reply.handoff.reason == "anger"
    assert extra == {"handoff_slots": {"a": 1}, "rating": "不满意"}
    assert [m.text for m in reply.replies] == ["正在转接", "工单已登记，工单编号GD202611230001"]


def test_render_never_returns_silence() -> None:
    reply, _ = rasa.render("s", [{"custom": {"foo": 1}}])
    assert reply.replies and reply.replies[0].text


@pytest.mark.parametrize(
    ("text", "error"),
    [("", store.EmptyMessage), ("   ", store.EmptyMessage), ("问" * 5000, store.MessageTooLong)],
)
def test_bad_messages_are_refused(down_settings: Settings, text: str, error: type) -> None:
    with pytest.raises(error):
        respond("s-bad", text, settings=down_settings)


def test_bad_session_id_is_refused(down_settings: Settings) -> None:
    with pytest.raises(store.InvalidSession):
        respond("has space", "你好", settings=down_settings)
    with pytest.raises(store.UnknownSession):
        store.transcript("never-seen", settings=down_settings)


def test_status_reports_degraded(down_settings: Settings) -> None:
    assert rasa.status(down_settings) == {"rasa": "down", "actions": "down", "mode": "degraded", "ok": False}


@pytest.mark.integration
def test_rasa_down_still_answers_from_the_knowledge_base(down_settings: Settings) -> None:
    reply = respond("deg-1", "杭州的生育津贴多久能到账？", settings=down_settings)
    assert reply.degraded
    assert reply.kind == "answer"
    assert "工作日" in reply.replies[0].text
    assert reply.sources
    assert "工单" in reply.replies[-1].text  # the work order is offered
    # A region given one turn later answers the question that waited for it.
    first = respond("deg-2", "生育津贴多久能到账？", settings=down_settings)
    assert first.kind == "clarify_region"
    second = respond("deg-2", "我是杭州的", settings=down_settings)
    assert second.kind == "answer" and "工作日" in second.replies[0].text
    # Leaving a phone number opens a real work order.
    ticket = respond("deg-2", "我叫李秀英，电话13512345678", settings=down_settings)
    assert ticket.kind == "ticket" and ticket.ticket_id and ticket.ticket_id.startswith("GD")
    assert "135****5678" in ticket.replies[0].text
    # The transcript holds every turn, numbers masked.
    turns = store.transcript("deg-2", settings=down_settings).turns
    assert [t.speaker for t in turns][:2] == ["caller", "bot"]
    assert "13512345678" not in " ".join(t.text for t in turns)


@pytest.mark.integration
def test_rasa_down_human_request_is_persisted(down_settings: Settings) -> None:
    reply = respond("deg-3", "转人工", settings=down_settings)
    assert reply.handoff is not None and reply.handoff.status == "waiting"
    assert reply.kind == "abstain"
    from api.db import unit_of_work

    with unit_of_work(get_session_factory(down_settings)) as db:
        assert handoff.is_active(db, session_id="deg-3")
    silent = respond("deg-3", "喂，有人吗", settings=down_settings)
    # While a human has it the bot says nothing: no repeated "请稍候" bubble, only the hand-off state.
    assert silent.replies == [] and silent.handoff is not None and silent.handoff.status == "waiting"
    turns = store.transcript("deg-3", settings=down_settings).turns
    assert turns[-1].speaker == "caller" and turns[-1].text == "喂，有人吗"


def test_static_files_exist() -> None:
    static = Path(store.__file__).resolve().parents[2] / "static"
    assert {"widget.js", "widget.css", "demo.html"} <= {p.name for p in static.iterdir()}


def test_turns_written_at_once_all_land_in_order(db_settings: Settings) -> None:
    """A caller's messages and an agent's replies stored at the same moment: none lost, none sharing
    a number (two writers once both took the same next turn number and the agent's reply failed)."""
    import threading

    from api.db import unit_of_work
    from api.services.registry import get_session_factory

    store.record_turn("race-1", "caller", "转人工", channel="web", settings=db_settings)
    with unit_of_work(get_session_factory(db_settings)) as db:
        handoff.request(db, session_id="race-1", reason="caller_request")
    errors: list[BaseException] = []

    def write(kind: str) -> None:
        try:
            for i in range(15):
                if kind == "caller":
                    store.record_turn(
                        "race-1", "caller", f"来电人第{i}句", channel="web", settings=db_settings
                    )
                else:
                    store.add_agent_turn("race-1", f"坐席第{i}句", agent="zhang", settings=db_settings)
        except BaseException as exc:  # noqa: BLE001 - the test reports every failure
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in ("caller", "agent", "caller", "agent")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    turns = store.transcript("race-1", settings=db_settings).turns
    assert len(turns) == 1 + 60
    assert [t.seq for t in turns] == list(range(1, 62))


def test_the_transcript_gives_back_what_the_caller_saw(db_settings: Settings) -> None:
    """A reloaded widget rebuilds its screen from the transcript: an answer's sources and the quick
    replies a turn offered come back with it."""
    from api.db import unit_of_work
    from api.services.registry import get_session_factory

    source = {
        "id": "e-1",
        "title": "异地就医备案",
        "region": "山西/太原",
        "score": 0.9,
        "source": "001.txt L3",
    }
    button = {"title": "不满意", "payload": '/rate_service{"rating": "不满意"}'}
    turns = [
        {"speaker": "caller", "text": "异地就医怎么备案"},
        {
            "speaker": "bot",
            "text": "可以在国家医保服务平台备案。",
            "kind": "answer",
            "data": {"sources": [source]},
        },
        {"speaker": "bot", "text": "请您评价", "kind": "goodbye", "data": {"buttons": [button]}},
    ]
    with unit_of_work(get_session_factory(db_settings)) as db:
        store.apply_write(db, {"session_id": "seen-1", "channel": "web", "turns": turns})
    shown = store.transcript("seen-1", settings=db_settings).turns
    assert [s.title for s in shown[1].sources] == ["异地就医备案"] and shown[1].sources[
        0
    ].region == "山西/太原"
    assert [b.title for b in shown[2].buttons] == ["不满意"] and shown[0].sources == []

"""Fixtures of the Rasa tests: domain, tracker and dispatcher for actions; the real servers.

Action tests build a ``Tracker`` from a few events and call ``run()``; the knowledge service is
replaced only where a test fixes what it returns. Integration tests share one Rasa server and
one action server per pytest session (``stack``), started by devtools/stack.py with the
model cached by the hash of its training data, so CI trains at most once.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from api.schemas import AnswerPublic, SourcePublic
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain as Rasa merges it from bot/domain/*.yml."""
    merged: dict[str, Any] = {
        "intents": [],
        "entities": [],
        "slots": {},
        "responses": {},
        "forms": {},
        "actions": [],
    }
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in ("intents", "entities", "actions"):
            merged[key] += data.get(key) or []
        for key in ("slots", "responses", "forms"):
            merged[key].update(data.get(key) or {})
    return merged


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def _user_event(
    text: str,
    intent: str,
    confidence: float,
    entities: list[dict[str, Any]],
    ts: float,
    ranking: list[dict[str, Any]] | None = None,
) -> dict:
    ranking = ranking or [{"name": intent, "confidence": confidence}]
    return {
        "event": "user",
        "text": text,
        "timestamp": ts,
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking,
            "entities": entities,
        },
        "metadata": {"channel": "web"},
    }


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Build a tracker: earlier (user, bot) turns, current slots and the latest message."""

    def build(
        text: str = "",
        intent: str = "ask_policy",
        *,
        confidence: float = 0.95,
        entities: list[dict[str, Any]] | None = None,
        slots: dict[str, Any] | None = None,
        history: list[str] | None = None,
        active_loop: str | None = None,
        sender_id: str = "test-session",
        ranking: dict[str, float] | None = None,
    ) -> Tracker:
        ts = time.time() - 100
        events: list[dict[str, Any]] = [{"event": "session_started", "timestamp": ts}]
        for i, said in enumerate(history or []):
            events.append(_user_event(said, "ask_policy", 0.9, [], ts + i))
            events.append({"event": "bot", "text": "（回复）", "timestamp": ts + i + 0.5})
        ranked = [{"name": k, "confidence": v} for k, v in (ranking or {intent: confidence}).items()]
        latest = _user_event(text, intent, confidence, entities or [], ts + 50, ranked)
        events.append(latest)
        all_slots = {"failures": 0.0, "handed_off": False, "requested_slot": None, **(slots or {})}
        return Tracker(
            sender_id,
            all_slots,
            {
                "text": text,
                "intent": latest["parse_data"]["intent"],
                "intent_ranking": ranked,
                "entities": entities or [],
            },
            events,
            False,
            None,
            {"name": active_loop} if active_loop else {},
            "action_listen",
        )

    return build


@pytest.fixture
def bot_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for actions: a throwaway SQLite database, agents always on duty."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
        staffed_hours="00:00-24:00",
        staffed_weekdays="1-7",
    )
    monkeypatch.setattr("bot.actions.common.settings", lambda: settings)
    return settings


@pytest.fixture
def offline_settings(bot_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The same, but agents are never on duty (staffed only on a day that never comes)."""
    settings = bot_settings.model_copy(update={"staffed_hours": "00:00-00:01", "staffed_weekdays": "7"})
    monkeypatch.setattr("bot.actions.common.settings", lambda: settings)
    monkeypatch.setattr("bot.actions.handoff.staffed", lambda: False)
    return settings


class KbCalls(list[tuple[str, str | None, list[str]]]):
    """The calls made to the knowledge service, with the dialogue state passed beside them."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[dict[str, Any]] = []


@pytest.fixture
def kb_returns(monkeypatch: pytest.MonkeyPatch) -> Callable[..., KbCalls]:
    """Fix what the knowledge service answers; returns the list of calls made to it."""

    def install(kind: str, text: str = "答复", *, topic: str | None = "测试主题") -> KbCalls:
        calls = KbCalls()

        def fake(question: str, region: str | None, history: list[str], **state: Any) -> AnswerPublic:
            calls.append((question, region, list(history)))
            calls.states.append(state)
            sources = [SourcePublic(id="e1", title="测试条目", region=region)] if kind == "answer" else []
            return AnswerPublic(
                kind=kind,
                text=text,
                sources=sources,
                confidence=0.9,
                topic=topic,
                region=region,
                entry_id="e1" if kind == "answer" else None,
            )

        monkeypatch.setattr("bot.actions.knowledge.answer_question", fake)
        monkeypatch.setattr("bot.actions.records.answer_question", fake)
        return calls

    return install


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the integration session: own ports and database, agents always on duty."""
    rasa_port, action_port = free_port(), free_port()
    db = tmp_path_factory.mktemp("stack") / "hotline.db"
    return Settings(
        database_url=f"sqlite:///{db}",
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        rasa_port=rasa_port,
        action_port=action_port,
        rasa_timeout_s=30.0,
        staffed_hours="00:00-24:00",
        staffed_weekdays="1-7",
    )


@pytest.fixture(scope="session")
def stack(stack_settings: Settings) -> Iterator[Any]:
    """The real Rasa server and action server, once per test session."""
    from devtools.stack import ensure_running

    running = ensure_running(stack_settings)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def api_url(stack: Any, stack_settings: Settings) -> Iterator[str]:
    """The API (uvicorn, in a thread) on a free port, talking to the session's Rasa."""
    import threading

    import uvicorn

    from api.main import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(stack_settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def grievance_is(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Fix the grievance score (bot/actions/grievance.py, the embedding model) of every turn;
    0.0 unless a test sets it, so the other evidence decides."""

    def install(score: float) -> None:
        for module in ("bot.actions.knowledge", "bot.actions.intake"):
            monkeypatch.setattr(f"{module}.grievance", lambda text: score)

    install(0.0)
    return install

"""Actions must not block the action server's event loop (one slow call would stall every caller)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import threading
from typing import Any

from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

import bot.actions
from bot.actions.base import ThreadedAction

# Actions that only read the tracker and write the reply: nothing in them can block.
PURE: set[str] = set()


def _action_classes() -> list[type[Action]]:
    found: dict[str, type[Action]] = {}
    for info in pkgutil.iter_modules(bot.actions.__path__):
        module = importlib.import_module(f"bot.actions.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Action) and cls.__module__ == module.__name__ and cls is not ThreadedAction:
                found[name] = cls
    return list(found.values())


def test_every_action_that_can_block_runs_off_the_loop() -> None:
    classes = _action_classes()
    assert len(classes) >= 10
    blocking = [
        c.__name__
        for c in classes
        if not issubclass(c, (ThreadedAction, FormValidationAction)) and c.__name__ not in PURE
    ]
    assert blocking == []


class _WaitsForTheLoop(ThreadedAction):
    """A slow action (a database or embedding call) that can only finish if the event loop keeps
    running other work meanwhile: another coroutine must set ``go`` while this one waits."""

    def __init__(self, go: threading.Event | None = None) -> None:  # rasa-sdk builds it without one
        self.go = go or threading.Event()

    def name(self) -> str:
        return "action_waits_for_the_loop"

    def work(self, dispatcher: CollectingDispatcher, tracker: Any, domain: dict[str, Any]) -> list[Any]:
        dispatcher.utter_message(text="done" if self.go.wait(timeout=30) else "the loop was blocked")
        return []


def test_a_slow_action_leaves_the_loop_free_for_others() -> None:
    async def scenario() -> list[dict[str, Any]]:
        go = threading.Event()
        dispatcher = CollectingDispatcher()
        task = asyncio.create_task(_WaitsForTheLoop(go).run(dispatcher, None, {}))  # type: ignore[arg-type]
        await asyncio.sleep(0)  # the action starts; a blocking one would hold the loop right here
        go.set()  # another caller's work, done on the loop while the action waits
        await task
        return dispatcher.messages

    assert asyncio.run(scenario())[0]["text"] == "done"


def test_the_action_server_registers_every_action_and_no_base_class() -> None:
    """rasa-sdk scans every Action subclass and asks its name: a base class must not be among them."""
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("bot.actions")
    registered = set(executor.actions)
    assert {"action_answer_policy", "action_create_ticket", "action_rate_service"} <= registered
    assert len(registered) >= len(_action_classes())


def test_an_action_run_in_a_process_without_log_handlers_gets_one(monkeypatch: Any) -> None:
    """Sanic's worker process starts with no handlers: the actions' INFO lines must still be written."""
    import logging

    from bot.actions.base import _ensure_log_handler

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.WARNING)
    _ensure_log_handler()
    assert root.handlers and root.level == logging.INFO
    kept = list(root.handlers)
    _ensure_log_handler()  # a second call (every action run) adds nothing
    assert root.handlers == kept

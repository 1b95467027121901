"""Actions must not block the action server's event loop (one slow call would stall every caller)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import time
from typing import Any

from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

import bot.actions
from bot.actions.base import ThreadedAction

# Actions that only read the tracker and write the reply: nothing in them can block.
PURE = {"ActionHandoff"}


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


class _Slow(ThreadedAction):
    def name(self) -> str:
        return "action_slow"

    def work(self, dispatcher: CollectingDispatcher, tracker: Any, domain: dict[str, Any]) -> list[Any]:
        time.sleep(0.5)  # a slow database or embedding call
        dispatcher.utter_message(text="done")
        return []


def test_a_slow_action_leaves_the_loop_free_for_others() -> None:
    async def scenario() -> tuple[int, list[dict[str, Any]]]:
        ticks = 0
        dispatcher = CollectingDispatcher()
        task = asyncio.create_task(_Slow().run(dispatcher, None, {}))  # type: ignore[arg-type]
        while not task.done():
            await asyncio.sleep(0.01)
            ticks += 1
        await task
        return ticks, dispatcher.messages

    ticks, messages = asyncio.run(scenario())
    assert ticks >= 20  # the loop kept running other work while the action waited
    assert messages[0]["text"] == "done"


def test_the_action_server_registers_every_action_and_no_base_class() -> None:
    """rasa-sdk scans every Action subclass and asks its name: a base class must not be among them."""
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("bot.actions")
    registered = set(executor.actions)
    assert {"action_answer_policy", "action_create_ticket", "action_rate_service"} <= registered
    assert len(registered) >= len(_action_classes())

"""Actions whose work blocks (the knowledge base's embeddings and index, the database).

The action server runs every action on one asyncio event loop: a blocking call inside ``async def
run`` stalls every other conversation for as long as it takes. A ``ThreadedAction`` does its work
in ``work`` on a worker thread instead, so the loop keeps serving other callers meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

__all__ = ["ThreadedAction"]


class ThreadedAction(Action, metaclass=ABCMeta):
    """An action whose ``work`` runs off the event loop (the dispatcher is only used by that thread).

    Abstract, so the action server's scan of ``Action`` subclasses registers only the real actions.
    """

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        _ensure_log_handler()
        return await asyncio.to_thread(self.work, dispatcher, tracker, domain)

    @abstractmethod
    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The action's blocking work."""


def _ensure_log_handler() -> None:
    """Sanic serves the actions from a worker process that starts without the server's log
    handlers: without one, the actions' INFO lines (routing decisions, answers) were dropped."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-8s %(name)s  - %(message)s")

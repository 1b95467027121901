"""Actions whose work blocks (the knowledge base's embeddings and index, the database).

The action server runs every action on one asyncio event loop: a blocking call inside ``async def
run`` stalls every other conversation for as long as it takes. A ``ThreadedAction`` does its work
in ``work`` on a worker thread instead, so the loop keeps serving other callers meanwhile.
"""

from __future__ import annotations

import asyncio
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
        return await asyncio.to_thread(self.work, dispatcher, tracker, domain)

    @abstractmethod
    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The action's blocking work."""

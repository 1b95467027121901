"""Satisfaction rating at the end of a conversation; 不满意 opens a follow-up work order.

The rating travels in the reply payload (``custom.rating``); the chat service stores it on
the conversation, so the inspection and the console see it without asking Rasa.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import common, names
from bot.actions.parse import parse_rating

RATINGS = ("满意", "基本满意", "不满意")


class ActionRateService(Action):
    """Record 满意 / 基本满意 / 不满意; ask again when no rating was given."""

    def name(self) -> str:
        return names.ACTION_RATE_SERVICE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rating = common.latest_entity(tracker, names.ENTITY_RATING)
        if rating not in RATINGS:
            rating = parse_rating(common.latest_text(tracker))
        if rating is None:
            dispatcher.utter_message(response=names.UTTER_ASK_RATING)
            return []
        if rating == "不满意":
            from bot.actions.tickets import start_ticket_events

            dispatcher.utter_message(json_message=common.payload("goodbye", rating=rating))
            return [
                SlotSet(names.RATING, rating),
                *start_ticket_events(dispatcher, tracker, reason="followup"),
                FollowupAction(names.TICKET_FORM),
            ]
        dispatcher.utter_message(
            response=names.UTTER_RATING_THANKS, json_message=common.payload("goodbye", rating=rating)
        )
        return [SlotSet(names.RATING, rating)]

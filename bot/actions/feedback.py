"""Satisfaction rating at the end of a conversation; 不满意 opens a follow-up work order.

The rating travels in the reply payload (``custom.rating``); the chat service stores it on
the conversation, so the inspection and the console see it without asking Rasa. A follow-up is
an order of its own (topic ``bot.actions.tickets.FOLLOW_UP_TOPIC``), linked to the conversation's
earlier order when there is one; the caller hears its new number when the form is done.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import common, names, turns
from bot.actions.base import ThreadedAction
from bot.actions.knowledge import ActionAnswerPolicy
from bot.actions.parse import parse_rating
from bot.actions.tickets import open_form
from vocab.terms import RATINGS


class ActionRateService(ThreadedAction):
    """Record 满意 / 基本满意 / 不满意; ask again when no rating was given."""

    def name(self) -> str:
        return names.ACTION_RATE_SERVICE

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rating = common.latest_entity(tracker, names.ENTITY_RATING)
        text = common.latest_text(tracker)
        if turns.asks_something(text) and (rating not in RATINGS or re.search(r"[？?]|吗", text)):
            # A question about ratings rates nothing, even when it names one
            # ("给了差评以后还会搞满意度调查吗？", "心里不满意，能给差评不？").
            rating = None
        elif rating not in RATINGS:
            rating = parse_rating(text)
        if rating is None:
            # "想给窗口评个分，有地方评不？" asks about 好差评 and rates nothing.
            answered = ActionAnswerPolicy().respond_if_known(dispatcher, tracker)
            if answered is not None:
                return answered
            dispatcher.utter_message(response=names.UTTER_ASK_RATING)
            return []
        if rating == "不满意":
            dispatcher.utter_message(json_message=common.payload("goodbye", rating=rating))
            return [SlotSet(names.RATING, rating), *open_form(dispatcher, tracker, reason="followup")]
        dispatcher.utter_message(
            response=names.UTTER_RATING_THANKS, json_message=common.payload("goodbye", rating=rating)
        )
        return [SlotSet(names.RATING, rating)]

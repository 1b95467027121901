"""What a yes or no refers to: the pending offer (a work order, a callback, a human).

A "yes" or "no" with no offer pending that really asks something ("那用啥子登记？", taken for 好的/登记
by NLU) is answered as a question instead of "what would you like?".
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import common, names, turns
from bot.actions.base import ThreadedAction
from bot.actions.handoff import handoff_events
from bot.actions.knowledge import ActionAnswerPolicy, answers_waiting_question
from bot.actions.tickets import open_form

log = logging.getLogger(__name__)


class ActionAffirm(ThreadedAction):
    """好的/需要: accept whatever the bot offered last (work order, callback, human).

    NLU takes many turns for a yes ("我是退休职工", "好的，谢谢，再见", a new question after 好的):
    only a plain yes, or a yes whose rest asks nothing, accepts the offer. Thanks or goodbye
    close the conversation; anything else is answered as what it is.
    """

    def name(self) -> str:
        return names.ACTION_AFFIRM

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        offer = tracker.get_slot(names.PENDING_OFFER)
        text = common.latest_text(tracker)
        if offer and turns.accepts(text):
            return _accept(dispatcher, tracker, offer)
        if turns.is_closing(text) and not turns.asks_something(text):
            return common.thank_and_close(dispatcher)
        if offer:  # not a yes: a qualifier, a place or a question of its own
            log.info("action.affirm.not_a_yes offer=%s", offer)
            return ActionAnswerPolicy().respond(dispatcher, tracker, route_misses=False)
        answered = ActionAnswerPolicy().respond_if_known(dispatcher, tracker)  # "用啥子登记？" is no yes
        if answered is not None:
            return answered
        dispatcher.utter_message(response=names.UTTER_NO_OFFER)
        return []


def _accept(dispatcher: CollectingDispatcher, tracker: Tracker, offer: str) -> list[EventType]:
    if offer == names.OFFER_HANDOFF:
        return handoff_events(dispatcher, tracker, reason="caller_request")
    reason = "callback" if offer == names.OFFER_CALLBACK else "unresolved"
    return [SlotSet(names.PENDING_OFFER, None), *open_form(dispatcher, tracker, reason=reason)]


class ActionDeny(ThreadedAction):
    """不用了: decline the pending offer, or simply carry on."""

    def name(self) -> str:
        return names.ACTION_DENY

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = common.latest_text(tracker)
        if turns.is_closing(text):  # "那算了，谢谢啊": the caller is done
            return common.thank_and_close(dispatcher)
        if answers_waiting_question(tracker, text):  # "不对不对，应该是太原": the region put right
            return ActionAnswerPolicy().respond(dispatcher, tracker, route_misses=False)
        if tracker.get_slot(names.PENDING_OFFER):
            dispatcher.utter_message(response=names.UTTER_OFFER_DECLINED)
            return [SlotSet(names.PENDING_OFFER, None)]
        answered = ActionAnswerPolicy().respond_if_known(dispatcher, tracker)  # "没身份证用啥登记？"
        if answered is not None:
            return answered
        dispatcher.utter_message(response=names.UTTER_ANYTHING_ELSE)
        return []

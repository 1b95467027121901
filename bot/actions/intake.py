"""The start of a work order or a status query, once the evidence says the caller wants one.

NLU's complaint, report, callback, not-helpful and status intents come here first; the routing of
bot/actions/routing.py decides whether the form starts, the question is answered, or the caller is
asked which one they meant.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import common, names, routing
from bot.actions.base import ThreadedAction
from bot.actions.grievance import grievance
from bot.actions.knowledge import ActionAnswerPolicy, answers_waiting_question, kb_decision
from bot.actions.tickets import confirm_events, open_form

log = logging.getLogger(__name__)


def kb_kind(tracker: Tracker, text: str) -> str | None:
    """What the knowledge base would do with the words: answer, clarify_region or abstain."""
    decision = kb_decision(tracker, text)
    return str(decision.kind) if decision is not None else None


class ActionStartTicket(ThreadedAction):
    """A complaint, report, callback request or unhelpful answer: the form, if the evidence says so.

    A policy question that NLU weakly took for a complaint is answered (bot/actions/routing.py).
    """

    def name(self) -> str:
        return names.ACTION_START_TICKET

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent, _ = common.latest_intent(tracker)
        text = common.latest_text(tracker)
        if answers_waiting_question(tracker, text):  # "不对，我是太原参保的，刚说错了": a region
            log.info("action.start_ticket route=answer why=region")
            return ActionAnswerPolicy().respond(dispatcher, tracker, route_misses=False)
        route = routing.route_ticket_intent(
            intent,
            common.intent_ranking(tracker),
            text,
            kb_kind=lambda: kb_kind(tracker, text),
            grievance=lambda: grievance(text),
        )
        log.info("action.start_ticket route=%s reason=%s why=%s", route.action, route.reason, route.why)
        if route.action == "answer":
            return ActionAnswerPolicy().respond(dispatcher, tracker, route_misses=False)
        if route.action == "confirm":
            return confirm_events(dispatcher, tracker, text)
        if route.action == "close":
            return common.thank_and_close(dispatcher)
        return open_form(dispatcher, tracker, reason=route.reason)


class ActionStartStatus(ThreadedAction):
    """A status query: the status form when it is about a work order, else a chase-up or an answer."""

    def name(self) -> str:
        return names.ACTION_START_STATUS

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = common.latest_text(tracker)
        route = routing.route_status(text, kb_kind=lambda: kb_kind(tracker, text))
        log.info("action.start_status route=%s why=%s", route.action, route.why)
        if route.action == "answer":
            return ActionAnswerPolicy().respond(dispatcher, tracker, route_misses=False)
        if route.action == "ticket":
            return open_form(dispatcher, tracker, reason=route.reason)
        return [FollowupAction(names.STATUS_FORM)]

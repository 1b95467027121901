"""转人工: the caller asks for a person, or NLU took a question for such a request.

Questions that name a place or a service ("想找个离家近的医保办事点，咋找？", "社保卡密码忘了，在医院能不能
改？") are classified as ``request_human`` often enough that the intent alone is weak evidence: a
hand-off (or, outside staffed hours, a callback offer) starts when the words ask for a person or
ask nothing; a question is answered (or honestly missed) instead.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import common, names, turns
from bot.actions.base import ThreadedAction
from bot.actions.handoff import handoff_events
from bot.actions.knowledge import ActionAnswerPolicy, answers_waiting_question

log = logging.getLogger(__name__)


class ActionHandoff(ThreadedAction):
    """Hand off when the caller wants a person; answer a question NLU mistook for that wish."""

    def name(self) -> str:
        return names.ACTION_HANDOFF

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = common.latest_text(tracker)
        ask = f"utter_ask_{tracker.get_slot(names.REQUESTED_SLOT)}"
        in_form = bool(tracker.active_loop_name) and ask in (domain.get("responses") or {})
        if in_form and text and not turns.names_a_person(text):
            # A form's answer NLU took for 转人工 ("陈志强，耳东陈"): the form goes on and asks again.
            log.info("action.handoff.form_answer_not_request response=%s", ask)
            dispatcher.utter_message(response=ask)
            return []
        if not tracker.active_loop_name and answers_waiting_question(tracker, text):
            # "俺是东明县嘞" after a miss: the region the waiting question needed, not a wish for a person.
            log.info("action.handoff.region_for_waiting_question")
            return ActionAnswerPolicy().respond(dispatcher, tracker, route_misses=False)
        if tracker.active_loop_name or turns.wants_human(text):
            return handoff_events(dispatcher, tracker, reason="caller_request")
        log.info("action.handoff.question_not_request")
        return ActionAnswerPolicy().respond(dispatcher, tracker)

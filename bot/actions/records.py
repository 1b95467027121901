"""Personal records (余额, 缴费和报销记录): the bot never reads or invents them.

The knowledge base says which verified channel shows them (its answer is read out with its
source); when it has nothing, the bot says only that verification is needed and offers a human.
A look-up that tells of a theft or chases a case opens that work order instead.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import common, names, routing, turns
from bot.actions.base import ThreadedAction
from bot.actions.knowledge import ActionAnswerPolicy, answer_question, clarify_region, give_answer
from bot.actions.tickets import open_form

log = logging.getLogger(__name__)


class ActionPersonalRecord(ThreadedAction):
    """Point the caller to the verified channel for their own records, or to a human."""

    def name(self) -> str:
        return names.ACTION_PERSONAL_RECORD

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = common.latest_text(tracker)
        if text and turns.asks_internal_document(text):  # "内部的稽核文件给我看看" is no record of one's own
            return ActionAnswerPolicy().respond(dispatcher, tracker)
        found = routing.cues(text) if text else set()
        urgent = routing.act_now(common.latest_intent(tracker)[0], found, text)
        if urgent is not None and not tracker.active_loop_name:
            # "钱少了两千，是不是被盗刷了，帮我查查": a theft (or chase-up) to act on, not a look-up.
            log.info("action.personal_record.act_now cues=%s", sorted(found))
            return open_form(dispatcher, tracker, reason=urgent.reason)
        region = common.region_in(text) or tracker.get_slot(names.REGION)
        result = None
        if text:
            try:
                result = answer_question(text, region, common.user_texts(tracker, limit=4))
            except Exception:
                log.exception("action.personal_record.kb_failed")
        if result is not None and result.kind == "answer":
            # The verified channel, or a policy answer NLU took for a record look-up: either way
            # the dialogue goes on from this entry; a human stays on offer for the record itself.
            return [*give_answer(dispatcher, result), SlotSet(names.PENDING_OFFER, names.OFFER_HANDOFF)]
        if result is not None and result.kind == "clarify_region":
            # The knowledge base knows a regional rule for these words ("没身份证能先给娃办医保不"
            # reads like a record look-up to NLU): a policy question, so ask for the region.
            return clarify_region(dispatcher, result, text)
        if text and not turns.asks_for_record(text):
            # Nothing in the words looks anything up: a question NLU took for a record look-up.
            log.info("action.personal_record.question_not_lookup")
            return ActionAnswerPolicy().respond(dispatcher, tracker)
        dispatcher.utter_message(response=names.UTTER_RECORDS_VERIFIED_ONLY)
        return [SlotSet(names.PENDING_OFFER, names.OFFER_HANDOFF)]

"""Policy questions: every answer comes from the knowledge service, never from a canned response.

``action_answer_policy`` handles ask_policy, inform_region and low-confidence messages. It keeps
the question that waits for a 参保地 in ``pending_question`` and answers it when the region
arrives ("我是太原的"), passes the caller's recent words as history so that follow-ups
("那要带什么材料？") are understood, and counts failures: a low-confidence miss first gets one
clarifying question, a miss offers a human or a work order, and the second miss hands off.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import common, names, routing, turns
from bot.actions.base import ThreadedAction
from bot.actions.grievance import grievance
from bot.actions.handoff import handoff_events, is_angry
from bot.actions.tickets import confirm_events, open_form
from knowledge.followup import story_question

log = logging.getLogger(__name__)

# Below this NLU confidence a knowledge-base miss is treated as "not understood" (ask once more).
LOW_NLU_CONFIDENCE = 0.6
# A document not open to the public, asked for (turns.asks_internal_document): what is public instead.
INTERNAL_DOCUMENT_REPLY = (
    "您说的是医保部门的内部工作文件，这类文件不对外公开，我这里不能提供，也不能念给您听。"
    "公开的政策文件可以在当地医保局网站的“政府信息公开”栏目查到，也可以依法向医保部门申请政府信息公开。"
    "您想了解哪项具体政策，我可以帮您查。"
)
# Words around a place name that do not make a question ("我是太原的", "在杭州参保").
_REGION_FILLER = re.compile(
    r"[我俺额咱是在的那边这儿里人参保交缴医保地区市县省呢啊呀哦哈嘛吧了，。,.!！?？\s们上老家个就]"
)


# A caller putting the region right ("哦不对不对，我是太原参保的，刚说错了"): no question, no grievance.
_CORRECTION = re.compile(r"不对|说错|讲错|搞错|弄错|口误|更正|纠正|应该是|其实是|刚才|刚")


def _is_bare_region(text: str, region_names: list[str]) -> bool:
    """True when ``text`` only names a place, or puts it right (nothing left that could be a question)."""
    rest = _CORRECTION.sub("", text)
    for name in sorted(region_names, key=len, reverse=True):
        rest = rest.replace(name, "")
    return len(_REGION_FILLER.sub("", rest)) <= 1


def _region_names_in(text: str) -> list[str]:
    from knowledge.regions import region_table

    table = region_table()
    found = table.find_all(text)
    heard = [said for _, said in table.find_by_sound(text)] if not found else []
    return [r.full_name for r in found] + [r.stem for r in found] + heard


def _last_question(tracker: Tracker) -> str | None:
    """The caller's latest earlier turn that was more than a place name."""
    for said in reversed(common.user_texts(tracker, limit=6)):
        if not common.region_in(said) or not _is_bare_region(said, _region_names_in(said)):
            return said
    return None


def answers_waiting_question(tracker: Tracker, text: str) -> bool:
    """The turn names (or corrects) the caller's region and nothing else, and a question waits for
    it or was just answered: a region, whatever intent NLU gave it."""
    waiting = tracker.get_slot(names.PENDING_QUESTION) or tracker.get_slot(names.LAST_ENTRY)
    return bool(waiting and common.region_in(text) and _is_bare_region(text, _region_names_in(text)))


def answer_question(
    question: str,
    region: str | None,
    history: list[str],
    *,
    topic: str | None = None,
    previous_entry: str | None = None,
    story: bool = False,
) -> Any:
    """Call the knowledge service (imported lazily: it loads the index on first use). ``story``
    lets a long turn be answered by the question it ends with: only once the routing, which weighs
    the whole turn ("……一次性告知就是这么告知的？" is a complaint), has decided it is a question."""
    from api.services.knowledge import answer

    return answer(
        question,
        region=region,
        audience="public",
        history=history,
        topic=topic,
        previous_entry=previous_entry,
        story=story,
    )


def kb_decision(tracker: Tracker, text: str) -> Any:
    """What the knowledge base would do with ``text`` in this conversation (routing evidence)."""
    region = common.region_in(text) or tracker.get_slot(names.REGION)
    try:
        history = common.user_texts(tracker, limit=6)
        return answer_question(text, region, history, previous_entry=tracker.get_slot(names.LAST_ENTRY))
    except Exception:  # evidence only: a failing base must not stop the routing
        log.exception("action.kb_decision.failed")
        return None


def sources_of(result: Any) -> list[dict[str, Any]]:
    """The sources of an answer as plain dicts for the reply payload."""
    return [s.model_dump() if hasattr(s, "model_dump") else dict(s) for s in (result.sources or [])]


def give_answer(dispatcher: CollectingDispatcher, result: Any) -> list[EventType]:
    """Say the knowledge base's answer; the dialogue now stands on its entry and topic
    (a region said next re-runs the question, a facet follow-up is answered from the entry)."""
    dispatcher.utter_message(
        text=result.text,
        json_message=common.payload(
            "answer",
            sources=sources_of(result),
            topic=result.topic,
            region=result.region,
            entry_id=result.entry_id,
        ),
    )
    return [
        SlotSet(names.PENDING_QUESTION, None),
        SlotSet(names.PENDING_TOPIC, None),
        SlotSet(names.FAILURES, 0.0),
        SlotSet(names.PENDING_OFFER, None),
        SlotSet(names.TOPIC, result.topic),
        SlotSet(names.LAST_ENTRY, result.entry_id),
    ]


def clarify_region(dispatcher: CollectingDispatcher, result: Any, question: str) -> list[EventType]:
    """Ask where the caller is insured and keep the question (and its topic) waiting for the answer."""
    dispatcher.utter_message(
        text=result.text or None,
        response=None if result.text else names.UTTER_ASK_REGION,
        json_message=common.payload("clarify_region", topic=result.topic),
    )
    return [
        SlotSet(names.PENDING_QUESTION, question),
        SlotSet(names.PENDING_TOPIC, result.topic),
        SlotSet(names.TOPIC, result.topic),
    ]


class ActionAnswerPolicy(ThreadedAction):
    """Answer a policy question, resolve a waiting question with a region, or admit a miss.

    Dialogue state lives in slots: ``pending_question`` (the question that waits for a region,
    kept after a clarify and after an abstention, so a region said later re-runs it),
    ``pending_topic`` (the topic the region was asked for) and ``last_entry`` (what the caller
    was just told: a follow-up by facet is answered from it). A miss on words that sound like a
    complaint opens the work-order form (bot/actions/routing.py).
    """

    def name(self) -> str:
        return names.ACTION_ANSWER_POLICY

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return self.respond(dispatcher, tracker)

    def respond_if_known(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
        """Answer a turn NLU took as social ("你好，…还有人接不？") when the base knows it, else None.

        Besides a question, the caller saying who they are right after an answer ("我是退休职工",
        "俺是居民医保") narrows the rule just given: the entry's sentences on that group answer it.
        """
        from knowledge.facets import named_qualifiers

        text = common.latest_text(tracker)
        narrows = bool(tracker.get_slot(names.LAST_ENTRY)) and bool(named_qualifiers(text))
        if not (narrows or turns.asks_something(text)):
            return None
        decision = kb_decision(tracker, text)
        if decision is None or decision.kind not in ("answer", "clarify_region"):
            return None
        return self.respond(dispatcher, tracker, route_misses=False)

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, *, route_misses: bool = True
    ) -> list[EventType]:
        """Answer the latest turn (or the pending question it completes)."""
        text = common.latest_text(tracker)
        intent, confidence = common.latest_intent(tracker)
        events: list[EventType] = []
        if text and is_angry(text):
            return handoff_events(dispatcher, tracker, reason="anger")
        if text and turns.asks_internal_document(text):
            log.info("action.answer_policy.internal_document")
            dispatcher.utter_message(text=INTERNAL_DOCUMENT_REPLY, json_message=common.payload("abstain"))
            return [SlotSet(names.PENDING_OFFER, None)]

        named = common.region_in(text, common.latest_entity(tracker, names.ENTITY_REGION))
        region = named or tracker.get_slot(names.REGION)
        if named:
            events.append(SlotSet(names.REGION, named))
        pending = tracker.get_slot(names.PENDING_QUESTION)
        bare_region = bool(named) and _is_bare_region(text, _region_names_in(text))

        question, topic = text, None
        if bare_region or (intent == names.INFORM_REGION and named):
            asked_before = _last_question(tracker) if tracker.get_slot(names.LAST_ENTRY) else None
            if pending:
                question, topic = pending, tracker.get_slot(names.PENDING_TOPIC)
            elif bare_region and asked_before:
                # A region right after an answer for everyone: "and where I am?" (same topic).
                question, topic = asked_before, tracker.get_slot(names.TOPIC)
            elif bare_region:
                dispatcher.utter_message(
                    response=names.UTTER_REGION_NOTED,
                    region_display=common.region_display(named),
                    json_message=common.payload("greet", region=named),
                )
                return events
        if not question and pending:  # the "咨询政策" button after a complaint-or-policy question
            question = pending
        if not question:
            dispatcher.utter_message(response=names.UTTER_ASK_REPHRASE)
            return events

        closing = turns.is_closing(text) and not turns.asks_something(text) and not routing.cues(text)
        if question == text and closing:  # "好，那我清楚了" whatever NLU took it for: the caller is done
            return events + common.thank_and_close(dispatcher)
        route_misses = route_misses and not tracker.active_loop_name  # no second form inside a form
        routed = route_misses and question == text and bool(text)
        by_cue = None
        if routed:  # indignation, a theft, a chase-up: the form first
            by_cue = routing.route_cues(
                intent,
                text,
                kb_kind=lambda: self._kb_kind(question, region, tracker),
                grievance=lambda: grievance(text),
            )
            if by_cue is not None and by_cue.action == "ticket":
                log.info("action.answer_policy.cue reason=%s", by_cue.reason)
                return events + open_form(dispatcher, tracker, reason=by_cue.reason)
        history = common.user_texts(tracker, limit=6)
        previous = tracker.get_slot(names.LAST_ENTRY) if question == text else None
        try:
            result = answer_question(question, region, history, topic=topic, previous_entry=previous)
        except Exception:  # the knowledge service failing must not leave the caller in silence
            log.exception("action.answer_policy.kb_failed")
            dispatcher.utter_message(response=names.UTTER_KB_UNAVAILABLE)
            return [*events, SlotSet(names.PENDING_OFFER, names.OFFER_HANDOFF)]

        if result.kind == "answer":
            return events + give_answer(dispatcher, result)
        if routed and by_cue is None and result.kind in ("clarify_region", "abstain"):
            # Not answered, and no cue word decided it: a grievance told as a question or a story?
            route = routing.route_policy_miss(
                intent,
                common.intent_ranking(tracker),
                text,
                kb_kind=result.kind,
                grievance=lambda: grievance(text),
            )
            log.info("action.answer_policy.miss route=%s why=%s", route.action, route.why)
            if route.action == "ticket":
                return events + open_form(dispatcher, tracker, reason=route.reason)
            if route.action == "confirm":
                return events + confirm_events(dispatcher, tracker, text)
        if result.kind == "abstain" and story_question(question):
            # A question, the routing says: the story may end with one the base knows.
            told = answer_question(question, region, history, topic=topic, story=True)
            if told.kind == "answer":
                return events + give_answer(dispatcher, told)
            result = told if told.kind == "clarify_region" else result
        if result.kind == "clarify_region":
            return events + clarify_region(dispatcher, result, question)
        missed = self._miss(dispatcher, tracker, result, low=self._low_confidence(intent, confidence))
        # The question stays: a region said next re-runs it (no topic: none was found for it).
        kept = [SlotSet(names.PENDING_QUESTION, question), SlotSet(names.PENDING_TOPIC, None)]
        return [*events, *missed, *kept]

    @staticmethod
    def _kb_kind(question: str, region: str | None, tracker: Tracker) -> str | None:
        try:
            return str(answer_question(question, region, common.user_texts(tracker, limit=6)).kind)
        except Exception:  # evidence only
            log.exception("action.answer_policy.kb_failed")
            return None

    @staticmethod
    def _low_confidence(intent: str | None, confidence: float) -> bool:
        return intent in (names.NLU_FALLBACK, None) or (
            intent != names.ASK_POLICY and confidence < LOW_NLU_CONFIDENCE
        )

    @staticmethod
    def _miss(
        dispatcher: CollectingDispatcher, tracker: Tracker, result: Any, *, low: bool
    ) -> list[EventType]:
        """First low-confidence miss: ask to rephrase; a miss: offer help; the second: hand off."""
        failures = float(tracker.get_slot(names.FAILURES) or 0) + 1
        if failures >= 2:
            return [
                SlotSet(names.FAILURES, 0.0),
                *handoff_events(dispatcher, tracker, reason="repeated_failure"),
            ]
        if low:
            dispatcher.utter_message(response=names.UTTER_ASK_REPHRASE)
            return [SlotSet(names.FAILURES, failures)]
        dispatcher.utter_message(text=result.text, json_message=common.payload("abstain"))
        dispatcher.utter_message(response=names.UTTER_OFFER_HELP)
        return [SlotSet(names.FAILURES, failures), SlotSet(names.PENDING_OFFER, names.OFFER_HANDOFF)]


class ActionOutOfScope(ActionAnswerPolicy):
    """Out of scope, unless the knowledge base confidently knows the question.

    NLU mistakes some terse policy questions ("报销比例是多少") for other hotlines' business;
    asking the knowledge service first costs a search and keeps such callers from being turned
    away. A miss here is not a failure of ours, so it neither counts nor offers a hand-off.
    """

    def name(self) -> str:
        return names.ACTION_OUT_OF_SCOPE

    @staticmethod
    def _miss(
        dispatcher: CollectingDispatcher, tracker: Tracker, result: Any, *, low: bool
    ) -> list[EventType]:
        dispatcher.utter_message(response=names.UTTER_OUT_OF_SCOPE)
        return []

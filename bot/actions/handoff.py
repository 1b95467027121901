"""Hand-off to a human agent (the action is in bot/actions/human.py; yes/no to its offers in offers.py).

The hand-off itself is a structured payload (``custom.handoff``) that the chat service turns
into persisted state (api/services/handoff.py) and that each channel renders its own way.
Outside staffed hours no agent can take the call, so the bot offers a callback work order with
the configured reply promise (24 hours) instead.
"""

from __future__ import annotations

import logging
import re

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import common, names

log = logging.getLogger(__name__)

# Signs that the caller is angry; the bot stops trying and fetches a human.
_ANGER_RE = re.compile(
    r"气死|什么破|啥破|垃圾|废物|骗子|混蛋|王八蛋|他妈|tmd|TMD|滚|去死|有病吧|烦死|受够了|"
    r"听不懂人话|智障|弱智|脑子有问题|骂人|要疯了|忍无可忍"
)


def is_angry(text: str) -> bool:
    """True when ``text`` carries clear anger or abuse."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    return bool(_ANGER_RE.search(text))


def staffed() -> bool:
    """Whether agents are on duty now (settings: staffed hours, weekdays, time zone)."""
    from api.services.conversations.handoff import staffed_now

    return staffed_now(common.settings())


def handoff_events(dispatcher: CollectingDispatcher, tracker: Tracker, *, reason: str) -> list[EventType]:
    """Hand the conversation to a human now, or offer a callback order outside staffed hours."""
    events: list[EventType] = []
    if tracker.active_loop_name:
        events += [ActiveLoop(None), SlotSet(names.REQUESTED_SLOT, None)]
    cfg = common.settings()
    if not staffed():
        dispatcher.utter_message(
            response=names.UTTER_HANDOFF_OFFLINE,
            hours=cfg.staffed_hours,
            promise_hours=cfg.callback_promise_hours,
            json_message=common.payload("abstain", handoff={"status": "offline", "reason": reason}),
        )
        log.info("action.handoff.offline reason=%s", reason)
        return [*events, SlotSet(names.PENDING_OFFER, names.OFFER_CALLBACK)]
    dispatcher.utter_message(
        response=names.UTTER_HANDOFF_ANGER if reason == "anger" else names.UTTER_HANDOFF,
        json_message=common.payload(
            "abstain",
            handoff={"status": "waiting", "reason": reason, "slots": common.collected_slots(tracker)},
        ),
    )
    log.info("action.handoff.requested reason=%s", reason)
    return [*events, SlotSet(names.HANDED_OFF, True), SlotSet(names.PENDING_OFFER, None)]

"""Greetings, thanks, goodbyes and chit-chat, unless the turn carries a matter of its own.

NLU takes a turn for social when its first words are ("你好，…", "谢谢，那我再问一下…") and now and then
when they are not at all: a stolen-card story came in as a greeting, "生育津帖现在医院会自动帮着报吗" as
chit-chat, "好，那我清楚了" as a greeting. The social reply is given only when the words are social;
a matter (a cue of a complaint, theft or chase-up, or a story) goes through the routing of any policy
turn; a question is answered when the base knows it; "明白了" after an answer closes the call.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import common, names, routing, turns
from bot.actions.base import ThreadedAction
from bot.actions.knowledge import ActionAnswerPolicy

log = logging.getLogger(__name__)


def matter_of_social_turn(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """The reply to what a turn taken as social really says, or None when it is social."""
    text = common.latest_text(tracker)
    if routing.carries_matter(text):
        log.info("action.social.matter")
        return ActionAnswerPolicy().respond(dispatcher, tracker)
    return ActionAnswerPolicy().respond_if_known(dispatcher, tracker)


class _SocialAction(ThreadedAction):
    """Reply with ``response`` unless the turn carries a matter or a question the base knows.

    Abstract (``name``), so the action server's scan registers only the four real actions.
    """

    response = ""
    closes = False  # thanks and goodbyes drop any pending offer

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        handled = matter_of_social_turn(dispatcher, tracker)
        if handled is not None:
            return handled
        if not self.closes and turns.is_closing(common.latest_text(tracker)):
            # "好，那我清楚了" taken as a greeting: the caller is done
            return common.thank_and_close(dispatcher)
        dispatcher.utter_message(response=self.response)
        return [SlotSet(names.PENDING_OFFER, None)] if self.closes else []


class ActionGreet(_SocialAction):
    """A greeting; one that carries a question ("你好，医保局下了班电话还有人接不？") gets the answer."""

    response = names.UTTER_GREET

    def name(self) -> str:
        return names.ACTION_GREET


class ActionChitchat(_SocialAction):
    """Chit-chat about the assistant itself."""

    response = names.UTTER_CHITCHAT

    def name(self) -> str:
        return names.ACTION_CHITCHAT


class ActionGoodbye(_SocialAction):
    """再见: a goodbye with a rating request."""

    response = names.UTTER_GOODBYE
    closes = True

    def name(self) -> str:
        return names.ACTION_GOODBYE


class ActionThank(_SocialAction):
    """谢谢: a closing with a rating request."""

    response = names.UTTER_THANK
    closes = True

    def name(self) -> str:
        return names.ACTION_THANK

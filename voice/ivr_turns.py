"""How the IVR reads a turn: what the caller's words ask for, and what the dialogue's reply means.

Pure functions, no I/O: ``voice.ivr`` acts on their verdicts. The reply kinds are the dialogue's
(``vocab.terms.ReplyKind``); docs/dialogue.md says how each arises.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vocab.terms import QUESTION_KINDS
from voice.ivr_prompts import contains_any, phrases
from voice.ivr_state import Reply

log = logging.getLogger(__name__)

__all__ = [
    "INVITATION_KINDS",
    "NOT_UNDERSTOOD_KINDS",
    "Meaning",
    "Net",
    "SafetyNet",
    "Words",
    "ends_with_question",
    "read_reply",
    "read_words",
]

# Reply kinds that mean the dialogue could not help with what it heard: counted as not understood.
# ``abstain`` is the dialogue's own (rephrase requests, out of scope, "I cannot answer that"); the
# others are older or foreign dialogue servers' names for the same.
NOT_UNDERSTOOD_KINDS = frozenset({"abstain", "fallback", "nlu_fallback", "not_understood", "misunderstood"})
# Reply kinds that invite the next question themselves ("请问还有什么问题需要帮忙吗？"): silence after
# one is the end of the call, as after the IVR's own 还有其他问题吗.
INVITATION_KINDS = frozenset({"greet"})
_CLOSERS = " \t\r\n\"'”’」』）)】]"


class Meaning(enum.Enum):
    """What a dialogue reply means for the call flow."""

    HANDOFF = "handoff"  # an agent takes over: speak it, transfer
    GOODBYE = "goodbye"  # the caller said goodbye (counts only after an understood turn)
    NOT_UNDERSTOOD = "not_understood"  # abstain-style, or nothing to say
    QUESTION = "question"  # the dialogue asks the caller something: wait for the answer
    INVITATION = "invitation"  # the dialogue invites the next question: wait; silence ends the call
    ANSWER = "answer"  # anything else understood: the IVR asks 还有其他问题吗


def ends_with_question(text: str) -> bool:
    """Whether spoken ``text`` ends by asking something ("……需要登记吗？")."""
    return text.rstrip(_CLOSERS).endswith(("？", "?"))


def read_reply(reply: Reply, spoken: str) -> Meaning:
    """The meaning of ``reply``; ``spoken`` is its text as the caller will hear it."""
    if reply.handoff:
        return Meaning.HANDOFF
    if reply.kind == "goodbye":
        return Meaning.GOODBYE
    if reply.kind in NOT_UNDERSTOOD_KINDS or not spoken.strip():
        return Meaning.NOT_UNDERSTOOD
    if reply.kind in QUESTION_KINDS:
        return Meaning.QUESTION
    if ends_with_question(spoken):
        return Meaning.INVITATION if reply.kind in INVITATION_KINDS else Meaning.QUESTION
    return Meaning.ANSWER


class Words(enum.Enum):
    """What the caller's recognised words ask of the IVR itself (before the dialogue sees them)."""

    HUMAN = "human"  # 转人工 at any point
    DONE = "done"  # 没有了 after 还有其他问题吗
    CALLBACK_YES = "callback_yes"  # takes the callback offer
    CALLBACK_NO = "callback_no"  # declines the callback offer
    DIALOGUE = "dialogue"  # anything else goes to the dialogue


def read_words(
    plain_text: str, prompts: Mapping[str, Any], *, invited: bool, callback_offered: bool
) -> Words:
    """What ``plain_text`` (``voice.ivr_prompts.plain``) asks for.

    Args:
        invited: the caller was just asked whether there is anything else (after an understood turn).
        callback_offered: the caller was just offered a callback (closed centre).
    """
    if contains_any(plain_text, phrases(prompts, "human_phrases")):
        return Words.HUMAN
    no_more = plain_text in phrases(prompts, "no_more_phrases")
    if callback_offered:
        if no_more or contains_any(plain_text, phrases(prompts, "callback_no_words")):
            return Words.CALLBACK_NO
        if plain_text in phrases(prompts, "callback_yes_phrases") or contains_any(
            plain_text, phrases(prompts, "callback_yes_words")
        ):
            return Words.CALLBACK_YES
    if invited and no_more:
        return Words.DONE
    return Words.DIALOGUE


class Net(enum.Enum):
    """What the safety net decides after a turn not understood."""

    RETRY = "retry"  # ask again
    TRANSFER = "transfer"  # agents on duty: transfer
    OFFER = "offer"  # centre closed: offer a callback
    OFFER_AGAIN = "offer_again"  # the offer was not taken up: make it once more
    TRANSFER_CLOSED = "transfer_closed"  # closed, and no callback to be had: the agents' line anyway


@dataclass
class SafetyNet:
    """Counts turns not understood in a row and decides when a human or a callback takes over.

    ``understood`` says whether the last turn was understood; ``invited`` whether, after it, the
    caller was asked if there is anything else (then silence or 没有了 ends the call politely).
    """

    max_failures: int = 2
    max_offers: int = 2
    failures: int = 0
    offers: int = 0
    understood: bool = False
    invited: bool = False

    def hit(self) -> None:
        """A turn was understood: start counting afresh."""
        self.failures = 0
        self.offers = 0
        self.understood = True
        self.invited = False

    def miss(self, *, staffed: Callable[[], bool] | None, can_call_back: bool) -> Net:
        """A turn was not understood; ``staffed`` (None: always) is asked only when the net is reached."""
        self.failures += 1
        self.understood = False
        self.invited = False
        if self.failures < self.max_failures:
            return Net.RETRY
        if _staffed(staffed):
            return Net.TRANSFER
        if not can_call_back or self.offers >= self.max_offers:
            return Net.TRANSFER_CLOSED
        self.offers += 1
        return Net.OFFER if self.offers == 1 else Net.OFFER_AGAIN

    @property
    def done_if_silent(self) -> bool:
        """Whether silence now means the caller has nothing more to ask."""
        return self.understood and self.invited


def _staffed(staffed: Callable[[], bool] | None) -> bool:
    if staffed is None:
        return True
    try:
        return bool(staffed())
    except Exception:  # an unreadable timetable must not strand the caller: try the agents
        log.exception("voice.ivr.staffed_failed")
        return True

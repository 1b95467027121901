"""Reply kinds, channels and ratings: the words the parts of the assistant exchange.

Each is a ``Literal`` type (for schemas and type checks) and a tuple of its values in display
order (for code that checks or lists them). The values are stored in the database and read by
the widget, the console and the evaluator, so they never change spelling.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ANSWER_KINDS",
    "CHANNELS",
    "DEFAULT_CHANNEL",
    "QUESTION_KINDS",
    "RATINGS",
    "REPLY_KINDS",
    "SATISFIED_RATINGS",
    "AnswerKind",
    "Channel",
    "Rating",
    "ReplyKind",
    "channel_or_default",
]

# What the knowledge base answers with: an answer, a question for the caller's 参保地, or abstaining.
AnswerKind = Literal["answer", "clarify_region", "abstain"]
# What a bot message is: ``custom.kind`` of a Rasa message and ``kind`` of a chat reply
# (docs/dialogue.md says how each arises).
ReplyKind = Literal[AnswerKind, "ticket", "greet", "goodbye", "ask_slot"]
ANSWER_KINDS: tuple[AnswerKind, ...] = get_args(AnswerKind)
REPLY_KINDS: tuple[ReplyKind, ...] = get_args(ReplyKind)
# Replies that ask the caller for something (a region, a form field), so an answer is awaited.
QUESTION_KINDS: frozenset[ReplyKind] = frozenset({"clarify_region", "ask_slot"})

# How the caller reached the hotline: the web widget, the phone line, or an agent typing for them.
Channel = Literal["web", "phone", "agent"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
DEFAULT_CHANNEL: Channel = "web"

# The caller's rating at the end of a chat and at a work order's 回访.
Rating = Literal["满意", "基本满意", "不满意"]
RATINGS: tuple[Rating, ...] = get_args(Rating)
SATISFIED_RATINGS: frozenset[Rating] = frozenset({"满意", "基本满意"})  # what 满意率 counts


def channel_or_default(value: object) -> Channel:
    """``value`` when it names a channel, else ``web`` (a channel adapter's metadata is not trusted)."""
    for channel in CHANNELS:
        if value == channel:
            return channel
    return DEFAULT_CHANNEL

"""vocab.terms: reply kinds, channels and ratings, and the API schemas that use them."""

from __future__ import annotations

from typing import get_args

import pytest

from api import schemas
from vocab.terms import (
    ANSWER_KINDS,
    CHANNELS,
    QUESTION_KINDS,
    RATINGS,
    REPLY_KINDS,
    SATISFIED_RATINGS,
    channel_or_default,
)


def test_values_in_display_order() -> None:
    assert REPLY_KINDS == ("answer", "clarify_region", "abstain", "ticket", "greet", "goodbye", "ask_slot")
    assert ANSWER_KINDS == REPLY_KINDS[:3]
    assert QUESTION_KINDS <= set(REPLY_KINDS)
    assert CHANNELS == ("web", "phone", "agent")
    assert RATINGS == ("满意", "基本满意", "不满意")
    assert SATISFIED_RATINGS == set(RATINGS[:2])


def test_the_schemas_use_the_vocabulary() -> None:
    assert get_args(schemas.ChatKind) == REPLY_KINDS
    assert get_args(schemas.AnswerKind) == ANSWER_KINDS
    assert get_args(schemas.TicketChannel) == CHANNELS
    assert get_args(schemas.Satisfaction) == RATINGS


@pytest.mark.parametrize(
    ("value", "channel"),
    [("phone", "phone"), ("agent", "agent"), ("web", "web"), ("sms", "web"), (None, "web"), ([1], "web")],
)
def test_an_unknown_channel_is_web(value: object, channel: str) -> None:
    assert channel_or_default(value) == channel

"""Builders for small transcripts and knowledge facts used by the inspection unit tests."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from inspection import Fact, Inspector, Transcript, parse_transcript
from inspection.context import Context
from inspection.ruleset import default_ruleset

SPEAKER = {"A": "agent", "C": "caller", "B": "bot"}
GREETING = "您好，12393医保服务热线，工号1027，请问有什么可以帮您？"
CLOSING = "感谢您的来电，稍后请您对本次服务进行评价，再见。"


def build(
    lines: Sequence[tuple[str, str] | tuple[str, str, float, float]],
    *,
    channel: str = "phone",
    tid: str = "T1",
    timed: bool = True,
) -> Transcript:
    """A transcript from (speaker, text) lines; speech at 4.5 chars/s with 0.6 s pauses unless given."""
    turns = []
    t = 0.4
    for line in lines:
        sp, text = line[0], line[1]
        turn: dict[str, object] = {"speaker": SPEAKER[sp], "text": text}
        if timed:
            if len(line) == 4:
                start, end = line[2], line[3]  # type: ignore[misc]
            else:
                start, end = t, t + max(0.8, len(text) / 4.5)
            turn["start"], turn["end"] = round(start, 2), round(end, 2)
            t = end + 0.6
        turns.append(turn)
    return parse_transcript({"id": tid, "channel": channel, "agent_id": "1027", "turns": turns})


def context(transcript: Transcript, *, facts: Sequence[Fact] | None = None) -> Context:
    lookup = (lambda _text: list(facts)) if facts is not None else None
    return Context(transcript, default_ruleset(), kb_lookup=lookup)


def polite_call(*middle: tuple[str, str]) -> Transcript:
    """A call with a proper greeting and closing around the given turns."""
    return build(
        [("A", GREETING), *middle, ("A", "请问还有其他问题吗？"), ("C", "没有了，谢谢。"), ("A", CLOSING)]
    )


@pytest.fixture
def inspector() -> Inspector:
    return Inspector()

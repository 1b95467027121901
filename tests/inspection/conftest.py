"""Builders for small transcripts and knowledge facts used by the inspection unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from api.settings import Settings
from inspection import Fact, Inspector, Transcript, parse_transcript
from inspection.context import Context
from inspection.ruleset import default_ruleset
from inspection.semantic import SemanticMatcher
from inspection.semantic_bank import Bank, Calibration, Label
from knowledge.embed import Embedder

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


FEATURES = ("快", "遍", "查", "医院", "等", "好", "办")


def keyword_encoder(texts: Sequence[str]) -> np.ndarray:
    """A tiny, deterministic stand-in for the sentence encoder: one axis per feature word.

    Sentences sharing feature words are close, so tests can state which example is nearest.
    """
    calls.append(list(texts))
    rows = []
    for text in texts:
        v = np.array([text.count(f) for f in FEATURES] + [0.2], dtype=np.float32)
        rows.append(v / np.linalg.norm(v))
    return np.stack(rows) if rows else np.zeros((0, len(FEATURES) + 1), np.float32)


calls: list[list[str]] = []


def tiny_bank() -> Bank:
    """Two problem labels and the ordinary sentences, with cue words."""
    return Bank(
        version="t",
        labels={
            "impatience": Label("impatience", "staff", ("快点快点说", "说了好几遍了"), ("快点", "几遍")),
            "deflection": Label("deflection", "staff", ("去医院问", "找医院去"), ("医院",)),
            "caller_open": Label("caller_open", "caller", ("还要等多久",), ("多久",)),
            "none": Label("none", "any", ("您好您好", "好的我帮您办", "办好了")),
        },
    )


def tiny_matcher(thresholds: dict[str, float] | None = None) -> SemanticMatcher:
    """A matcher over the tiny bank and the keyword encoder."""
    cal = Calibration(
        thresholds if thresholds is not None else {"impatience": 0.0, "deflection": 0.0, "caller_open": 0.0}
    )
    return SemanticMatcher(tiny_bank(), keyword_encoder, cal, k=1)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The knowledge base's real sentence-embedding model, loaded once for the session."""
    path = Settings().embedding_model
    if not (Path(path) / "config.json").exists():
        pytest.skip(f"embedding model not found at {path}")
    return Embedder(path, threads=1)

"""The transcript input model: validated once at the edge so that rules can trust it."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPEAKERS = ("agent", "caller", "bot")
MAX_TURNS = 2000
MAX_TURN_CHARS = 5000


@dataclass(frozen=True)
class Turn:
    """One utterance; ``start``/``end`` are seconds from the call start, None for untimed chat."""

    index: int
    speaker: str
    text: str
    start: float | None = None
    end: float | None = None

    @property
    def is_staff(self) -> bool:
        """Agent and bot turns are the ones the service norms apply to."""
        return self.speaker in ("agent", "bot")

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


@dataclass(frozen=True)
class Transcript:
    """A call or chat: id, channel, agent id and ordered turns."""

    id: str
    channel: str
    agent_id: str | None
    turns: tuple[Turn, ...]
    labels: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def timed(self) -> bool:
        """Whether every turn has start and end times (phone calls; most chats have none)."""
        return bool(self.turns) and all(t.start is not None and t.end is not None for t in self.turns)

    @property
    def staff_turns(self) -> tuple[Turn, ...]:
        return tuple(t for t in self.turns if t.is_staff)

    @property
    def caller_turns(self) -> tuple[Turn, ...]:
        return tuple(t for t in self.turns if t.speaker == "caller")


def _number(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def parse_transcript(raw: object) -> Transcript:
    """Build a Transcript from the JSON input format, raising ValueError/TypeError naming the field."""
    if not isinstance(raw, dict):
        raise TypeError(f"transcript must be a JSON object, got {type(raw).__name__}")
    tid = raw.get("id")
    if not isinstance(tid, str | int) or isinstance(tid, bool) or not str(tid).strip():
        raise ValueError("transcript.id must be a non-empty string")
    channel = raw.get("channel", "phone")
    if not isinstance(channel, str) or not channel.strip():
        raise ValueError("transcript.channel must be a non-empty string such as 'phone' or 'chat'")
    agent_id = raw.get("agent_id")
    if agent_id is not None and not isinstance(agent_id, str | int):
        raise TypeError("transcript.agent_id must be a string")
    turns_raw = raw.get("turns")
    if not isinstance(turns_raw, list):
        raise ValueError("transcript.turns must be a list of turns")
    if len(turns_raw) > MAX_TURNS:
        raise ValueError(f"transcript.turns has {len(turns_raw)} turns, more than {MAX_TURNS}")
    turns: list[Turn] = []
    for i, t in enumerate(turns_raw):
        where = f"transcript.turns[{i}]"
        if not isinstance(t, dict):
            raise TypeError(f"{where} must be an object")
        speaker = t.get("speaker")
        if speaker not in SPEAKERS:
            raise ValueError(f"{where}.speaker must be one of {', '.join(SPEAKERS)}, got {speaker!r}")
        text = t.get("text")
        if not isinstance(text, str):
            raise TypeError(f"{where}.text must be a string")
        if len(text) > MAX_TURN_CHARS:
            raise ValueError(f"{where}.text is longer than {MAX_TURN_CHARS} characters")
        start = _number(t.get("start"), f"{where}.start")
        end = _number(t.get("end"), f"{where}.end")
        if start is not None and end is not None and end < start:
            raise ValueError(f"{where}.end ({end}) is before start ({start})")
        turns.append(Turn(index=i, speaker=speaker, text=text.strip(), start=start, end=end))
    labels = raw.get("labels") if isinstance(raw.get("labels"), dict) else None
    return Transcript(
        id=str(tid).strip(),
        channel=channel.strip(),
        agent_id=str(agent_id) if agent_id is not None else None,
        turns=tuple(turns),
        labels=labels,
    )


def load_transcript(path: Path) -> Transcript:
    """Read and validate one transcript JSON file; errors name the file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    try:
        return parse_transcript(raw)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{path}: {exc}") from exc


@dataclass(frozen=True)
class Segment:
    """One recognised utterance of one channel of a two-channel recording (seconds, text)."""

    start: float
    end: float
    text: str


def merge_channels(
    *,
    transcript_id: str,
    agent: Sequence[Segment],
    caller: Sequence[Segment],
    agent_id: str | None = None,
    channel: str = "phone",
) -> Transcript:
    """Interleave the agent and caller channels of a call by start time into one transcript.

    Two-channel recordings are transcribed per channel; overlaps (interruptions) survive because
    each turn keeps its own start and end.
    """
    tagged = [("agent", s) for s in agent] + [("caller", s) for s in caller]
    tagged.sort(key=lambda x: (x[1].start, x[1].end))
    turns = [
        {"speaker": speaker, "start": s.start, "end": s.end, "text": s.text}
        for speaker, s in tagged
        if s.text.strip()
    ]
    return parse_transcript({"id": transcript_id, "channel": channel, "agent_id": agent_id, "turns": turns})

"""Caller anger that persists or rises while staff never acknowledge it (安抚)."""

from __future__ import annotations

from inspection.context import Context, RawFinding, quote
from inspection.emotion import default_anger_model


def anger_level(ctx: Context, turn_index: int) -> float:
    """0..1: 1 for a strong anger word, else the classifier's probability."""
    turn = ctx.transcript.turns[turn_index]
    if ctx.find("anger", turn):
        return 1.0
    model = ctx.anger_model or default_anger_model()
    return model.probability(turn.text)


def check(ctx: Context) -> list[RawFinding]:
    """At least two angry caller turns and no de-escalation from staff after the first one."""
    threshold = float(ctx.param("anger_threshold"))
    angry = [t for t in ctx.transcript.caller_turns if anger_level(ctx, t.index) >= threshold]
    if len(angry) < 2:
        return []
    first = angry[0].index
    calmed = any(ctx.find("deescalation", t) for t in ctx.transcript.staff_turns if t.index > first)
    if calmed:
        return []
    return [
        RawFinding(
            "emotion.unaddressed",
            tuple(t.index for t in angry),
            tuple(quote(t.text, 80) for t in angry[:4]),
            f"来电人{len(angry)}次表现出愤怒，坐席没有安抚",
        )
    ]

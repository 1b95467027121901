"""Caller anger that persists or rises while staff never acknowledge it (安抚)."""

from __future__ import annotations

import re

from inspection.context import Context, RawFinding, quote
from inspection.emotion import default_anger_model
from inspection.pieces import CLAUSE_CHARS, is_spoken
from inspection.textmatch import normalize

_SENTENCE = re.compile(r"(?<=[。！？!?])")


def anger_level(ctx: Context, turn_index: int) -> float:
    """0..1: 1 for a strong anger word, else the classifier's probability."""
    turn = ctx.transcript.turns[turn_index]
    if ctx.find("anger", turn):
        return 1.0
    model = ctx.anger_model or default_anger_model()
    return model.probability(turn.text)


def angry_sentences(ctx: Context, text: str, threshold: float) -> int:
    """How many sentences of a turn are angry (a strong anger word, or the classifier's probability).
    Recognised speech shows no sentence ends: an unpunctuated turn longer than two clauses is read
    as that many sentences when the classifier finds it angry as a whole (越想越来气 heard without its
    exclamation marks); an anger word matched by sound somewhere in a long turn is not enough."""
    model = ctx.anger_model or default_anger_model()
    length = len(normalize(text).chars)
    if is_spoken(text) and length > 2 * CLAUSE_CHARS:
        return length // CLAUSE_CHARS if model.probability(text) >= threshold else 0
    parts = [s for s in _SENTENCE.split(text) if s.strip()]
    return sum(
        1
        for s in parts
        if model.probability(s) >= threshold or ctx.ruleset.matcher("anger").find(normalize(s))
    )


def _outburst(ctx: Context, threshold: float) -> list[int]:
    """A caller turn that rises in anger sentence by sentence (我跑了三家药店…就是折腾老百姓！我真是越想越
    来气！) to which staff's next turn answers with neither comfort nor action (a work order, a transfer):
    anger met with nothing, as when it comes twice."""
    for t in ctx.transcript.caller_turns:
        if angry_sentences(ctx, t.text, threshold) < 2:
            continue
        reply = next((s for s in ctx.transcript.staff_turns if s.index > t.index), None)
        if reply is not None and not ctx.find("deescalation", reply) and not ctx.find("resolution", reply):
            return [t.index]
    return []


def check(ctx: Context) -> list[RawFinding]:
    """At least two angry caller turns and no de-escalation from staff after the first one, or one
    outburst that staff's reply leaves unaddressed."""
    threshold = float(ctx.param("anger_threshold"))
    angry = [t for t in ctx.transcript.caller_turns if anger_level(ctx, t.index) >= threshold]
    if len(angry) < 2:
        turns = _outburst(ctx, threshold)
        if not turns:
            return []
        angry = [ctx.transcript.turns[i] for i in turns]
    first = angry[0].index
    calmed = any(ctx.find("deescalation", t) for t in ctx.transcript.staff_turns if t.index > first)
    if calmed:
        return []
    return [
        RawFinding(
            "emotion.unaddressed",
            tuple(t.index for t in angry),
            tuple(quote(t.text, 80) for t in angry[:4]),
            f"来电人{len(angry)}次表现出愤怒，坐席没有安抚"
            if len(angry) > 1
            else "来电人一再发火，坐席的答复既没有安抚也没有处理",
        )
    ]

"""Conversation dynamics from turn timings: long silences, interruptions, speech rate.

Only timed transcripts (phone calls) are checked; untimed chat has no timings to judge.
"""

from __future__ import annotations

import re

from inspection.context import Context, RawFinding, quote
from inspection.transcript import Turn


def _silences(ctx: Context, turns: tuple[Turn, ...]) -> list[RawFinding]:
    limit = float(ctx.param("silence_s"))
    hold_limit = float(ctx.param("hold_silence_s"))
    out = []
    last_end = turns[0].end or 0.0
    for prev, cur in zip(turns, turns[1:], strict=False):
        last_end = max(last_end, prev.end or 0.0)
        gap = (cur.start or 0.0) - last_end
        if gap <= limit:
            continue
        if prev.is_staff:
            # The caller is silent after the agent spoke: only dead air after a hold counts.
            if not ctx.find("hold", prev) or gap <= hold_limit:
                continue
        out.append(
            RawFinding(
                "dynamics.silence",
                (prev.index, cur.index),
                (quote(prev.text, 60), quote(cur.text, 60)),
                f"第{prev.index + 1}句与第{cur.index + 1}句之间静默{gap:.0f}秒",
            )
        )
    return out


_BACKCHANNEL = re.compile(r"嗯|好的|好|对对|对|是的|是|哦|噢|明白|了解|行|您说|您请说|请说")


def _is_backchannel(chars: str, limit: int) -> bool:
    """Short listening signals (嗯, 好的, 对对) overlap speech without taking the turn."""
    return len(chars) <= limit or not _BACKCHANNEL.sub("", chars)


def _interruptions(ctx: Context, turns: tuple[Turn, ...]) -> list[RawFinding]:
    min_overlap = float(ctx.param("interruption_min_overlap_s"))
    backchannel = int(ctx.param("backchannel_chars"))
    out = []
    last_caller: Turn | None = None
    for cur in turns:
        if cur.speaker == "caller":
            last_caller = cur
            continue
        if last_caller is None or _is_backchannel(ctx.norm(cur).chars, backchannel):
            continue
        overlap = (last_caller.end or 0.0) - (cur.start or 0.0)
        if overlap >= min_overlap:
            out.append(
                RawFinding(
                    "dynamics.interruption",
                    (last_caller.index, cur.index),
                    (quote(last_caller.text, 60), quote(cur.text, 60)),
                    f"来电人还没说完，坐席提前{overlap:.1f}秒开口",
                )
            )
            last_caller = None
    return out


def _speech_rate(ctx: Context, turns: tuple[Turn, ...]) -> list[RawFinding]:
    turn_max = float(ctx.param("speech_rate_turn_max_cps"))
    mean_max = float(ctx.param("speech_rate_mean_max_cps"))
    min_chars = int(ctx.param("speech_rate_min_chars"))
    fast: list[tuple[Turn, float]] = []
    chars_total = 0
    secs_total = 0.0
    for t in turns:
        if t.speaker != "agent" or not t.duration or t.duration <= 0:
            continue
        n = len(ctx.norm(t).chars)
        if n < min_chars:
            continue
        chars_total += n
        secs_total += t.duration
        cps = n / t.duration
        if cps > turn_max:
            fast.append((t, cps))
    mean = chars_total / secs_total if secs_total else 0.0
    if not fast and mean <= mean_max:
        return []
    shown = sorted(fast, key=lambda x: -x[1])[:3]
    detail = f"坐席平均语速每秒{mean:.1f}字"
    if shown:
        detail += f"；最快一句每秒{shown[0][1]:.1f}字"
    return [
        RawFinding(
            "dynamics.speech_rate",
            tuple(t.index for t, _ in shown),
            tuple(quote(t.text, 60) for t, _ in shown),
            detail,
        )
    ]


def check(ctx: Context) -> list[RawFinding]:
    """Silence, interruption and speech-rate findings for timed transcripts."""
    if not ctx.transcript.timed:
        return []
    turns = ctx.transcript.turns
    return _silences(ctx, turns) + _interruptions(ctx, turns) + _speech_rate(ctx, turns)

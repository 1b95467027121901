"""The call ends with the caller's problem unresolved and no work order, transfer or callback.

Signals: the caller gives up or says the matter is still open (phrases, or sentences like the
``caller_open`` examples in the last turns), staff say they cannot help, push the caller away, or
leave the matter hanging with no next step (``vague`` examples: 您再等等吧, 说不好), or answer
with a promise that names no one and no date (``noncommittal``: 会关注的, 等通知吧, 看情况再说) in a
turn that gives no materials and no time limit.
"""

from __future__ import annotations

import re

from inspection.context import Context, RawFinding, quote
from inspection.rules.first_contact import deflections, has_resolution
from inspection.rules.howto import gives_howto
from inspection.rules.semantic import hits_for

_QUESTION = re.compile(r"[?？吗呢]|咋|怎么|哪")
ANSWER_CHARS = 12  # a staff turn this long that is no closing formula and no vague hit answers the caller


def noncommittal(ctx: Context) -> list[tuple[int, str]]:
    """Staff turns that promise or ask to wait with no one and no date, and give nothing concrete."""
    return [
        (t.index, m.evidence)
        for t in ctx.transcript.staff_turns
        if not gives_howto(t.text)
        for m in ctx.find("noncommittal", t)
    ]


def caller_plans(ctx: Context) -> bool:
    """Whether the caller ends by saying what they will do next (那我明天去窗口问): a push elsewhere
    then leaves the matter with a next step, which is a first-contact finding, not an open one."""
    return any(
        ctx.find("caller_plan", t) and not _QUESTION.search(t.text) for t in ctx.transcript.caller_turns[-2:]
    )


def answered_after(ctx: Context, index: int) -> bool:
    """Whether staff gave a real answer after turn ``index`` (not a closing formula, not a vague reply)."""
    vague = {h.turn for h in hits_for(ctx, "vague")} | {i for i, _ in noncommittal(ctx)}
    for t in ctx.transcript.staff_turns:
        if t.index <= index or t.index in vague:
            continue
        if any(ctx.find(lex, t) for lex in ("farewell", "satisfaction", "staff_unable", "deflection")):
            continue
        if len(ctx.norm(t).chars) >= ANSWER_CHARS:
            return True
    return False


def answered_around(ctx: Context, index: int) -> bool:
    """Whether staff told the caller how to proceed (materials, a committed time limit) in a later
    turn, or in the turn just before ``index``: then "我也管不着" followed by "二十四小时之内回复",
    or "对，等着就行" after "主动推送给您，零材料", leaves nothing open."""
    first = next(iter(ctx.transcript.caller_turns), None)
    before = [t for t in ctx.transcript.staff_turns if first is not None and first.index < t.index < index]
    later = [t for t in ctx.transcript.staff_turns if t.index > index]
    return any(gives_howto(t.text) for t in [*before[-1:], *later])


def check(ctx: Context) -> list[RawFinding]:
    """Caller gives up, or staff say they cannot help or push the caller away, and nothing is logged."""
    if has_resolution(ctx):
        return []
    signals: list[tuple[int, str]] = []
    callers = ctx.transcript.caller_turns
    for t in callers[-3:]:
        for m in ctx.find("caller_unresolved", t):
            signals.append((t.index, m.evidence))
    staff: list[tuple[int, str]] = [
        (t.index, m.evidence) for t in ctx.transcript.staff_turns for m in ctx.find("staff_unable", t)
    ]
    for pushed in deflections(ctx) if not caller_plans(ctx) else ():  # every turn it names; its quotes once
        signals.extend((turn, "") for turn in pushed.turns)
        signals.extend((pushed.turns[0], e) for e in pushed.evidence)
    staff.extend((h.turn, h.text) for h in hits_for(ctx, "vague"))
    staff.extend(noncommittal(ctx))
    signals.extend((i, e) for i, e in staff if not answered_around(ctx, i))
    # "那我该怎么办？" is an open matter only when staff did not answer it afterwards.
    signals.extend((h.turn, h.text) for h in hits_for(ctx, "caller_open") if not answered_after(ctx, h.turn))
    if not signals:
        return []
    signals.sort()
    turns = tuple(dict.fromkeys(i for i, _ in signals))
    evidence = tuple(dict.fromkeys(quote(e) for _, e in signals if e))
    return [RawFinding("unresolved.no_ticket", turns, evidence, "问题没有解决，也没有登记工单或转接")]

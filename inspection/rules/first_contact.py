"""首问负责: the agent pushes the caller elsewhere without a transfer or a work order."""

from __future__ import annotations

from inspection.context import Context, RawFinding, quote
from inspection.rules.semantic import evidence, hits_for


def has_resolution(ctx: Context) -> bool:
    """Whether staff transferred the call, opened a work order or promised a callback."""
    return any(ctx.find("resolution", t) for t in ctx.transcript.staff_turns)


def deflections(ctx: Context) -> list[RawFinding]:
    """Staff turns that push the caller elsewhere, as one finding (before the work-order check)."""
    turns = [t for t in ctx.transcript.staff_turns if ctx.find("deflection", t)]
    quotes = [quote(m.evidence) for t in turns for m in ctx.find("deflection", t)]
    detail = "把来电人推给其他单位或窗口，既没有转接也没有登记工单"
    lexical = {t.index for t in turns}
    similar = [h for h in hits_for(ctx, "deflection") if h.turn not in lexical]
    if not turns and not similar:
        return []
    if similar and not turns:
        detail += "（" + evidence(similar[0]) + "）"
    indexes = sorted(lexical | {h.turn for h in similar})
    quotes += [quote(h.text) for h in similar]
    return [RawFinding("first_contact.deflection", tuple(indexes), tuple(dict.fromkeys(quotes)), detail)]


def check(ctx: Context) -> list[RawFinding]:
    """A deflection counts only when the call has no transfer, work order or callback."""
    if has_resolution(ctx):
        return []
    return deflections(ctx)

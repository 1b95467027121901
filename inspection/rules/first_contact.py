"""首问负责: the agent pushes the caller elsewhere without a transfer or a work order."""

from __future__ import annotations

from inspection.context import Context, RawFinding, quote


def has_resolution(ctx: Context) -> bool:
    """Whether staff transferred the call, opened a work order or promised a callback."""
    return any(ctx.find("resolution", t) for t in ctx.transcript.staff_turns)


def deflections(ctx: Context) -> list[RawFinding]:
    """Staff turns that push the caller elsewhere, as one finding (before the work-order check)."""
    turns = [t for t in ctx.transcript.staff_turns if ctx.find("deflection", t)]
    if not turns:
        return []
    evidence = tuple(quote(m.evidence) for t in turns for m in ctx.find("deflection", t))
    return [
        RawFinding(
            "first_contact.deflection",
            tuple(t.index for t in turns),
            evidence,
            "把来电人推给其他单位或窗口，既没有转接也没有登记工单",
        )
    ]


def check(ctx: Context) -> list[RawFinding]:
    """A deflection counts only when the call has no transfer, work order or callback."""
    if has_resolution(ctx):
        return []
    return deflections(ctx)

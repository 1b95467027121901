"""The call ends with the caller's problem unresolved and no work order or transfer."""

from __future__ import annotations

from inspection.context import Context, RawFinding, quote
from inspection.rules.first_contact import has_resolution


def check(ctx: Context) -> list[RawFinding]:
    """Caller gives up, or staff say they cannot help or push the caller away, and nothing is logged."""
    if has_resolution(ctx):
        return []
    signals: list[tuple[int, str]] = []
    callers = ctx.transcript.caller_turns
    for t in callers[-3:]:
        for m in ctx.find("caller_unresolved", t):
            signals.append((t.index, m.evidence))
    for t in ctx.transcript.staff_turns:
        for lex in ("staff_unable", "deflection"):
            for m in ctx.find(lex, t):
                signals.append((t.index, m.evidence))
    if not signals:
        return []
    signals.sort()
    turns = tuple(dict.fromkeys(i for i, _ in signals))
    evidence = tuple(dict.fromkeys(quote(e) for _, e in signals))
    return [RawFinding("unresolved.no_ticket", turns, evidence, "问题没有解决，也没有登记工单或转接")]

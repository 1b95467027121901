"""首问负责: the agent pushes the caller elsewhere without a transfer or a work order.

Three signals: a deflection phrase (不归我们管, 找医院问), a referral (得去窗口问, 找单位去,
这个不是我们这边的) and a sentence like the bank's deflection examples. A referral or a
sentence like one is a push away only when staff gave no answer themselves (``helped``: no
materials, no time limit, no yes/no on the rule); beside such an answer, "去窗口办" says where to go.
"""

from __future__ import annotations

from inspection.context import Context, RawFinding, quote
from inspection.rules.howto import gives_howto
from inspection.rules.semantic import evidence, hits_for
from inspection.transcript import Turn


def has_resolution(ctx: Context) -> bool:
    """Whether staff transferred the call, opened a work order or promised a callback."""
    return ctx.resolved()


def _answers(ctx: Context, turn: Turn) -> bool:
    if gives_howto(turn.text):
        return True
    norm = ctx.norm(turn)
    return any(
        ctx.ruleset.claim_matcher(topic, polarity).find(norm)
        for topic in ctx.ruleset.claims
        for polarity in ("positive", "negative")
    )


def helped(ctx: Context) -> bool:
    """Whether staff answered the caller themselves after the first question: materials, a time
    limit, or a yes/no on the rule (不用备案); then a referral is about the rest, not a push away."""
    memo = ctx.memo.get("helped")
    if memo is None:
        first = next(iter(ctx.transcript.caller_turns), None)
        memo = ctx.memo["helped"] = first is not None and any(
            _answers(ctx, t)
            for t in ctx.transcript.staff_turns
            if t.index > first.index and not ctx.find("farewell", t) and not ctx.find("satisfaction", t)
        )
    return bool(memo)


def deflections(ctx: Context) -> list[RawFinding]:
    """Staff turns that push the caller elsewhere, as one finding (before the work-order check)."""
    if helped(ctx):
        return []
    lexicons = ("deflection", "referral")
    found = {t.index: [m for lex in lexicons for m in ctx.find(lex, t)] for t in ctx.transcript.staff_turns}
    found = {i: ms for i, ms in found.items() if ms}
    quotes = [quote(m.evidence) for ms in found.values() for m in ms]
    detail = "把来电人推给其他单位或窗口，既没有转接也没有登记工单"
    similar = [h for h in hits_for(ctx, "deflection") if h.turn not in found]
    if not found and not similar:
        return []
    if similar and not found:
        detail += "（" + evidence(similar[0]) + "）"
    indexes = sorted(set(found) | {h.turn for h in similar})
    quotes += [quote(h.text) for h in similar]
    return [RawFinding("first_contact.deflection", tuple(indexes), tuple(dict.fromkeys(quotes)), detail)]


def check(ctx: Context) -> list[RawFinding]:
    """A deflection counts only when the call has no transfer, work order or callback."""
    if has_resolution(ctx):
        return []
    return deflections(ctx)

"""服务禁语: forbidden phrases and their variants in agent or bot speech."""

from __future__ import annotations

from inspection.context import Context, RawFinding, quote


def check(ctx: Context) -> list[RawFinding]:
    """One finding per staff turn that contains a forbidden phrase."""
    out = []
    for turn in ctx.transcript.staff_turns:
        found = ctx.find("forbidden", turn)
        if found:
            phrases = "、".join(dict.fromkeys(m.phrase for m in found))
            out.append(
                RawFinding(
                    "forbidden.phrase",
                    (turn.index,),
                    tuple(quote(m.evidence) for m in found),
                    f"服务禁语：{phrases}",
                )
            )
    return out

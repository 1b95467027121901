"""服务禁语 and 不耐烦用语: listed phrases and their variants in agent or bot speech.

The boundary between the two: a phrase that refuses responsibility, knowledge or help, or brushes
the caller off (不归我们管, 你自己去查, 我不知道, 爱找谁找谁, 投诉也没用) is a forbidden phrase
(``data/forbidden.txt``); one aimed at the caller themselves, blaming, scorning or hurrying them
(听不明白吗, 说了多少遍, 有完没完, 这么简单都不会) is impatience, a politeness finding
(``data/impatient.txt``). The semantic banks draw the same line (``forbidden`` / ``impatience``).
"""

from __future__ import annotations

from inspection.context import Context, RawFinding, quote
from inspection.transcript import Turn

# lexicon -> (rule, how the finding's detail starts)
LISTED = {"forbidden": ("forbidden.phrase", "服务禁语"), "impatient": ("politeness.impatience", "不耐烦用语")}


def listed(ctx: Context, turn: Turn) -> bool:
    """Whether a turn holds a listed forbidden or impatient phrase (it explains the turn)."""
    return any(ctx.find(lexicon, turn) for lexicon in LISTED)


def check(ctx: Context) -> list[RawFinding]:
    """One finding per staff turn and lexicon that the turn holds phrases of."""
    out = []
    for turn in ctx.transcript.staff_turns:
        for lexicon, (rule, what) in LISTED.items():
            found = ctx.find(lexicon, turn)
            if found:
                phrases = "、".join(dict.fromkeys(m.phrase for m in found))
                out.append(
                    RawFinding(
                        rule, (turn.index,), tuple(quote(m.evidence) for m in found), f"{what}：{phrases}"
                    )
                )
    return out

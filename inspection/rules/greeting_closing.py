"""服务规范: an opening greeting with the agent number, polite forms, a closing and a rating invitation."""

from __future__ import annotations

import re

from inspection.context import Context, RawFinding, quote
from inspection.textmatch import NormText, PhraseMatcher
from vocab.numerals import SPOKEN_DIGITS

_NUMERAL = rf"(?:\d{{2,6}}|[{SPOKEN_DIGITS}]{{2,6}})"
_NUMBER_AFTER = re.compile(rf"^(?:是|为)?{_NUMERAL}")
_NUMBER_BEFORE = re.compile(rf"{_NUMERAL}$")
_GONGHAO = PhraseMatcher(["工号"], max_fillers=0)
# Matched by sound: a recogniser writes 1027号划务员 for 话务员.
_ROLE_AFTER = PhraseMatcher(
    ["号话务员", "号坐席", "号客服", "号接线员", "号服务专员", "号为您服务"], max_fillers=0
)


# An opening's "NNNN号" is the agent's number whatever follows it (2731号很高兴为您服务, 热线2264号，请问);
# a number read into the hotline's name (一二三九三) or a date is not followed by 号.
_NUMBER_HAO = re.compile(rf"{_NUMERAL}号")


def has_agent_number(norm: NormText) -> bool:
    """Whether an utterance states the agent number (工号1027, 公号幺零二七, 1027号话务员, 1027号很高兴…)."""
    if any(_NUMBER_AFTER.match(norm.chars[m.end : m.end + 8]) for m in _GONGHAO.find(norm)):
        return True
    if _NUMBER_HAO.search(norm.chars):
        return True
    return any(
        _NUMBER_BEFORE.search(norm.chars[max(0, m.start - 6) : m.start]) for m in _ROLE_AFTER.find(norm)
    )


def _opening(ctx: Context) -> list[RawFinding]:
    staff = ctx.transcript.staff_turns
    if not staff:
        return []
    first = staff[0]
    missing = []
    if first.index > 1:
        missing.append("坐席未先开口问候")
    if not ctx.find("greeting", first):
        missing.append("缺少问候语")
    if first.speaker == "agent" and not has_agent_number(ctx.norm(first)):
        missing.append("未报工号")
    if not missing:
        return []
    return [RawFinding("greeting.opening", (first.index,), (quote(first.text),), "；".join(missing))]


def _polite_count(text: str, words: list[str]) -> int:
    return sum(text.count(w) for w in words)


def _politeness(ctx: Context) -> list[RawFinding]:
    # The scripted opening says 您 twice whatever the agent does later: judge the rest of the call.
    staff = [t for t in ctx.transcript.staff_turns if t.speaker == "agent"][1:]
    if len(staff) < int(ctx.param("politeness_min_turns")):
        return []
    words = [e.phrase for e in ctx.ruleset.lexicons["polite"]]
    polite = sum(_polite_count(ctx.norm(t).chars, words) for t in staff)
    ni_turns = []
    ni = nin = 0
    for t in staff:
        chars = ctx.norm(t).chars
        n = len(re.findall(r"你(?![好们])", chars))
        ni += n
        nin += chars.count("您")
        if n:
            ni_turns.append(t)
    density = polite / len(staff)
    reasons = []
    if density < float(ctx.param("politeness_min_per_turn")):
        reasons.append(f"礼貌用语偏少（每句平均{density:.2f}个）")
    if ni >= 3 and nin == 0:
        reasons.append(f"称呼来电人用“你”{ni}次、从未用“您”")
    if not reasons:
        return []
    shown = ni_turns[:3] or staff[:3]
    return [
        RawFinding(
            "politeness.forms",
            tuple(t.index for t in shown),
            tuple(quote(t.text) for t in shown),
            "；".join(reasons),
        )
    ]


def _closing(ctx: Context) -> list[RawFinding]:
    staff = ctx.transcript.staff_turns
    if len(ctx.transcript.turns) < 2 or not staff:
        return []
    # The closing is the end of the call: the last few staff turns, or from the first goodbye in the
    # second half of the call when the caller kept talking after it.
    start = len(staff) - int(ctx.param("closing_window"))
    for i in range(len(staff) // 2, len(staff)):
        if ctx.find("farewell", staff[i]):
            start = min(start, i)
            break
    window = staff[max(start, 0) :]
    last = staff[-1]
    out = []
    if not any(ctx.find("farewell", t) for t in window):
        out.append(RawFinding("closing.farewell", (last.index,), (quote(last.text),), "结束时没有结束语"))
    if not any(ctx.find("satisfaction", t) for t in window):
        out.append(
            RawFinding(
                "closing.satisfaction", (last.index,), (quote(last.text),), "结束时没有邀请来电人评价服务"
            )
        )
    return out


def check(ctx: Context) -> list[RawFinding]:
    """Opening, politeness and closing findings."""
    return _opening(ctx) + _politeness(ctx) + _closing(ctx)

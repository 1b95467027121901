"""The call ends with the caller's problem unresolved and no work order, transfer or callback.

Signals: the caller gives up or says the matter is still open (phrases, or sentences like the
``caller_open`` examples in the last turns), staff say they cannot help, push the caller away, or
leave the matter hanging with no next step (``vague`` examples: 您再等等吧, 说不好), or answer
with a promise that names no one and no date (``noncommittal``: 会关注的, 等通知吧, 看情况再说) in a
turn that gives no materials and no time limit. A caller who asks when (要等几天, 什么时候能到, 什么时候
给我回电) and whom no later staff turn gives a time, a day, materials or a committed limit (会有人处理的,
有结果会通知您的) is left with the matter open too.
"""

from __future__ import annotations

import re

from inspection.claims import has_time_expression
from inspection.context import Context, RawFinding, quote
from inspection.rules.first_contact import answers, deflections, has_resolution
from inspection.rules.howto import gives_howto
from inspection.rules.semantic import hits_for

_QUESTION = re.compile(r"[?？吗呢]|咋|怎么|哪")
# The caller asks when the matter is settled: how long, which day, when the money or a call comes.
_WHEN = re.compile(r"多久|多长时间|多少天|(?<![好这前过那头])几天|几个工作日|什么时候|啥时候|哪天|几号")
# A reply that names a time: a duration, a day (明天, 下周, 月底) or 当天/马上.
_DAY = re.compile(r"今天|明天|后天|下周|下个?星期|下个?礼拜|下个?月|月底|月初|[0-9一二三四五六七八九十]+号")
ANSWER_CHARS = 12  # a staff turn this long that is no closing formula and no vague hit answers the caller


def noncommittal(ctx: Context) -> list[tuple[int, str]]:
    """Staff turns that promise or ask to wait with no one and no date, and give nothing concrete."""
    return [
        (t.index, m.evidence)
        for t in ctx.transcript.staff_turns
        if not gives_howto(t.text)
        for m in ctx.find("noncommittal", t)
    ]


# "我可不想再被推来推去了": a caller's words about what they fear or refuse report nothing that happened.
_WORRY = re.compile(r"不想|别再|别又|怕|不要再|可别")


def when_unanswered(ctx: Context) -> list[tuple[int, str]]:
    """Caller questions asking when (要等几天?) that no later staff turn answers with a time, a
    committed next step or materials (会有人处理的, 有结果会通知您的)."""
    out = []
    for t in ctx.transcript.caller_turns:
        if not _WHEN.search(t.text):
            continue
        later = [r for r in ctx.transcript.staff_turns if r.index > t.index]
        if later and not any(
            has_time_expression(r.text) or _DAY.search(r.text) or gives_howto(r.text) for r in later
        ):
            out.append((t.index, t.text))
    return out


def caller_plans(ctx: Context) -> bool:
    """Whether the caller ends by saying what they will do next (那我明天去窗口问): a push elsewhere
    then leaves the matter with a next step, which is a first-contact finding, not an open one."""
    return any(
        ctx.find("caller_plan", t) and not _QUESTION.search(t.text) for t in ctx.transcript.caller_turns[-2:]
    )


def accepts_answer(ctx: Context, index: int, text: str) -> bool:
    """Whether a caller's line that reads like an open matter (那俺等着) is no question and follows a staff
    turn that answered (材料上门收集，全程帮办): the caller takes the answer, nothing is left open."""
    before = [t for t in ctx.transcript.staff_turns if t.index < index]
    return not _QUESTION.search(text) and bool(before) and answers(ctx, before[-1])


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
    """Whether staff answered the caller themselves (materials, a time limit, a figure, a yes or no:
    可以，在开通了的医院用手机结算) in a later turn that is not itself vague, or in the turn just
    before ``index``: then "我也管不着" followed by "二十四小时之内回复",
    or "对，等着就行" after "主动推送给您，零材料", leaves nothing open."""
    first = next(iter(ctx.transcript.caller_turns), None)
    before = [t for t in ctx.transcript.staff_turns if first is not None and first.index < t.index < index]
    later = [t for t in ctx.transcript.staff_turns if t.index > index]
    vague = {h.turn for h in hits_for(ctx, "vague")} | {i for i, _ in noncommittal(ctx)}
    return any(answers(ctx, t) for t in [*before[-1:], *later] if t.index not in vague)


def check(ctx: Context) -> list[RawFinding]:
    """Caller gives up, or staff say they cannot help or push the caller away, and nothing is logged."""
    if has_resolution(ctx):
        return []
    signals: list[tuple[int, str]] = []
    callers = ctx.transcript.caller_turns
    for t in callers[-3:]:
        chars = ctx.norm(t).chars
        # Like the sentences below: a question staff then answered ("那我咋办？" before the steps)
        # leaves nothing open; giving up ("那算了吧") is open whatever came before it.
        settled = bool(_QUESTION.search(t.text)) and answered_after(ctx, t.index)
        for m in ctx.find("caller_unresolved", t) if not settled else ():
            if not _WORRY.search(chars[max(0, m.start - 6) : m.start]):
                signals.append((t.index, m.evidence))
    staff: list[tuple[int, str]] = [
        (t.index, m.evidence) for t in ctx.transcript.staff_turns for m in ctx.find("staff_unable", t)
    ]
    for pushed in deflections(ctx) if not caller_plans(ctx) else ():  # every turn it names; its quotes once
        signals.extend((turn, "") for turn in pushed.turns)
        signals.extend((pushed.turns[0], e) for e in pushed.evidence)
    staff.extend((h.turn, h.text) for h in hits_for(ctx, "vague"))
    staff.extend(noncommittal(ctx))
    signals.extend(when_unanswered(ctx))
    signals.extend((i, e) for i, e in staff if not answered_around(ctx, i))
    # "那我该怎么办？" is an open matter only when staff did not answer it afterwards.
    signals.extend(
        (h.turn, h.text)
        for h in hits_for(ctx, "caller_open")
        if not answered_after(ctx, h.turn) and not accepts_answer(ctx, h.turn, h.text)
    )
    if not signals:
        return []
    signals.sort()
    turns = tuple(dict.fromkeys(i for i, _ in signals))
    evidence = tuple(dict.fromkeys(quote(e) for _, e in signals if e))
    return [RawFinding("unresolved.no_ticket", turns, evidence, "问题没有解决，也没有登记工单或转接")]

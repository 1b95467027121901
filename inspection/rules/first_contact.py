"""首问负责: the agent pushes the caller elsewhere without a transfer or a work order.

Three signals: a deflection phrase (不归我们管, 找医院问), a referral (得去窗口问, 找单位去,
这个不是我们这边的) and a sentence like the bank's deflection examples. A referral or a
sentence like one is a push away only when staff gave no answer themselves (``helped``: no
materials, no time limit, no yes/no on the rule); beside such an answer, "去窗口办" says where to go.
"""

from __future__ import annotations

import re

from inspection.claims import quantities, split_clauses
from inspection.context import Context, RawFinding, quote
from inspection.pieces import is_spoken
from inspection.rules.howto import gives_howto
from inspection.rules.semantic import evidence, hits_for
from inspection.textmatch import normalize, sound_pattern
from inspection.transcript import Turn


def has_resolution(ctx: Context) -> bool:
    """Whether staff transferred the call, opened a work order or promised a callback."""
    return ctx.resolved()


# A reply that opens with a yes or a no (能。/ 可以，/ 行，/ 不用。) to the caller's question just before.
_YES_NO = re.compile(r"^(?:可以|能|行|不用|不能|不行|需要|不需要|要|不要|会|不会|是的|对)[，。！,.!]")
# Recognised speech has no punctuation: a narrower set of words that open such a reply (可以大连有…).
_YES_NO_BARE = re.compile(r"^(?:嗯|那个)?(?:可以|能|行|不用|不能|不行|不需要|是的)")
_PUNCT = re.compile(r"[，。？！,.?!]")


def yes_no(ctx: Context, turn: Turn) -> bool:
    """Whether staff answer the caller's question just before with a yes or no of their own
    (not a yes to a push: 行，您去窗口问吧)."""
    before = ctx.transcript.turns[turn.index - 1] if turn.index else None
    return (
        before is not None
        and before.speaker != turn.speaker
        and bool(re.search(r"[?？吗]|能不能|行不行|是不是|可不可以|要不要", before.text))
        and bool((_YES_NO if _PUNCT.search(turn.text) else _YES_NO_BARE).match(turn.text))
        and not asks_elsewhere(turn.text)
        and not any(ctx.find(lex, turn) for lex in ("deflection", "referral"))
    )


def answers(ctx: Context, turn: Turn) -> bool:
    """Whether a staff turn answers the caller itself: how-to, a figure, a claim on the rule, a yes/no."""
    if gives_howto(turn.text) or any(quantities(c) for c in split_clauses(turn.text)) or yes_no(ctx, turn):
        return True
    norm = ctx.norm(turn)
    return any(
        ctx.ruleset.claim_matcher(topic, polarity).find(norm)
        for topic in ctx.ruleset.claims
        for polarity in ("positive", "negative")
    )


def helped(ctx: Context) -> bool:
    """Whether staff answered the caller themselves after the first question: materials, a time
    limit, a figure (起付六百元, 报百分之七十) or a yes/no on the rule (不用备案); then a referral is
    about the rest (去之前可以先问一下医院开通没有), not a push away."""
    memo = ctx.memo.get("helped")
    if memo is None:
        first = next(iter(ctx.transcript.caller_turns), None)
        memo = ctx.memo["helped"] = first is not None and any(
            answers(ctx, t)
            for t in ctx.transcript.staff_turns
            if t.index > first.index and not ctx.find("farewell", t) and not ctx.find("satisfaction", t)
        )
    return bool(memo)


# Another body named as the one to ask: 这得问药店, 您问卫健部门吧, 您到苏州那边的医保局问,
# 是医院那边的事. Like a referral, a push away only when staff answered nothing themselves.
_BODY = (
    r"医保局|医保中心|医保部门|经办机构|社保局|社保中心|卫健|卫生健康|人社|税务|民政|残联|公安|派出所"
    r"|药店|医院|社区|街道|居委会|村委会|单位|窗口|银行|保险公司|厂家|护士|医生|大夫|那边"
)
_STOP = r"[^，。？！；,?!;]"
_ASK_BODY = re.compile(
    rf"(?:得|要|就|您|你)(?:去|到){_STOP}{{0,8}}?(?:{_BODY}){_STOP}{{0,4}}?(?:问|咨询|打听)(?!的|题)"
    rf"|(?:得问|您问|你问|多问)(?!的|题){_STOP}{{0,6}}?(?:{_BODY})"
    rf"|(?:您|你|得|就)(?:直接)?找{_STOP}{{0,8}}?(?:{_BODY}){_STOP}{{0,4}}?(?:问|咨询)(?!的|题)"
    rf"|(?:{_BODY})那边的事"
)


def asks_elsewhere(text: str) -> str | None:
    """The words by which staff name another body as the one to ask (None when they do not); in
    recognised speech also by sound (找给您看病的大夫翁吧)."""
    m = _ASK_BODY.search(text)
    if m:
        return m.group(0)
    sound = sound_pattern(_ASK_BODY) if is_spoken(text) else None
    norm = normalize(text)
    found = sound.search(norm.codes) if sound else None
    return norm.span(found.start(), found.end()) if found else None


def deflections(ctx: Context) -> list[RawFinding]:
    """Staff turns that push the caller elsewhere, as one finding (before the work-order check)."""
    if helped(ctx):
        return []
    lexicons = ("deflection", "referral")
    # In recognised speech a gap can run into the routine offer: the 问 of its 请问 asks nothing elsewhere
    # (直接去拿就行请问还有别的问题吗).
    found = {
        t.index: [m for lex in lexicons for m in ctx.find(lex, t) if not m.evidence.endswith("请问")]
        for t in ctx.transcript.staff_turns
    }
    found = {i: ms for i, ms in found.items() if ms}
    quotes = [quote(m.evidence) for ms in found.values() for m in ms]
    for t in ctx.transcript.staff_turns:
        said = None if t.index in found else asks_elsewhere(t.text)
        if said:
            found[t.index] = []
            quotes.append(quote(said))
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

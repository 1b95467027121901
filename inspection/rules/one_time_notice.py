"""一次性告知: a "how do I" question gets every point the knowledge-base entry lists.

The points checked (materials, channel, time limit by default) come from the rule set; a
point counts as covered when the agent's answer mentions one of its items, or for the time
limit any time expression. Calls where the agent logged a work order or transferred are left
alone: the answer then comes from the back office.
"""

from __future__ import annotations

import re

from inspection.claims import has_time_expression, overlap
from inspection.context import Context, RawFinding, quote
from inspection.kb import KbFact
from inspection.rules import first_contact
from inspection.rules.accuracy import contradicted_entries, contradicted_turns
from inspection.rules.howto import GENERIC, asks_howto, mentions
from inspection.textmatch import normalize
from inspection.transcript import Turn

POINT_LABELS = {
    "materials": "所需材料",
    "channel": "办理渠道",
    "time_limit": "办理时限",
    "eligibility": "办理条件",
    "cost": "费用",
    "steps": "办理步骤",
}
_SPLIT = re.compile(r"[、，,；;（）()/：:“”\"。]|或者|或|和|及|以及|—")
_PREFIX = re.compile(r"^(需要|需|携带|带上|带|提供|通过|可以|可|在|到|去|办理|凭|用|登录|关注)")
# The action after a channel's name (小程序在线查看, 公众号办理) is no part of the channel: "能在线查看" does
# not name the 小程序.
_SUFFIX = re.compile(r"(?:在线|网上|线上)?(?:查看|查询|办理|申请|提交|办)$")
# A point that asks nothing of the caller (无需另交材料, 医保部门主动办结) is told by "不用跑",
# "会主动给您办".
_NEGATED = re.compile(r"无需|不需要|不用|免|不必|主动|自动")


# "还能办不？", "能不能在网上开？", "是不是就不能报了？": asking whether a procedure can be done. Staff who
# answer yes (能办。/ 可以。/ 也能报。) owe the caller how to do it, as for a how-to question.
_CAN_DO = re.compile(r"(?:能|可以)[^，。？！,?!]{0,8}?(?:办|报|开|买|用|刷|结算|申请|备案|查|领|续)")
_ASKING = re.compile(r"[?？吗么不]|是不是|能不能|可不可以")
_AFFIRMED = re.compile(
    r"^(?:嗯|呃|那个)?[，,]?(?:您好[，,]?)?"
    r"(?:(?:嗯|对|是的)?[，,]?(?:也|还|都)?(?:能|可以|行)(?!不)|(?:对|是的|是)[，,。！])"
)
# What an entry asks the caller to bring, said in its answer (凭医保码实名认证, 带上实体社保卡) when its
# points hold no materials.
_BRING = re.compile(
    r"(?:凭|持|带上|携带|出示|拿着)(?P<item>[^，。；、（）()]{2,6}?)(?=实名|认证|办理|下载|就医|到|去|[，。；、]|$)"
)


def is_howto_question(ctx: Context, turn: Turn) -> bool:
    """A how-to question: a phrase of data/howto.txt or the how-to shape (``howto.asks_howto``)."""
    return bool(ctx.find("howto", turn)) or asks_howto(turn.text)


def _can_do(ctx: Context, question: Turn) -> bool:
    """A can-do question (能不能在网上开？) that staff's first reply answers with a yes and goes on to
    say how (a channel or materials); a bare yes on a benefit (回太原看病还能报吗？可以的) owes no how."""
    clauses = [c for c in re.split(r"[，。,]", question.text) if _CAN_DO.search(c) and _ASKING.search(c)]
    reply = _reply(ctx, question)
    return (
        bool(clauses)
        and bool(_AFFIRMED.match(reply))
        and any(mentions(k, reply) for k in ("materials", "channel"))
    )


def facet_points(fact: KbFact) -> dict[str, str]:
    """The facets an entry holds: its points, and the materials its answer asks the caller to bring."""
    points = {k: str(v) for k, v in (fact.points or {}).items() if v}
    if "materials" not in points:
        items = [m.group("item") for m in _BRING.finditer(fact.answer)]
        if items:
            points["materials"] = "、".join(items)
    return points


def point_terms(value: str) -> list[str]:
    """Items of a point value (身份证、住院发票 ...) with leading verbs removed."""
    terms = []
    for part in _SPLIT.split(value):
        t = _SUFFIX.sub("", _PREFIX.sub("", part.strip()))
        if len(t) >= 2:
            terms.append(t)
    return terms


def _sound_grams(codes: str) -> set[str]:
    return {codes[i : i + 2] for i in range(len(codes) - 1)}


def covered(key: str, value: str, answer: str) -> bool:
    """Whether the agent's answer mentions the point; items are compared by sound (公众号/公总号)."""
    if key == "time_limit" and has_time_expression(answer):
        return True
    if _NEGATED.search(value) and _NEGATED.search(answer):
        return True
    if key in GENERIC and mentions(key, answer):
        return True
    said = normalize(answer).codes
    said_grams = _sound_grams(said)
    for term in point_terms(value):
        codes = normalize(term).codes
        if codes and codes in said:
            return True
        grams = _sound_grams(codes)
        if len(term) > 3 and grams and len(grams & said_grams) >= 0.5 * len(grams):
            return True
    return False


def _closing(ctx: Context, turn: Turn) -> bool:
    """A closing formula: a rating invitation, or a farewell that ends the turn (recognised speech's
    在江西省 sounds like 再见 mid-sentence)."""
    tail = len(ctx.norm(turn).chars) - 4
    return bool(ctx.find("satisfaction", turn)) or any(m.end >= tail for m in ctx.find("farewell", turn))


def _entry_text(fact: KbFact) -> str:
    return " ".join(
        [str(getattr(fact, "title", "") or ""), fact.answer, *map(str, (fact.points or {}).values())]
    )


def _query(ctx: Context, question: Turn) -> str:
    """What a how-to question asks about: a follow-up (那我该咋办？) carries the first question's topic."""
    first = ctx.transcript.caller_turns[0]
    return question.text if question is first else f"{first.text} {question.text}"


def _reply(ctx: Context, question: Turn) -> str:
    """Staff's first reply to a question (it may name the topic the caller's words do not)."""
    return next((t.text for t in ctx.transcript.staff_turns if t.index > question.index), "")


def _topics(ctx: Context, question: Turn) -> list[str]:
    return [f.id for f in ctx.kb_named(_query(ctx, question), _reply(ctx, question))[:3]]


def _window(ctx: Context, question: Turn) -> list[Turn]:
    """Staff turns answering a question (6 at most), up to the next how-to question or a caller
    turn on another topic (its words alone find entries, not this one). The caller's first turn
    after the question, when it is a bare follow-up (那你说我该咋办？), continues the answer."""
    out = []
    topics = _topics(ctx, question)
    first_reply = True
    for t in ctx.transcript.turns[question.index + 1 :]:
        if t.speaker == "caller":
            own = [f.id for f in ctx.kb(t.text)[:3]]
            if own and (not topics or topics[0] not in own):
                break
            if is_howto_question(ctx, t) and not (first_reply and topics):
                break
            first_reply = False
        if t.is_staff:
            out.append(t)
        if len(out) >= 6:
            break
    return out


def check(ctx: Context) -> list[RawFinding]:
    """One finding per how-to question whose answer misses knowledge-base points."""
    if ctx.kb_lookup is None:
        return []
    wanted = [str(k) for k in ctx.param("notice_points")]
    first_caller = next(iter(ctx.transcript.caller_turns), None)
    out = []
    answered: set[int] = set()
    deflected = {i for f in first_contact.check(ctx) for i in f.turns}
    for question in ctx.transcript.caller_turns:
        if question.index in answered or not (is_howto_question(ctx, question) or _can_do(ctx, question)):
            continue
        window = _window(ctx, question)
        if not window or any(ctx.find("resolution", t) for t in window):
            continue
        # A follow-up about the same topic inside this answer is judged with it, not again.
        answered.update(
            t.index for t in ctx.transcript.caller_turns if question.index < t.index < window[-1].index
        )
        query = _query(ctx, question)
        if contradicted_turns(ctx) & {t.index for t in window}:
            continue  # a wrong answer is an accuracy finding; its missing points would be noise
        if deflected & {t.index for t in window} or (deflected and min(deflected) < question.index):
            # Sent elsewhere instead of answered, also for the follow-ups after it (社区哪个地方？要带啥？):
            # a first-contact finding, not a partial answer.
            continue
        facts = ctx.kb_named(query, _reply(ctx, question))[:3]
        if not facts:
            continue
        # Points the agent already gave earlier in the call count as told; the scripted opening
        # (12393热线) and closing formulas are no answer.
        answer = "".join(
            t.text
            for t in ctx.transcript.staff_turns
            if first_caller.index < t.index <= window[-1].index  # type: ignore[union-attr]
            and not _closing(ctx, t)
        )
        # Among the closest entries, the one the agent was answering shares the most words with the answer.
        said = question.text + "".join(t.text for t in window)
        fact = max(
            enumerate(facts),
            key=lambda rf: overlap(said, _entry_text(rf[1])) + 0.1 * (len(facts) - rf[0]),
        )[1]
        if fact.id in contradicted_entries(ctx):
            continue  # the agent already got this topic wrong: reported once, as accuracy
        points = facet_points(fact)
        missing = [k for k in wanted if points.get(k) and not covered(k, points[k], answer)]
        if not missing:
            continue
        names = "、".join(POINT_LABELS.get(k, k) for k in missing)
        out.append(
            RawFinding(
                "one_time_notice.missing",
                (question.index, *(t.index for t in window[:2])),
                (quote(question.text, 80), quote(window[0].text, 80)),
                f"未告知：{names}（知识库条目 {fact.id}）",
                kb_entry=fact.id,
            )
        )
    return out

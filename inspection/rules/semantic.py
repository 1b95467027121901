"""Semantic findings: impatience (礼貌) and forbidden phrases in other words (服务禁语).

Sentences are matched against the example banks by ``inspection.semantic`` (only when the
Inspector was given a matcher); deflections and open matters found the same way are used by the
first_contact and unresolved families. A turn that has a listed forbidden or impatient phrase
(``rules.forbidden``) gets no semantic label: the listed finding explains it.
"""

from __future__ import annotations

import re

from inspection.context import Context, RawFinding, quote
from inspection.rules.forbidden import listed
from inspection.semantic import SemanticHit
from inspection.textmatch import normalize

CALLER_TAIL = 3  # the caller's last turns are where a matter left open shows
OFFER_REST = 2  # characters besides a routine offer (还有别的问题吗) that still make it one


def hits(ctx: Context) -> list[SemanticHit]:
    """Every semantic hit of the call (computed once, one batch)."""
    cached = ctx.memo.get("semantic")
    if cached is None:
        cached = []
        if ctx.semantic is not None:
            turns = ctx.transcript.turns
            # The caller's open matter counts only in a call with no work order or transfer: in one
            # with them the caller's sentences can match nothing and are not embedded.
            tail = set() if ctx.resolved() else {t.index for t in ctx.transcript.caller_turns[-CALLER_TAIL:]}
            speaking = [
                (t.index, "staff" if t.is_staff else "caller", t.text)
                for t in turns
                if t.is_staff or t.index in tail
            ]
            # A turn with a listed forbidden or impatient phrase is explained by it: one sentence,
            # one problem.
            by_index = {t.index: t for t in turns}
            cached = [h for h in ctx.semantic.match(speaking) if not listed(ctx, by_index[h.turn])]
        ctx.memo["semantic"] = cached
    return list(cached)  # type: ignore[call-overload]


def routine_offer(ctx: Context, text: str) -> bool:
    """Whether a sentence is the routine 还有别的问题吗 (also as recognised: 还有别的问提吗), which the
    vectors put near 你问来问去就这一个问题."""
    norm = normalize(text)
    offers = ctx.ruleset.matcher("offer").find(norm)
    return any(len(norm.chars) - (m.end - m.start) <= OFFER_REST for m in offers)


_FIGURE = re.compile(r"\d+(?:\.\d+)?(?!\s*[遍回次\d.])")


def states_figure(hit: SemanticHit) -> bool:
    """Whether a hit judged by its vector states a figure (提过两回在职的是72): a count of times
    (两回) beside a rate is a statement of the rule, not 说了两回了. Shapes are judged by their words."""
    return not hit.shape and bool(_FIGURE.search(hit.text))


def serving(ctx: Context, hit: SemanticHit) -> bool:
    """Whether a vector hit sits in a turn that opens or offers a work order, a callback or a transfer
    (让济南医保部门直接联系您，把材料一次说清楚): staff taking the matter on are not brushing the caller
    off, and recognised speech's windows cut from such a turn sit near the blame examples by chance.
    Shapes and listed phrases are judged by their words, wherever they stand."""
    return not hit.shape and bool(ctx.find("resolution", ctx.transcript.turns[hit.turn]))


def hits_for(ctx: Context, label: str) -> list[SemanticHit]:
    """The hits of one bank label."""
    return [h for h in hits(ctx) if h.label == label]


def evidence(hit: SemanticHit) -> str:
    """How a hit reads as a finding's detail: the matched example and the similarity, or the shape."""
    if hit.shape:
        return f"句式：{hit.shape}"
    return f"与例句“{hit.example}”相近（相似度{hit.score:.2f}）"


def check(ctx: Context) -> list[RawFinding]:
    """One finding per turn with an impatient sentence, and per turn with a paraphrased forbidden phrase."""
    out = []
    for hit in hits_for(ctx, "impatience"):
        if routine_offer(ctx, hit.text) or states_figure(hit) or serving(ctx, hit):
            continue
        out.append(
            RawFinding(
                "politeness.impatience", (hit.turn,), (quote(hit.text),), "语气不耐烦：" + evidence(hit)
            )
        )
    for hit in hits_for(ctx, "forbidden"):
        out.append(
            RawFinding(
                "forbidden.paraphrase", (hit.turn,), (quote(hit.text),), "近似服务禁语：" + evidence(hit)
            )
        )
    return out

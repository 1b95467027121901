"""The caller's own region's rule that matches a question best in meaning, a little under the threshold.

Knowing the caller's region narrows what the answer can be. A caller's long story ("我爸是太原的退休
工人，上礼拜去外省走亲戚……出院那天能直接走医保结账吗？") dilutes the lexical support the confidence
model leans on, so the region's entry that is the closest of all hits in meaning may answer under
the threshold: down to ``RELAX`` under it, or ``CLOSE_RELAX`` when its cosine is ``CLOSE_DENSE`` or
more (a close paraphrase told in many more words).

Or it may answer down to ``CORE_FLOOR`` when the question without the region's name (``core``)
still finds it at that confidence: a city said in passing matches every rule of that city, so a
question the sheet cannot answer ("我是太原的，配眼镜能刷医保个人账户不？") loses its support once the
name is taken out, while a rule that answers keeps it (docs/benchmarks.md, issue 16, session 15).

It must lead the region's other entries by ``LEAD`` in meaning: near-identical rules of one city
(an imported sheet holds several) cannot be told apart by meaning alone, so they abstain. When
another region's rule is closer in meaning, nothing is relaxed: the relaxation was measured wider
(down to 0.45 under the threshold, and for a region's entry that is not the closest of all) and
then answered unanswerable questions of callers who named their city (docs/benchmarks.md, issue 16).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from knowledge.regions import RegionTable
from knowledge.search import Hit

RELAX = 0.1
LEAD = 0.015
# A very close paraphrase in meaning (this cosine or more) may answer further under the threshold.
CLOSE_DENSE = 0.89
CLOSE_RELAX = 0.15
# The confidence the region's closest entry needs both with and without the region's name in the question.
CORE_FLOOR = 0.5


def own_region_match(
    hits: Sequence[Hit],
    conf: Mapping[int, float],
    caller_region: str | None,
    regions: RegionTable,
    threshold: float,
    core: Callable[[], Mapping[str, float]] | None = None,
) -> Hit | None:
    """The caller's region's entry closest in meaning when it clearly leads its siblings, else None.

    ``conf`` maps ``id(hit)`` to its confidence; ``threshold`` is the policy's answer threshold;
    ``core`` gives each entry's confidence (by key) for the question without the region's name,
    computed only when needed.
    """
    if not caller_region or not hits:
        return None
    own = [h for h in hits if h.doc.region and regions.applies(h.doc.region, caller_region)]
    if not own:
        return None
    closest = max(own, key=lambda h: h.dense)
    siblings = [h.dense for h in own if h is not closest]
    if siblings and closest.dense - max(siblings) < LEAD:
        return None  # near-identical rules of the region: meaning alone cannot pick one
    if closest is not max(hits, key=lambda h: h.dense):
        return None  # another region's rule is closer in meaning: the question may be about it
    floor = threshold - (CLOSE_RELAX if closest.dense >= CLOSE_DENSE else RELAX)
    if conf[id(closest)] >= floor:
        return closest
    if core is None or conf[id(closest)] < CORE_FLOOR:
        return None
    return closest if core().get(closest.doc.key, 0.0) >= CORE_FLOOR else None

"""Calibrating the answer decision on labelled questions (``hotline kb calibrate``).

The threshold trades guesses against needless abstentions; the confidence model's training rows
are the features of every candidate of every labelled question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.answering import Answerer
from knowledge.confidence import features
from knowledge.policy import candidates


@dataclass(frozen=True)
class Labelled:
    question: str
    kind: str  # answer | clarify_region | abstain (ticket counts as abstain: not answerable)
    region: str | None = None


def calibrate(
    answerer: Answerer, items: Sequence[Labelled], grid: Sequence[float] | None = None
) -> tuple[float, float]:
    """Pick the threshold with the best balanced accuracy of 'commit vs abstain' on ``items``.

    Committing (answer or clarify) is right for answerable items and wrong for the rest, so
    the threshold trades guesses against needless abstentions; balance keeps a skewed set
    from deciding alone. Returns (threshold, balanced accuracy).
    """
    if grid is None:
        grid = (
            [round(0.05 + 0.025 * i, 3) for i in range(37)]
            if answerer.policy.model is not None
            else [round(0.80 + 0.005 * i, 3) for i in range(31)]
        )
    original = answerer.policy.threshold
    scored: list[tuple[float, float]] = []
    try:
        for threshold in grid:
            answerer.policy.threshold = threshold
            good_pos = total_pos = good_neg = total_neg = 0
            for item in items:
                decision = answerer.decide(item.question, region=item.region)
                committed = decision.kind != "abstain"
                if item.kind in ("answer", "clarify_region"):
                    total_pos += 1
                    good_pos += committed
                else:
                    total_neg += 1
                    good_neg += not committed
            balanced = (good_pos / max(total_pos, 1) + good_neg / max(total_neg, 1)) / 2
            scored.append((balanced, threshold))
    finally:
        answerer.policy.threshold = original
    best_score = max(s for s, _ in scored)
    # Among equally good thresholds take the highest: abstaining is the safer error.
    best_threshold = max(t for s, t in scored if s == best_score)
    return best_threshold, best_score


def training_examples(
    answerer: Answerer, items: Sequence[tuple[str, str | None]]
) -> tuple[np.ndarray, np.ndarray]:
    """Features of every candidate of every question, labelled 1 when it answers the question.

    ``items`` are (question, gold entry id or None for an unanswerable question). An entry of the
    gold entry's topic counts as answering: regional variants of one rule are all right
    candidates, and which region applies is decided afterwards, not by confidence.
    """
    topic_of = {key: doc.topic for key, doc in answerer.kb.docs.items()}
    rows: list[np.ndarray] = []
    labels: list[int] = []
    for question, gold in items:
        gold_topic = topic_of.get(f"entry:{gold}") if gold else None
        hits = candidates(
            answerer.kb.search(question, k=10, audience="public", weights=answerer.policy.weights), "public"
        )
        for hit in hits:
            rows.append(features(hit, hits))
            right = gold is not None and (hit.doc.key == f"entry:{gold}" or hit.doc.topic == gold_topic)
            labels.append(int(right))
    return np.vstack(rows), np.array(labels, dtype=np.float64)

"""Reciprocal rank fusion of several ranked lists, with per-ranker weights.

RRF needs no score calibration between rankers, which matters here: BM25 scores are
unbounded while cosine similarities of the embedding model sit in a narrow band.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[Hashable]],
    *,
    weights: Mapping[str, float] | None = None,
    k: int = 60,
) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists of ids into one list of (id, score), best first; ties keep first-seen order."""
    if k <= 0:
        raise ValueError("k must be positive")
    weights = weights or {}
    scores: dict[Hashable, float] = {}
    order: dict[Hashable, int] = {}
    for name, ranking in rankings.items():
        weight = float(weights.get(name, 1.0))
        if weight < 0:
            raise ValueError(f"weight of {name!r} must not be negative")
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
            order.setdefault(item, len(order))
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))

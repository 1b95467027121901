"""Grouping questions by meaning: average-linkage agglomerative clustering of sentence vectors.

Arrays in, groups out, testable without a model: ``cluster_vectors`` takes L2-normalised vectors
(as ``knowledge.embed.Embedder`` writes them) and a cosine similarity; two groups merge while the
average similarity between their members reaches it (scikit-learn's ``AgglomerativeClustering``).
``medoid`` picks a group's representative: the member closest on average to the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["cluster_vectors", "medoid"]


def _check(vectors: np.ndarray) -> np.ndarray:
    if not isinstance(vectors, np.ndarray):
        raise TypeError(f"vectors must be a numpy array, not {type(vectors).__name__}")
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be 2-dimensional, got shape {vectors.shape}")
    return vectors.astype(np.float32, copy=False)


def cluster_vectors(vectors: np.ndarray, similarity: float) -> list[list[int]]:
    """Groups of row indices whose average pairwise cosine is at least ``similarity``.

    Largest group first, ties by the smallest index; every row is in exactly one group.
    """
    vectors = _check(vectors)
    if not 0.0 < similarity <= 1.0:
        raise ValueError(f"similarity must be in (0, 1], got {similarity}")
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering

    distance = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - similarity + 1e-6,
    ).fit_predict(distance)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def medoid(vectors: np.ndarray, members: Sequence[int]) -> int:
    """The member whose mean cosine to the other members is highest (the first on a tie)."""
    vectors = _check(vectors)
    if not members:
        raise ValueError("members must not be empty")
    sub = vectors[list(members)]
    scores = (sub @ sub.T).sum(axis=1)
    return int(list(members)[int(np.argmax(scores))])

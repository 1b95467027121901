"""knowledge/cluster.py: average-linkage groups of unit vectors against hand-built answers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from knowledge.cluster import cluster_vectors, medoid


def unit(*rows: list[float]) -> np.ndarray:
    v = np.array(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_near_vectors_group_and_far_ones_stay_apart() -> None:
    v = unit([1, 0, 0], [0.98, 0.2, 0], [0.97, 0, 0.24], [0, 1, 0], [0, 0.99, 0.1], [0, 0, 1])
    assert cluster_vectors(v, 0.9) == [[0, 1, 2], [3, 4], [5]]
    assert cluster_vectors(v, 0.999) == [[0], [1], [2], [3], [4], [5]]


def test_every_group_meets_the_average_similarity() -> None:
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(4, 16))
    points = np.repeat(centres, 6, axis=0) + rng.normal(scale=0.25, size=(24, 16))
    v = (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)
    groups = cluster_vectors(v, 0.8)
    assert sorted(i for g in groups for i in g) == list(range(24))  # a partition
    for group in groups:
        pairs = list(itertools.combinations(group, 2))
        if pairs:  # average linkage: the mean pairwise cosine inside a group reaches the threshold
            assert np.mean([v[a] @ v[b] for a, b in pairs]) >= 0.8 - 1e-4
    assert len(groups) == 4 and all(len(g) == 6 for g in groups)


def test_medoid_is_the_most_central_member() -> None:
    v = unit([1, 0], [0.9, 0.44], [0.7, 0.71])
    assert medoid(v, [0, 1, 2]) == 1


def test_edge_cases_and_bad_input() -> None:
    assert cluster_vectors(np.zeros((0, 3), dtype=np.float32), 0.8) == []
    assert cluster_vectors(unit([1, 0]), 0.8) == [[0]]
    with pytest.raises(ValueError, match="similarity"):
        cluster_vectors(unit([1, 0]), 0)
    with pytest.raises(TypeError, match="vectors"):
        cluster_vectors([[1.0, 0.0]], 0.8)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="members"):
        medoid(unit([1, 0]), [])

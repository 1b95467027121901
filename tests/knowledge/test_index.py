from pathlib import Path

import numpy as np
import pytest

from knowledge.index import IndexCorruptError, VectorIndex


def _unit(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _brute(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    scores = queries @ vectors.T
    return ids[np.argsort(-scores, axis=1)[:, :k]]


def test_exact_search_equals_brute_force() -> None:
    vectors, queries = _unit(500, 32, 1), _unit(20, 32, 2)
    ids = np.arange(1000, 1500, dtype=np.int64)
    index = VectorIndex(32)
    index.add(ids, vectors)
    _, found = index.search(queries, 5)
    assert (found == _brute(vectors, ids, queries, 5)).all()


def test_hnsw_recall_is_high() -> None:
    vectors, queries = _unit(3000, 32, 3), _unit(50, 32, 4)
    ids = np.arange(3000, dtype=np.int64)
    index = VectorIndex(32, hnsw=True, ef_search=128)
    index.add(ids, vectors)
    _, found = index.search(queries, 10)
    truth = _brute(vectors, ids, queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.95


@pytest.mark.parametrize("hnsw", [False, True])
def test_removed_ids_never_come_back(hnsw: bool) -> None:
    vectors = _unit(200, 16, 5)
    ids = np.arange(200, dtype=np.int64)
    index = VectorIndex(16, hnsw=hnsw)
    index.add(ids, vectors)
    index.remove([0, 1, 2])
    _, found = index.search(vectors[:3], 5)
    assert not set(found.ravel()) & {0, 1, 2}
    assert len(index) == 197


@pytest.mark.parametrize("hnsw", [False, True])
def test_save_and_load_round_trip(tmp_path: Path, hnsw: bool) -> None:
    vectors = _unit(100, 16, 6)
    index = VectorIndex(16, hnsw=hnsw)
    index.add(np.arange(100, dtype=np.int64), vectors)
    index.remove([7])
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss")
    assert loaded.hnsw == hnsw
    assert len(loaded) == 99
    a = index.search(vectors[:5], 3)[1]
    b = loaded.search(vectors[:5], 3)[1]
    assert (a == b).all()
    assert not list(tmp_path.glob("*.tmp"))


def test_corrupt_file_raises_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "v.faiss"
    path.write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorruptError, match="cannot read"):
        VectorIndex.load(path)


def test_bad_input_is_refused() -> None:
    index = VectorIndex(8)
    with pytest.raises(ValueError, match="dimension"):
        index.add(np.arange(2), np.zeros((2, 4), np.float32))
    with pytest.raises(TypeError, match="numpy"):
        index.search([[0.0] * 8], 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k"):
        index.search(np.zeros((1, 8), np.float32), 0)

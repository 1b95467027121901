"""FAISS vector index with stable integer ids: exact search when small, HNSW when large.

Exact inner-product search is both fastest and best below a size measured in bench/;
above it HNSW keeps p95 latency low. Deletions in HNSW are tombstones filtered at search
time and purged at the next rebuild. Files are written to a temporary name and renamed,
so a crash never leaves a half-written index.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np


class IndexCorruptError(RuntimeError):
    """An index file cannot be read; rebuild it."""


def _check_vectors(vectors: np.ndarray, dim: int | None = None) -> np.ndarray:
    if not isinstance(vectors, np.ndarray):
        raise TypeError(f"vectors must be a numpy array, got {type(vectors).__name__}")
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n, dim), got shape {vectors.shape}")
    if dim is not None and vectors.shape[1] != dim:
        raise ValueError(f"vectors have dimension {vectors.shape[1]}, the index has {dim}")
    return np.ascontiguousarray(vectors, dtype=np.float32)


class VectorIndex:
    """Inner-product search over unit vectors keyed by int64 ids."""

    def __init__(self, dim: int, *, hnsw: bool = False, hnsw_m: int = 32, ef_search: int = 64):
        if dim <= 0:
            raise ValueError("dim must be positive")
        self.dim = dim
        self.hnsw = hnsw
        self.ef_search = ef_search
        base: faiss.Index
        if hnsw:
            graph = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = 80
            graph.hnsw.efSearch = ef_search
            base = graph
        else:
            base = faiss.IndexFlatIP(dim)
        # An IndexIDMap2 when built here; ``load`` keeps whatever index class the file holds.
        self._index: faiss.Index = faiss.IndexIDMap2(base)
        self._deleted: set[int] = set()

    def __len__(self) -> int:
        return int(self._index.ntotal) - len(self._deleted)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = _check_vectors(vectors, self.dim)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if ids.shape[0] != vectors.shape[0]:
            raise ValueError("ids and vectors differ in length")
        self._deleted.difference_update(int(i) for i in ids)
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray | list[int]) -> None:
        ids = np.asarray(list(ids), dtype=np.int64)
        if ids.size == 0:
            return
        if self.hnsw:
            self._deleted.update(int(i) for i in ids)
        else:
            self._index.remove_ids(faiss.IDSelectorBatch(ids))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query; missing slots have id -1."""
        queries = _check_vectors(queries, self.dim)
        if k <= 0:
            raise ValueError("k must be positive")
        if self._index.ntotal == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        fetch = min(int(self._index.ntotal), k + len(self._deleted))
        scores, ids = self._index.search(queries, fetch)
        if self._deleted:
            keep = ~np.isin(ids, np.fromiter(self._deleted, dtype=np.int64))
            scores = np.where(keep, scores, -np.inf)
            order = np.argsort(-scores, axis=1, kind="stable")
            scores = np.take_along_axis(scores, order, axis=1)
            ids = np.where(np.isfinite(scores), np.take_along_axis(ids, order, axis=1), -1)
        return scores[:, :k], ids[:, :k]

    def save(self, path: Path) -> None:
        """Write atomically (temp file + rename); tombstones go into a sidecar."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        faiss.write_index(self._index, str(tmp))
        np.save(str(tmp) + ".deleted.npy", np.fromiter(self._deleted, dtype=np.int64))
        os.replace(str(tmp) + ".deleted.npy", str(path) + ".deleted.npy")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, *, ef_search: int = 64) -> VectorIndex:
        path = Path(path)
        try:
            raw = faiss.read_index(str(path))
        except Exception as exc:  # faiss raises RuntimeError with C++ text
            raise IndexCorruptError(f"cannot read vector index {path}: {exc}") from exc
        # read_index returns the concrete class; keep that object (a downcast proxy does not own it).
        inner = faiss.downcast_index(raw.index) if hasattr(raw, "index") else raw
        obj = cls.__new__(cls)
        obj.dim = raw.d
        obj.hnsw = isinstance(inner, faiss.IndexHNSWFlat)
        obj.ef_search = ef_search
        if isinstance(inner, faiss.IndexHNSWFlat):
            inner.hnsw.efSearch = ef_search
        obj._index = raw
        deleted = Path(str(path) + ".deleted.npy")
        obj._deleted = set(np.load(deleted).tolist()) if deleted.exists() else set()
        return obj

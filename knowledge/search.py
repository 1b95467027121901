"""The knowledge base on disk and its hybrid search (dense FAISS + BM25, fused by RRF).

An index lives in versioned folders under ``index_dir``; ``CURRENT`` names the live one and
is replaced atomically after a new version is completely written, so readers never see a
half-written index and a crash leaves the previous version in place. Updates embed only the
documents whose content hash changed. Another process that holds a loaded base notices a new
CURRENT with ``IndexWatcher`` (a cheap read of the pointer, at most once per interval) and reloads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from knowledge.catalog import Entry
from knowledge.embed import Embedder
from knowledge.fusion import reciprocal_rank_fusion
from knowledge.index import IndexCorruptError, VectorIndex
from knowledge.ingest import DocPassage
from knowledge.lexical import BM25Index
from knowledge.textnorm import normalize_query

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Doc:
    """One searchable unit: a curated entry or an ingested passage."""

    key: str
    kind: str  # "entry" | "passage"
    title: str
    region: str | None
    audience: str
    source: str
    lexical_text: str
    dense_texts: tuple[str, ...]
    answer: str
    topic: str = ""
    points: dict[str, str] = field(default_factory=dict)
    date: str = ""

    def content_hash(self, model_name: str) -> str:
        payload = json.dumps(
            [
                model_name,
                self.kind,
                self.title,
                self.region,
                self.audience,
                self.source,
                self.lexical_text,
                self.dense_texts,
                self.answer,
                self.topic,
                self.points,
                self.date,
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:20]


def doc_from_entry(entry: Entry) -> Doc:
    """Entries are searched by their question variants (dense) and all their words (lexical)."""
    dense = tuple(normalize_query(q) for q in (*entry.questions, entry.display_title))
    lexical = " ".join((entry.display_title, *entry.questions, entry.topic, entry.answer))
    return Doc(
        key=f"entry:{entry.id}",
        kind="entry",
        title=entry.display_title,
        region=entry.region,
        audience=entry.audience,
        source=entry.source,
        lexical_text=normalize_query(lexical),
        dense_texts=dense,
        answer=entry.answer,
        topic=entry.topic,
        points=dict(entry.points),
        date=entry.effective,
    )


def doc_from_passage(passage: DocPassage) -> Doc:
    heading = " / ".join(passage.section_path[-2:])
    text = f"{heading} {passage.text}".strip()
    return Doc(
        key=f"passage:{passage.id}",
        kind="passage",
        title=passage.doc_title,
        region=passage.region,
        audience=passage.audience,
        source=passage.source,
        lexical_text=normalize_query(text),
        dense_texts=(normalize_query(text),),
        answer=passage.text,
        topic=passage.section_path[-1] if passage.section_path else "",
        date=passage.date,
    )


@dataclass
class Hit:
    """A fused search result; ``dense`` is the best cosine of any of the doc's vectors."""

    doc: Doc
    score: float
    dense: float
    lexical: float
    lexical_norm: float


class KnowledgeBase:
    """Docs, their vectors and both indexes; persisted as one versioned folder."""

    def __init__(self, embedder: Embedder, *, hnsw_min_size: int = 50_000):
        self.embedder = embedder
        self.hnsw_min_size = hnsw_min_size
        self.docs: dict[str, Doc] = {}
        self._hashes: dict[str, str] = {}
        self._doc_ids: dict[str, int] = {}
        self._keys_by_id: dict[int, str] = {}
        self._vec_owner: dict[int, int] = {}
        self._vec_ids_of: dict[int, list[int]] = {}
        self._vectors: dict[int, np.ndarray] = {}
        self._next_doc = 1
        self._next_vec = 1
        self.vector_index: VectorIndex | None = None
        self.lexical = BM25Index()
        self.extra: dict[str, object] = {}
        self.version: str | None = None  # the version folder this base was loaded from or saved to
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_cache_size = 4096
        self._cache_lock = threading.Lock()

    # ---- building -------------------------------------------------------------------
    def sync(self, docs: Iterable[Doc], *, progress: bool = True) -> dict[str, int]:
        """Make the base hold exactly ``docs``: embed new or changed ones, drop the rest."""
        wanted = {d.key: d for d in docs}
        model = self.embedder.name
        removed = [k for k in self.docs if k not in wanted]
        changed = [d for k, d in wanted.items() if self._hashes.get(k) != d.content_hash(model)]
        for key in removed + [d.key for d in changed if d.key in self.docs]:
            self._drop(key)
        texts: list[str] = []
        owners: list[int] = []
        for doc in changed:
            doc_id = self._doc_ids.get(doc.key) or self._new_doc_id(doc.key)
            self.docs[doc.key] = doc
            self._hashes[doc.key] = doc.content_hash(model)
            self.lexical.add(doc_id, doc.lexical_text)
            for text in doc.dense_texts:
                texts.append(text)
                owners.append(doc_id)
        if texts:
            vectors = self._encode(texts, progress=progress)
            self._ensure_index(vectors.shape[1])
            vec_ids = np.arange(self._next_vec, self._next_vec + len(texts), dtype=np.int64)
            self._next_vec += len(texts)
            for vid, owner, vec in zip(vec_ids, owners, vectors, strict=True):
                self._vec_owner[int(vid)] = owner
                self._vec_ids_of.setdefault(owner, []).append(int(vid))
                self._vectors[int(vid)] = vec
            assert self.vector_index is not None
            self.vector_index.add(vec_ids, vectors)
        self._maybe_switch_index_type()
        stats = {"added_or_changed": len(changed), "removed": len(removed), "total": len(self.docs)}
        log.info("knowledge base sync: %s", stats)
        return stats

    def _encode(self, texts: list[str], *, progress: bool) -> np.ndarray:
        batch = 64
        parts = []
        bar = tqdm(total=len(texts), desc="embedding", unit="text", disable=not progress)
        for start in range(0, len(texts), batch):
            parts.append(self.embedder.encode(texts[start : start + batch]))
            bar.update(min(batch, len(texts) - start))
        bar.close()
        return np.vstack(parts)

    def _new_doc_id(self, key: str) -> int:
        doc_id = self._next_doc
        self._next_doc += 1
        self._doc_ids[key] = doc_id
        self._keys_by_id[doc_id] = key
        return doc_id

    def _drop(self, key: str) -> None:
        doc_id = self._doc_ids.get(key)
        self.docs.pop(key, None)
        self._hashes.pop(key, None)
        if doc_id is None:
            return
        self.lexical.remove([doc_id])
        vec_ids = self._vec_ids_of.pop(doc_id, [])
        for vid in vec_ids:
            self._vec_owner.pop(vid, None)
            self._vectors.pop(vid, None)
        if self.vector_index is not None and vec_ids:
            self.vector_index.remove(vec_ids)

    def _ensure_index(self, dim: int) -> None:
        if self.vector_index is None:
            self.vector_index = VectorIndex(dim, hnsw=len(self._vectors) >= self.hnsw_min_size)

    def _maybe_switch_index_type(self) -> None:
        """Rebuild the vector index when the size crosses the exact/HNSW boundary."""
        if self.vector_index is None or not self._vectors:
            return
        want_hnsw = len(self._vectors) >= self.hnsw_min_size
        if want_hnsw != self.vector_index.hnsw or (self.vector_index.hnsw and self.vector_index._deleted):
            self._rebuild_vector_index(want_hnsw)

    def _rebuild_vector_index(self, hnsw: bool) -> None:
        ids = np.fromiter(self._vectors.keys(), dtype=np.int64)
        vectors = np.vstack([self._vectors[int(i)] for i in ids])
        index = VectorIndex(vectors.shape[1], hnsw=hnsw)
        index.add(ids, vectors)
        self.vector_index = index

    # ---- searching ------------------------------------------------------------------
    def visible(self, audience: str) -> set[int]:
        """Doc ids the audience may see: callers never see agent-only knowledge."""
        if audience == "agent":
            return set(self._keys_by_id)
        return {self._doc_ids[k] for k, d in self.docs.items() if d.audience == "public"}

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        audience: str = "public",
        weights: dict[str, float] | None = None,
        pool: int = 60,
        query_vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """Hybrid search; ``weights`` sets the RRF weight of "dense" and "lexical"."""
        if audience not in ("public", "agent"):
            raise ValueError(f"audience must be 'public' or 'agent', got {audience!r}")
        if not self.docs:
            return []
        normalized = normalize_query(query)
        allowed = self.visible(audience)
        dense = self._dense_scores(normalized, allowed, pool, query_vector)
        lexical = dict(self.lexical.search(normalized, pool, allowed))
        scale = self.lexical.max_score(normalized) or 1.0
        dense_ranking: list[int] = sorted(dense, key=lambda d: -dense[d])
        lexical_ranking: list[int] = sorted(lexical, key=lambda d: -lexical[d])
        fused = reciprocal_rank_fusion(
            {"dense": dense_ranking, "lexical": lexical_ranking},
            weights=weights or {"dense": 1.0, "lexical": 1.0},
        )
        hits = []
        for doc_id, score in fused[:k]:
            # reciprocal_rank_fusion types its ids as Hashable; it returns the ones it was given, doc ids.
            assert isinstance(doc_id, int)
            key = self._keys_by_id[doc_id]
            lex = lexical.get(doc_id, 0.0)
            hits.append(Hit(self.docs[key], float(score), dense.get(doc_id, 0.0), lex, lex / scale))
        return hits

    def _query_vector(self, normalized: str) -> np.ndarray:
        """Embed a normalised query, remembering recent ones (callers repeat the same questions)."""
        with self._cache_lock:
            cached = self._query_cache.get(normalized)
            if cached is not None:
                self._query_cache.move_to_end(normalized)
                return cached
        vector = self.embedder.encode([normalized])
        with self._cache_lock:
            self._query_cache[normalized] = vector
            if len(self._query_cache) > self._query_cache_size:
                self._query_cache.popitem(last=False)
        return vector

    def _dense_scores(
        self, normalized: str, allowed: set[int], pool: int, query_vector: np.ndarray | None
    ) -> dict[int, float]:
        if self.vector_index is None or len(self.vector_index) == 0:
            return {}
        vector = query_vector if query_vector is not None else self._query_vector(normalized)
        scores, ids = self.vector_index.search(vector, min(pool * 4, len(self.vector_index)))
        best: dict[int, float] = {}
        for score, vid in zip(scores[0], ids[0], strict=True):
            owner = self._vec_owner.get(int(vid))
            if owner is None or owner not in allowed:
                continue
            if score > best.get(owner, -1.0):
                best[owner] = float(score)
        return dict(sorted(best.items(), key=lambda kv: -kv[1])[:pool])

    # ---- persistence ----------------------------------------------------------------
    def save(self, index_dir: Path) -> Path:
        """Write a complete new version folder, then switch CURRENT to it atomically."""
        index_dir = Path(index_dir)
        index_dir.mkdir(parents=True, exist_ok=True)
        version = f"v{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        tmp = index_dir / f".{version}.tmp"
        tmp.mkdir()
        vec_ids = np.fromiter(self._vectors.keys(), dtype=np.int64)
        vectors = (
            np.vstack([self._vectors[int(i)] for i in vec_ids])
            if len(vec_ids)
            else np.zeros((0, 0), np.float32)
        )
        np.save(tmp / "vec_ids.npy", vec_ids)
        np.save(tmp / "vectors.npy", vectors)
        if self.vector_index is not None:
            self.vector_index.save(tmp / "vectors.faiss")
        manifest = {
            "format": FORMAT_VERSION,
            "model": self.embedder.name,
            "dim": int(vectors.shape[1]) if vectors.size else 0,
            "hnsw": bool(self.vector_index.hnsw) if self.vector_index else False,
            "next_doc": self._next_doc,
            "next_vec": self._next_vec,
            "docs": [
                {
                    "id": self._doc_ids[k],
                    "hash": self._hashes[k],
                    "vec_ids": self._vec_ids_of.get(self._doc_ids[k], []),
                    **{f: getattr(d, f) for f in Doc.__dataclass_fields__},
                }
                for k, d in self.docs.items()
            ],
            "data_hash": self.data_hash(),
            "extra": self.extra,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        final = index_dir / version
        os.replace(tmp, final)
        pointer = index_dir / ".CURRENT.tmp"
        pointer.write_text(version, encoding="utf-8")
        previous = read_current(index_dir)
        os.replace(pointer, index_dir / "CURRENT")
        if previous and previous != version:
            shutil.rmtree(index_dir / previous, ignore_errors=True)
        self.version = version
        return final

    def data_hash(self) -> str:
        joined = "".join(sorted(self._hashes.values()))
        return hashlib.sha256(joined.encode()).hexdigest()[:20]

    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder, *, hnsw_min_size: int = 50_000) -> KnowledgeBase:
        """Load the CURRENT version; a damaged one raises IndexCorruptError."""
        version = read_current(Path(index_dir))
        if version is None:
            raise FileNotFoundError(f"no knowledge index in {index_dir}; build it with `hotline kb build`")
        folder = Path(index_dir) / version
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            vec_ids = np.load(folder / "vec_ids.npy")
            vectors = np.load(folder / "vectors.npy")
        except (OSError, ValueError, json.JSONDecodeError) as exc:
            raise IndexCorruptError(f"knowledge index {folder} is damaged ({exc}); rebuild it") from exc
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexCorruptError(
                f"knowledge index {folder} has format {manifest.get('format')}; rebuild it"
            )
        kb = cls(embedder, hnsw_min_size=hnsw_min_size)
        if manifest["model"] != embedder.name:
            log.warning(
                "index built with model %s, now %s: every document will be re-embedded",
                manifest["model"],
                embedder.name,
            )
        kb.version = version
        kb._next_doc = manifest["next_doc"]
        kb._next_vec = manifest["next_vec"]
        kb.extra = manifest.get("extra", {})
        for row in manifest["docs"]:
            fields = {f: row[f] for f in Doc.__dataclass_fields__}
            fields["dense_texts"] = tuple(fields["dense_texts"])
            doc = Doc(**fields)
            doc_id = int(row["id"])
            kb.docs[doc.key] = doc
            kb._hashes[doc.key] = row["hash"] if manifest["model"] == embedder.name else ""
            kb._doc_ids[doc.key] = doc_id
            kb._keys_by_id[doc_id] = doc.key
            kb._vec_ids_of[doc_id] = [int(v) for v in row["vec_ids"]]
            for vid in row["vec_ids"]:
                kb._vec_owner[int(vid)] = doc_id
            kb.lexical.add(doc_id, doc.lexical_text)
        if len(vec_ids) != len(kb._vec_owner) or (len(vec_ids) and vectors.shape[0] != len(vec_ids)):
            raise IndexCorruptError(f"knowledge index {folder}: vectors and manifest disagree; rebuild it")
        kb._vectors = {int(i): vectors[n] for n, i in enumerate(vec_ids)}
        if len(vec_ids):
            try:
                kb.vector_index = VectorIndex.load(folder / "vectors.faiss")
            except IndexCorruptError:
                log.warning("vector index file unreadable; rebuilding it from stored vectors")
                kb._rebuild_vector_index(bool(manifest["hnsw"]))
        return kb


def read_current(index_dir: Path) -> str | None:
    pointer = Path(index_dir) / "CURRENT"
    if not pointer.exists():
        return None
    version = pointer.read_text(encoding="utf-8").strip()
    return version if version and (Path(index_dir) / version).is_dir() else None


class IndexWatcher:
    """Tells when CURRENT names another version than the loaded one; the pointer file is read at
    most once per ``interval`` seconds, so asking on every query costs nothing measurable."""

    def __init__(self, index_dir: Path, version: str | None, *, interval: float = 1.0) -> None:
        self.index_dir = Path(index_dir)
        self.version = version
        self.interval = interval
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def changed(self) -> bool:
        """True when a newer version was published since ``version`` (checked at most once per interval)."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked < self.interval:
                return False
            self._checked = now
        current = read_current(self.index_dir)
        return current is not None and current != self.version


def docs_for(entries: Sequence[Entry], passages: Sequence[DocPassage] = ()) -> list[Doc]:
    return [doc_from_entry(e) for e in entries] + [doc_from_passage(p) for p in passages]

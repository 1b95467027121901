"""Knowledge-base benchmarks: retrieval quality per ranker, search latency, embedding throughput.

Quality: hit@1, hit@5 and MRR of lexical alone, dense alone and fused, on the paraphrase set
(gold entry ids) and the dev set (gold source lines). Latency: p50/p95 of one-thread FAISS
search over random unit vectors of the model's dimension, exact vs HNSW.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from api.settings import PROJECT_ROOT, get_settings

PARAPHRASES = PROJECT_ROOT / "tests" / "data" / "kb_paraphrases.jsonl"
DEV = PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl"


def _lines(source: str) -> set[tuple[str, int]]:
    """Seed file and line pairs cited in a source string ("004_x.txt L12; L14–16")."""
    out: set[tuple[str, int]] = set()
    current = ""
    for part in re.split(r"[;；]", source):
        file_match = re.search(r"(\d{3}_[0-9a-f]+\.txt)", part)
        current = file_match.group(1) if file_match else current
        for a, b in re.findall(r"L(\d+)(?:\s*[–-]\s*(\d+))?", part):
            out.update((current, n) for n in range(int(a), int(b or a) + 1))
    return out


def _cites_any(kb: Any, gold: set[tuple[str, int]]) -> Callable[[str], bool]:
    """A relevance test: the hit's source cites one of the gold seed lines."""
    return lambda key: bool(_lines(kb.docs[key].source) & gold)


def _rankings(kb, question: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    from knowledge.textnorm import normalize_query

    normalized = normalize_query(question)
    allowed = kb.visible("public")
    dense = kb._dense_scores(normalized, allowed, 50, None)
    lexical = kb.lexical.search(normalized, 50, allowed)
    key = kb._keys_by_id
    fused = [h.doc.key for h in kb.search(question, k=50)]
    return {
        "lexical": [key[d] for d, _ in lexical],
        "dense": [key[d] for d in sorted(dense, key=lambda d: -dense[d])],
        "fused": fused,
    }


def _metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    n = max(len(ranks), 1)
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "MRR": sum(1 / r for r in ranks if r) / n,
    }


def retrieval_quality(kb, items: Sequence[tuple[str, Callable[[str], bool]]]) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    """Per ranker: the rank of the first relevant entry for every question."""
    ranks: dict[str, list[int | None]] = {"lexical": [], "dense": [], "fused": []}
    for question, relevant in items:
        for name, keys in _rankings(kb, question).items():
            entry_keys = [k for k in keys if k.startswith("entry:")]
            ranks[name].append(next((i + 1 for i, k in enumerate(entry_keys) if relevant(k)), None))
    return {name: _metrics(r) for name, r in ranks.items()}


def quality_rows() -> list[dict]:
    from api.services.knowledge import get_knowledge_base

    kb = get_knowledge_base(get_settings())
    rows = []
    para = [json.loads(line) for line in PARAPHRASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    sets = {"paraphrases": [(p["question"], (lambda k, e=p["entry_id"]: k == f"entry:{e}")) for p in para]}
    if DEV.exists():
        dev = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
        answerable = [d for d in dev if d["kind"] in ("answer", "clarify_region")]
        sets["dev (answerable)"] = [(d["question"], _cites_any(kb, _lines(d["source"]))) for d in answerable]
    for set_name, items in sets.items():
        for ranker, m in retrieval_quality(kb, items).items():
            rows.append(
                {"set": set_name, "n": len(items), "ranker": ranker, **{k: round(v, 3) for k, v in m.items()}}
            )
    return rows


def latency_rows(sizes: Sequence[int], dim: int = 512, queries: int = 200) -> list[dict]:
    """p50/p95 of single-query search on one thread, exact vs HNSW, random unit vectors."""
    import faiss

    from knowledge.index import VectorIndex

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    rows = []
    for size in sizes:
        base = rng.standard_normal((size, dim), dtype=np.float32)
        base /= np.linalg.norm(base, axis=1, keepdims=True)
        q = base[rng.integers(0, size, queries)] + 0.05 * rng.standard_normal(
            (queries, dim), dtype=np.float32
        )
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        for hnsw in (False, True):
            index = VectorIndex(dim, hnsw=hnsw, ef_search=64)
            faiss.omp_set_num_threads(2)  # building may use both cores; searching is measured on one
            t0 = time.perf_counter()
            index.add(np.arange(size, dtype=np.int64), base)
            build = time.perf_counter() - t0
            faiss.omp_set_num_threads(1)
            times = []
            for row in q:
                t = time.perf_counter()
                index.search(row[None, :], 10)
                times.append((time.perf_counter() - t) * 1000)
            rows.append(
                {
                    "passages": size,
                    "index": "HNSW" if hnsw else "exact",
                    "build_s": round(build, 1),
                    "p50_ms": round(float(np.percentile(times, 50)), 3),
                    "p95_ms": round(float(np.percentile(times, 95)), 3),
                    "memory_MB": round(size * dim * 4 / 2**20),
                }
            )
            del index
        del base
    return rows


def embedding_rows(n: int = 256) -> list[dict]:
    import torch

    from api.services.knowledge import make_embedder

    texts = [f"我是第{i}位来电人，想问异地就医备案和零星报销的办理材料与时限" for i in range(n)]
    rows = []
    for threads in (1, 2):
        embedder = make_embedder(get_settings())
        embedder.encode(texts[:8])
        torch.set_num_threads(threads)
        t0 = time.perf_counter()
        embedder.encode(texts, batch_size=64)
        elapsed = time.perf_counter() - t0
        rows.append(
            {"model": embedder.name, "threads": threads, "texts": n, "texts_per_s": round(n / elapsed, 1)}
        )
    return rows


def run(sizes: Sequence[int] = (10_000, 100_000, 1_000_000)) -> dict[str, list[dict]]:
    return {
        "retrieval quality": quality_rows(),
        "search latency (1 thread)": latency_rows(sizes),
        "embedding throughput": embedding_rows(),
    }


def main(argv: list[str] | None = None) -> None:
    from bench.table import print_tables

    parser = argparse.ArgumentParser(description="knowledge-base benchmarks")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args(argv)
    print_tables(run([int(s) for s in args.sizes.split(",")]))


if __name__ == "__main__":
    main()

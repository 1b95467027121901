"""Inspection speed: transcripts per second on one core for five-minute calls, with and without the
KB check and the semantic checks (embedding model; vector cache cold, primed by other calls, warm).

The calls are the four long labelled transcripts (QA401-QA404: 41-45 turns, 3-4.5 minutes of
speech). The knowledge-base check is timed with the model-free lexical lookup and, when the
search index is built, with ``api.services.knowledge.search_entries`` (embedding model on one
thread), the lookup the service uses. Run: ``.venv/bin/python -m bench.bench_inspection``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from inspection import Inspector, KbLookup, Transcript, make_lexical_lookup, parse_transcript
from inspection.semantic import SemanticMatcher, load_semantic_matcher

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
CALLS = [ROOT / "tests" / "data" / "transcripts" / f"QA40{i}.json" for i in range(1, 5)]
# Calls of every length as the centre gets them: the 110 labelled calls and chats (about 10 turns).
MIX = sorted((ROOT / "tests" / "data" / "transcripts").glob("QA*.json"))


def _one_core() -> None:
    """Pin the process to one CPU and one BLAS/torch thread, so the figure is per core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def _calls(copies: int, paths: list[Path] = CALLS) -> list[Transcript]:
    raws = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    return [parse_transcript({**raw, "id": f"{raw['id']}-{n}"}) for n in range(copies) for raw in raws]


def _time(
    inspector: Inspector, calls: list[Transcript], repeats: int, *, cache: str = "warm"
) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) over ``repeats`` passes; CPU time is what one core spends.

    Other processes share the machine, so wall time is reported too but CPU time is the figure.
    ``cache`` is the semantic matcher's sentence-vector cache before each call: ``cold`` empty
    (every sentence embedded as if never heard), ``primed`` holding the sentences of the other
    labelled calls (what recurs from call to call: greetings, hold and closing phrases; the copies
    of the timed calls would otherwise hit the cache), ``warm`` as the passes left it.
    """
    inspector.inspect(calls[0])  # warm-up: lexicons compiled, classifier trained, model loaded
    matcher = inspector.semantic
    primed = None
    if matcher is not None and cache == "primed":
        matcher.clear_cache()
        timed = {c.id.rsplit("-", 1)[0] for c in calls}
        for other in _calls(1, MIX):
            if other.id.rsplit("-", 1)[0] not in timed:
                inspector.inspect(other)
        primed = OrderedDict(matcher._cache)
    best_cpu = best_wall = float("inf")
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        for call in calls:
            if matcher is not None and cache == "cold":
                matcher.clear_cache()
            elif primed is not None:
                with matcher._lock:
                    matcher._cache = OrderedDict(primed)
            inspector.inspect(call)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_cpu, best_wall


def _search_lookup() -> KbLookup | None:
    from api.settings import get_settings

    settings = get_settings()
    if not (settings.index_dir / "CURRENT").exists():
        log.warning("bench.inspection.no_index: build it with `hotline kb build` to time the search lookup")
        return None
    from api.services.inspection import make_kb_lookup

    return make_kb_lookup(settings)


def _semantic() -> SemanticMatcher | None:
    from api.settings import get_settings

    settings = get_settings()
    if not (Path(settings.embedding_model) / "config.json").exists():
        log.warning("bench.inspection.no_model: the semantic checks need HOTLINE_EMBEDDING_MODEL")
        return None
    return load_semantic_matcher(settings.embedding_model, threads=1)


def run(copies: int = 25, search_copies: int = 2) -> list[dict[str, Any]]:
    """Rows: case, cache state, transcripts, CPU and wall seconds, transcripts per CPU second.

    The semantic rows run twice side by side: ``before`` with the pre-filter of session 7 (cue
    words and shared sound bigrams only) and ``after`` with short open sentences embedded too
    (``SemanticMatcher.open_chars``), each with the vector cache cold, primed by the other labelled
    calls, and warm. The long calls are the worst case (40+ turns, where a typical call has about
    ten), the labelled mix (110 calls and chats of every length, once each) the typical case.
    """
    _one_core()
    from knowledge.catalog import load_entries

    lexical = make_lexical_lookup(load_entries(ROOT / "knowledge" / "entries"))
    semantic = _semantic()
    Case = tuple[str, Callable[[], KbLookup | None], int, SemanticMatcher | None, str]
    cases: list[Case] = [
        ("rules, no KB check", lambda: None, copies, None, "-"),
        ("rules + KB check (lexical)", lambda: lexical, copies, None, "-"),
        ("rules + KB check (search_entries)", _search_lookup, search_copies, None, "-"),
    ]
    if semantic is not None:
        before = replace(semantic, open_chars=0)
        before._cache, before._lock, before._vectors = semantic._cache, semantic._lock, None
        for name, matcher in (("before", before), ("after", semantic)):
            for cache in ("cold", "primed", "warm"):
                cases.append((f"rules + semantic, {name}", lambda: None, copies, matcher, cache))
            for cache in ("cold", "primed"):
                cases.append(
                    (f"rules + semantic + KB (lexical), {name}", lambda: lexical, copies, matcher, cache)
                )
            cases.append(
                (f"labelled mix: rules + semantic + KB, {name}", lambda: lexical, 1, matcher, "cold")
            )
    rows: list[dict[str, Any]] = []
    for name, make, n, matcher, cache in cases:
        lookup = make()
        if name.endswith("(search_entries)") and lookup is None:
            continue
        calls = _calls(n, MIX) if name.startswith("labelled mix") else _calls(n)
        inspector = Inspector(kb_lookup=lookup, semantic=matcher)
        cpu, wall = _time(inspector, calls, repeats=3 if n > 5 else 1, cache=cache)
        rows.append(
            {
                "case": name,
                "cache": cache,
                "transcripts": len(calls),
                "cpu_seconds": round(cpu, 3),
                "wall_seconds": round(wall, 3),
                "per_second": round(len(calls) / cpu, 1),
                "ms_per_call": round(1000 * cpu / len(calls), 2),
            }
        )
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    head = f"{'case':<44}{'cache':>8}{'calls':>7}{'cpu s':>8}{'wall s':>8}{'calls/s':>9}{'ms/call':>9}"
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['case']:<44}{r['cache']:>8}{r['transcripts']:>7}{r['cpu_seconds']:>8}{r['wall_seconds']:>8}"
            f"{r['per_second']:>9}{r['ms_per_call']:>9}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO)
    sys.stdout.write(_table(run()) + "\n")

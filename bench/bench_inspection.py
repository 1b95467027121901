"""Inspection speed: transcripts per second on one core for five-minute calls, with and without the KB check.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inspection import Inspector, KbLookup, Transcript, make_lexical_lookup, parse_transcript

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
CALLS = [ROOT / "tests" / "data" / "transcripts" / f"QA40{i}.json" for i in range(1, 5)]


def _one_core() -> None:
    """Pin the process to one CPU and one BLAS/torch thread, so the figure is per core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def _calls(copies: int) -> list[Transcript]:
    raws = [json.loads(p.read_text(encoding="utf-8")) for p in CALLS]
    return [parse_transcript({**raw, "id": f"{raw['id']}-{n}"}) for n in range(copies) for raw in raws]


def _time(inspector: Inspector, calls: list[Transcript], repeats: int) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) over ``repeats`` passes; CPU time is what one core spends.

    Other processes share the machine, so wall time is reported too but CPU time is the figure.
    """
    inspector.inspect(calls[0])  # warm-up: lexicons compiled, classifier trained, model loaded
    best_cpu = best_wall = float("inf")
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        for call in calls:
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


def run(copies: int = 25, search_copies: int = 2) -> list[dict[str, Any]]:
    """Rows: case, transcripts, CPU and wall seconds, transcripts per CPU second, KB-check cost per call."""
    _one_core()
    from knowledge.catalog import load_entries

    lexical = make_lexical_lookup(load_entries(ROOT / "knowledge" / "entries"))
    cases: list[tuple[str, Callable[[], KbLookup | None], int]] = [
        ("rules, no KB check", lambda: None, copies),
        ("rules + KB check (lexical)", lambda: lexical, copies),
        ("rules + KB check (search_entries)", _search_lookup, search_copies),
    ]
    rows: list[dict[str, Any]] = []
    base_ms = None
    for name, make, n in cases:
        lookup = make()
        if name.endswith("(search_entries)") and lookup is None:
            continue
        calls = _calls(n)
        cpu, wall = _time(Inspector(kb_lookup=lookup), calls, repeats=3 if n > 5 else 1)
        per_call_ms = 1000 * cpu / len(calls)
        base_ms = per_call_ms if base_ms is None else base_ms
        rows.append(
            {
                "case": name,
                "transcripts": len(calls),
                "cpu_seconds": round(cpu, 3),
                "wall_seconds": round(wall, 3),
                "per_second": round(len(calls) / cpu, 1),
                "ms_per_call": round(per_call_ms, 2),
                "kb_cost_ms": round(per_call_ms - base_ms, 2),
            }
        )
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    head = f"{'case':<36}{'calls':>7}{'cpu s':>8}{'wall s':>8}{'calls/s':>9}{'ms/call':>9}{'KB ms':>8}"
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['case']:<36}{r['transcripts']:>7}{r['cpu_seconds']:>8}{r['wall_seconds']:>8}"
            f"{r['per_second']:>9}{r['ms_per_call']:>9}{r['kb_cost_ms']:>8}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO)
    sys.stdout.write(_table(run()) + "\n")

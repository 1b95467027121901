"""Quality of the inspection on the labelled transcripts (tests/data/transcripts) and the dev examples.

The labelled set has 110 hand-written calls and chats (45 clean, 13 chats, 4 calls of 40+ turns,
every category 4-12 times). The knowledge-base check uses the lexical lookup over the real
curated entries in knowledge/entries/, so the two KB-backed categories (accuracy,
one_time_notice) also test those entries; their floors are the issue's targets (precision 0.9,
recall 0.85) rather than today's 1.0 so that a reworded entry does not fail the build while a
broken check still does. Every other category keeps the floor measured when this test was
written: precision 1.0 and recall 1.0.

Measured on 2026-11-23, all 13 categories: precision 1.000 / recall 1.000 on the full set (the
rules were tuned on QA001-QA404, so this is an optimistic figure). Three batches were written after
tuning and scored once unchanged: QA501-QA515 gave precision 1.000 / recall 0.857 (14 labels),
QA601-QA615 (heavier ASR noise, dialects) precision 0.929 / recall 0.812 (16 labels), QA701-QA710
(mostly clean calls with near-miss wording) precision 1.000 / recall 1.000 (3 labels, no false
alarm on the 7 clean calls); the misses were lexicon gaps (你自己…搜, 去银行问, 没招, 缴到12月了),
which were then added. These held-out figures are the honest estimate for new calls.
Run ``hotline qa eval tests/data/transcripts``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from inspection import CATEGORIES, Inspector, make_lexical_lookup, parse_transcript
from inspection.evaluation import EvalReport, evaluate
from knowledge.catalog import load_entries

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "data" / "transcripts"
DEV = ROOT.parent / "shared" / "eval" / "dev_transcripts"
KB_CATEGORIES = {"accuracy", "one_time_notice"}


def _run(folder: Path) -> EvalReport:
    inspector = Inspector(kb_lookup=make_lexical_lookup(load_entries(ROOT / "knowledge" / "entries")))
    pairs = []
    for path in sorted(folder.glob("*.json")):
        transcript = parse_transcript(json.loads(path.read_text(encoding="utf-8")))
        pairs.append((transcript, inspector.inspect(transcript)))
    return evaluate(pairs)


@lru_cache(maxsize=1)
def labelled() -> EvalReport:
    return _run(LABELLED)


def test_the_set_is_large_and_varied() -> None:
    files = [json.loads(p.read_text(encoding="utf-8")) for p in LABELLED.glob("*.json")]
    assert len(files) >= 60
    assert sum(1 for f in files if not f["labels"]["categories"]) >= 20
    assert sum(1 for f in files if f["channel"] == "chat") >= 8
    assert sum(1 for f in files if len(f["turns"]) >= 40) >= 2
    for category in CATEGORIES:
        assert sum(category in f["labels"]["categories"] for f in files) >= 3, category


@pytest.mark.parametrize("category", CATEGORIES)
def test_precision_and_recall_floors(category: str) -> None:
    tally = labelled().categories[category]
    p_floor, r_floor = (0.9, 0.85) if category in KB_CATEGORIES else (1.0, 1.0)
    assert tally.precision is not None and tally.precision >= p_floor, (category, labelled().errors)
    assert tally.recall is not None and tally.recall >= r_floor, (category, labelled().errors)


def test_pass_fail_agreement() -> None:
    assert labelled().pass_accuracy >= 0.97, labelled().errors


def test_dev_transcripts() -> None:
    """All 8 labelled problems of DT01-DT06 are found; the one extra is DT03's missing rating invitation."""
    if not DEV.exists():
        pytest.skip(f"{DEV} not available")
    report = _run(DEV)
    micro = report.micro
    assert micro.recall == 1.0
    assert [(tid, kind, label) for tid, kind, label in report.errors] == [
        ("DT03", "false_positive", "closing")
    ]
    assert report.pass_accuracy == 1.0

"""The semantic labelled set (tests/data/transcripts_semantic): its split, and floors on the test half.

244 calls composed from hand-written wordings (build_semantic_set.py), split before any tuning into
tune/ (calibration, lexicon gaps) and test/ (scored, never tuned on), each with a homophone-noised
copy. The floors are what the rules plus the semantic checks reached on the test half
(2026-12-06, after the homophone repairs of numbers and regions, clause windows in unpunctuated
speech and cue-decided labels), a little below, so that a regression fails while a reworded bank
example does not: overall precision 0.989 / recall 0.938 clean, 0.899 / 0.927 noised. Session 8
(referrals without an answer as deflections, open short sentences, clause-edge windows) measured
0.989 / 0.958 clean (every category >= 0.85: forbidden_phrase 0.917, deflection 0.889 recall) and
0.908 / 0.927 noised; politeness recall on the noised copies fell from 0.917 to 0.833 (one call
of twelve), accepted for the gains above and on the hand-written set (tests/data/transcripts_fresh,
docs/benchmarks.md). The rule-only path is checked on the same calls against today's "before"
figures.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from inspection import Inspector, make_lexical_lookup, parse_transcript
from inspection.evaluation import EvalReport, evaluate
from inspection.semantic import SemanticMatcher
from inspection.semantic_bank import load_bank, load_calibration
from knowledge.catalog import load_entries
from knowledge.embed import Embedder

ROOT = Path(__file__).resolve().parents[2]
SET = ROOT / "tests" / "data" / "transcripts_semantic"
SEMANTIC = ("politeness", "forbidden_phrase", "first_contact_responsibility", "unresolved")
KB = ("accuracy", "one_time_notice")


def _files(half: str) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((SET / half).glob("*.json"))]


@lru_cache(maxsize=1)
def _lookup():  # type: ignore[no-untyped-def]
    return make_lexical_lookup(load_entries(ROOT / "knowledge" / "entries"))


def _run(half: str, semantic: SemanticMatcher | None) -> EvalReport:
    inspector = Inspector(kb_lookup=_lookup(), semantic=semantic)
    return evaluate((t, inspector.inspect(t)) for t in map(parse_transcript, _files(half)))


@pytest.fixture(scope="module")
def reports(embedder: Embedder) -> dict[str, EvalReport]:
    matcher = SemanticMatcher(load_bank(), embedder.encode, load_calibration())
    return {half: _run(half, matcher) for half in ("test", "test_noised")}


def test_the_set_is_split_before_tuning_and_large() -> None:
    sys.path.insert(0, str(SET))
    import pools  # the wordings the set is composed from

    tune, test = _files("tune"), _files("test")
    assert len(tune) + len(test) >= 200 and len(_files("test_noised")) == len(test)
    assert {f["labels"]["split"] for f in tune} == {"tune"} and {f["labels"]["split"] for f in test} == {
        "test"
    }
    tune_text = "".join(t["text"] for f in tune for t in f["turns"])
    bank = {e for lb in load_bank().labels.values() for e in lb.examples}
    for pool in (pools.IMPATIENCE, pools.FORBIDDEN, pools.DEFLECTION, pools.VAGUE):
        for wording in pool["test"]:
            assert wording.rstrip("。？！") not in tune_text, wording
            assert wording not in bank, wording
    for category in (*SEMANTIC, *KB):
        assert sum(category in f["labels"]["categories"] for f in test) >= 9, category
    assert sum(not f["labels"]["categories"] for f in test) >= 30


def test_floors_on_the_test_half(reports: dict[str, EvalReport]) -> None:
    clean, noised = reports["test"], reports["test_noised"]
    assert clean.micro.precision >= 0.97 and clean.micro.recall >= 0.92, clean.errors
    assert noised.micro.precision >= 0.88 and noised.micro.recall >= 0.9, noised.errors
    for category in (*SEMANTIC, *KB):
        tally = clean.categories[category]
        assert tally.precision is not None and tally.precision >= 0.9, (category, clean.errors)
        assert tally.recall is not None and tally.recall >= 0.75, (category, clean.errors)
    for category, floor in (("politeness", 0.8), ("accuracy", 0.9)):  # 1.0 clean; 0.833 and 1.0 noised
        assert clean.categories[category].recall == 1.0, (category, clean.errors)
        assert (noised.categories[category].recall or 0.0) >= floor, (category, noised.errors)


def test_rules_alone_still_work_without_a_model() -> None:
    report = _run("test", None)
    # Before this work the rules found 0.44 of the labels here; the KB and rule changes alone reach
    # the accuracy and one-time-notice floors, the phrase categories need the model.
    assert report.micro.precision >= 0.95
    for category in KB:
        assert report.categories[category].recall >= 0.8, (category, report.errors)

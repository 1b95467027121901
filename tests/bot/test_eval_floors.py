"""`hotline eval` through the whole stack (Rasa, actions, services) on the shared dev sets and on
the test half of the project's own held-out sets (tests/data/heldout, never tuned on), typed and
as a phone recogniser would have written them (knowledge/asr_noise.py, profile "phone").

Floors sit a little under what was measured (docs/benchmarks.md); falling below them is a
regression of the dialogue, not noise of one phrasing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services.evaluation import load_items, make_noise, run, summarize
from api.services.stack import StackEngine
from api.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVAL = PROJECT_ROOT.parent / "shared" / "eval"


HELDOUT = PROJECT_ROOT / "tests" / "data" / "heldout"


def _summary(stack_settings: Settings, name: str, *, noised: bool = False) -> dict[str, dict[str, float]]:
    path: Path = EVAL / name if not name.startswith("heldout/") else HELDOUT / name.split("/", 1)[1]
    if not path.exists():
        pytest.skip(f"{path} is not beside the project")
    items = load_items(path)
    if noised:
        items = list(make_noise(stack_settings.kb_entries_dir, "phone").noise_items(items, seed=0))
    engine = StackEngine(stack_settings, start=False)  # the session's stack is already running
    prefix = "eval-noised-" if noised else "eval-"
    return summarize(list(run(engine, items, session_prefix=prefix)))


def test_dev_questions_through_the_stack(stack, stack_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    summary = _summary(stack_settings, "dev.jsonl")
    assert summary["all"]["accuracy"] >= 0.75, summary
    assert summary["ticket"]["accuracy"] >= 0.8, summary  # complaints and reports open the form
    assert summary["guess_rate"]["accuracy"] <= 0.08, summary


def test_dev_dialogues_through_the_stack(stack, stack_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    summary = _summary(stack_settings, "dev_dialogues.jsonl")
    assert summary["all"]["accuracy"] >= 0.78, summary
    for kind in ("greet", "ask_slot", "ticket", "clarify_region"):
        assert summary[kind]["accuracy"] == 1.0, (kind, summary)
    assert summary["goodbye"]["accuracy"] >= 0.8, summary
    assert summary["guess_rate"]["accuracy"] <= 0.10, summary

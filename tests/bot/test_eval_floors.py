"""`hotline eval` through the whole stack (Rasa, actions, services) on the shared dev sets.

Floors sit a little under what was measured (docs/benchmarks.md: dev 36/40, dialogues 32/37 on
2026-11-23); falling below them is a regression of the dialogue, not noise of one phrasing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services.evaluation import load_items, run, summarize
from api.services.stack import StackEngine
from api.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVAL = PROJECT_ROOT.parent / "shared" / "eval"


def _summary(stack_settings: Settings, name: str) -> dict[str, dict[str, float]]:
    path: Path = EVAL / name
    if not path.exists():
        pytest.skip(f"{path} is not beside the project")
    engine = StackEngine(stack_settings, start=False)  # the session's stack is already running
    return summarize(list(run(engine, load_items(path))))


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

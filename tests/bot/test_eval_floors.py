"""`hotline eval` through the whole stack (Rasa, actions, services) on the shared dev sets and on
the test half of the project's own held-out sets (tests/data/heldout, never tuned on), typed and
as a phone recogniser would have written them (knowledge/asr_noise.py, profile "phone").

Floors sit a little under what was measured (docs/benchmarks.md); falling below them is a
regression of the dialogue, not noise of one phrasing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import PROJECT_ROOT, Settings
from devtools.evaluation import load_items, make_noise, routing_confusion, run, summarize
from devtools.stack import StackEngine

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVAL = PROJECT_ROOT.parent / "shared" / "eval"


HELDOUT = PROJECT_ROOT / "tests" / "data" / "heldout"
# A little under what was measured on the test halves (docs/benchmarks.md, issue 13).
# Measured 2026-12-06 (session 7): heldout questions 69/92 (0.750), tickets 16/19, dialogue turns
# 49/56 (0.875), guesses 5/92; heldout2 questions 62/81 (0.765), tickets 17/20, dialogue turns
# 42/50 (0.840), guesses 6/81; routing set test half: complaints opening a form 37/50, policy
# questions pushed into a form 5/50. Session 9: heldout questions 71/92, heldout2 tickets 18/20,
# routing test half complaints 42/50 (Rasa's retrained model moves short turns: keep a margin).
FLOORS = {
    "questions": 0.71,
    "tickets": 0.75,
    "dialogues": 0.82,
    "questions2": 0.82,
    "tickets2": 0.8,
    "dialogues2": 0.8,
    "spoken_gap": 0.07,
    "routing_tickets": 0.74,
    "routing_policy_to_form": 0.18,
    # Session 11: heldout3 questions 49/61 (0.803), tickets 15/15, dialogue turns 17/31 (0.548);
    # routing2 test half: complaints opening a form 38/40, policy questions pushed into a form 9/40.
    "questions3": 0.78,
    "tickets3": 0.9,
    "dialogues3": 0.45,
    "routing2_tickets": 0.85,
    "routing2_policy_to_form": 0.3,
    # Session 12: routing3 test half: complaints opening a form 38/40, policy questions in a form 5/40.
    "routing3_tickets": 0.85,
    "routing3_policy_to_form": 0.25,
    # Session 17: routing4 (a fourth writer, unseen) test half: complaints opening a form 30/40,
    # policy questions in a form 3/40 (29/40 and 2/40 before the session's changes).
    "routing4_tickets": 0.7,
    "routing4_policy_to_form": 0.13,
    # Session 14: heldout4 (a fourth writer) questions 47/60 (0.783), tickets 10/13, guesses 8/60,
    # dialogue turns 25/34 (0.735). Guesses per set: the fourth writer's test half still draws 8
    # (a CI clone retrains Rasa: keep a margin of about two items).
    "questions4": 0.76,
    "tickets4": 0.6,
    "dialogues4": 0.65,
    "guesses2": 0.09,
    "guesses3": 0.09,
    "guesses4": 0.14,
    # Session 16 (answers keep the documents' words): heldout2 questions 71/81, heldout3 51/61,
    # heldout4 49/60 with 6 guesses; heldout5 (a fifth writer, one file, never tuned on) 41/60,
    # 4 guesses. About two items of margin each.
    "questions5": 0.63,
    "guesses5": 0.12,
}


def _summary(stack_settings: Settings, name: str, *, noised: bool = False) -> dict[str, dict[str, float]]:
    path: Path = EVAL / name if not name.startswith("heldout") else HELDOUT.parent / name
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


@pytest.fixture(scope="module")
def rasa_log_start(stack, stack_settings: Settings) -> tuple[Path, int]:  # type: ignore[no-untyped-def]
    """Where this module's turns begin in the Rasa log (the log is appended to across runs)."""
    log = stack_settings.data_dir / "logs" / "rasa.log"
    return log, log.stat().st_size if log.exists() else 0


def test_held_out_test_half_through_the_stack(rasa_log_start, stack, stack_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    typed = _summary(stack_settings, "heldout/questions_test.jsonl")
    spoken = _summary(stack_settings, "heldout/questions_test.jsonl", noised=True)
    assert typed["all"]["accuracy"] >= FLOORS["questions"], typed
    assert typed["ticket"]["accuracy"] >= FLOORS["tickets"], typed
    assert typed["guess_rate"]["accuracy"] <= 0.08, typed
    assert typed["all"]["accuracy"] - spoken["all"]["accuracy"] <= FLOORS["spoken_gap"], (typed, spoken)


def test_held_out_test_dialogues_through_the_stack(rasa_log_start, stack, stack_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    summary = _summary(stack_settings, "heldout/dialogues_test.jsonl")
    assert summary["all"]["accuracy"] >= FLOORS["dialogues"], summary
    for kind in ("ask_slot", "ticket"):
        assert summary[kind]["accuracy"] == 1.0, (kind, summary)


@pytest.mark.parametrize(
    ("name", "whole_kinds"),
    [
        ("heldout2", ("ask_slot", "ticket")),  # the second writer's set: questions and dialogues
        ("heldout3", ()),  # the third writer's: seed facts the first two sets did not use
        ("heldout4", ()),  # the fourth writer's: other cases of the seeds, lay words for terms
    ],
)
def test_later_held_out_test_halves_through_the_stack(  # type: ignore[no-untyped-def]
    rasa_log_start, stack, stack_settings: Settings, name: str, whole_kinds: tuple[str, ...]
) -> None:
    """Questions and dialogues of tests/data/heldout2, heldout3 and heldout4 that nobody tuned on."""
    n = name.removeprefix("heldout")
    typed = _summary(stack_settings, f"{name}/questions_test.jsonl")
    assert typed["all"]["accuracy"] >= FLOORS[f"questions{n}"], typed
    assert typed["ticket"]["accuracy"] >= FLOORS[f"tickets{n}"], typed
    assert typed["guess_rate"]["accuracy"] <= FLOORS[f"guesses{n}"], typed
    dialogues = _summary(stack_settings, f"{name}/dialogues_test.jsonl")
    assert dialogues["all"]["accuracy"] >= FLOORS[f"dialogues{n}"], dialogues
    for kind in whole_kinds:
        assert dialogues[kind]["accuracy"] == 1.0, (kind, dialogues)


def test_fifth_writers_questions_through_the_stack(stack, stack_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """tests/data/heldout5: facts labelled in the documents' own words, written apart and never tuned on."""
    typed = _summary(stack_settings, "heldout5/questions.jsonl")
    assert typed["all"]["accuracy"] >= FLOORS["questions5"], typed
    assert typed["guess_rate"]["accuracy"] <= FLOORS["guesses5"], typed


def test_rasa_logs_no_errors_on_ordinary_turns(rasa_log_start) -> None:  # type: ignore[no-untyped-def]
    """Every rating button once logged an interpolation error with a traceback (issue 13)."""
    log, start = rasa_log_start
    if not log.exists():
        pytest.skip("the Rasa server of this session was not started by the tests")
    with log.open("rb") as fh:
        fh.seek(start)
        lines = fh.read().decode("utf-8", errors="replace").splitlines()
    assert not [line for line in lines if " ERROR " in line][:5]


@pytest.mark.parametrize("name", ["routing", "routing2", "routing3", "routing4"])
def test_routing_test_half_through_the_stack(stack, stack_settings: Settings, name: str) -> None:  # type: ignore[no-untyped-def]
    """Complaints told as questions or stories open a form; policy questions in complaint words do not
    (tests/data/routing*, four writers apart from the system; even ids are the test halves)."""
    path = PROJECT_ROOT / "tests" / "data" / name / "utterances.jsonl"
    items = [i for i in load_items(path) if int(i["id"][1:]) % 2 == 0]
    rows = list(run(StackEngine(stack_settings, start=False), items, session_prefix=f"eval-{name}-"))
    confusion = routing_confusion(rows)
    tickets = summarize(rows)["ticket"]
    assert tickets["accuracy"] >= FLOORS[f"{name}_tickets"], (tickets, confusion)
    to_form, policy = confusion["policy_to_form"]
    assert to_form / policy <= FLOORS[f"{name}_policy_to_form"], confusion

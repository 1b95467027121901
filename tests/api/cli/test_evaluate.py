"""``hotline noise`` and ``hotline eval --noise`` / ``--side-by-side``, on an engine that records input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import evaluate, main
from api.settings import get_settings
from devtools.evaluation import TurnResult, load_items, make_noise

ITEMS: list[dict] = [
    {"id": "Q1", "question": "异地就医备案要什么材料？", "kind": "answer", "expect_any": [["材料"]]},
    {"id": "Q2", "question": "生育津贴多久到账？", "kind": "answer", "expect_any": []},
    {
        "id": "D1",
        "turns": [
            {"user": "慢特病在哪申请？", "expect_kind": "answer", "expect_any": []},
            {"user": "要带什么材料？", "expect_kind": "answer", "expect_any": []},
        ],
    },
]
CLEAN = {"异地就医备案要什么材料？", "生育津贴多久到账？", "慢特病在哪申请？", "要带什么材料？"}


class RecordingEngine:
    """Answers (with 材料) what it was asked in the clean wording, abstains on anything else."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    def new_session(self, session_id: str) -> None:
        pass

    def turn(self, session_id: str, text: str, *, region: str | None = None) -> TurnResult:
        self.heard.append((session_id, text))
        return TurnResult("answer", "请带好材料") if text in CLEAN else TurnResult("abstain", "转人工")

    def close(self) -> None:
        pass


@pytest.fixture
def items_file(tmp_path: Path) -> Path:
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in ITEMS), encoding="utf-8")
    return path


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> RecordingEngine:
    recording = RecordingEngine()
    monkeypatch.setattr(evaluate, "make_engine", lambda name: recording)
    return recording


def _texts(items: list[dict]) -> list[str]:
    return [
        t
        for it in items
        for t in ([it["question"]] if "question" in it else [u["user"] for u in it["turns"]])
    ]


def test_noise_writes_a_noised_copy_with_the_same_ids(items_file: Path, tmp_path: Path) -> None:
    out, again, other = tmp_path / "n.jsonl", tmp_path / "n2.jsonl", tmp_path / "n3.jsonl"
    assert main(["noise", str(items_file), "--out", str(out), "--seed", "5"]) == 0
    assert main(["noise", str(items_file), "--out", str(again), "--seed", "5"]) == 0
    assert main(["noise", str(items_file), "--out", str(other), "--seed", "6"]) == 0
    noised = load_items(out)
    assert [it["id"] for it in noised] == ["Q1", "Q2", "D1"]
    assert all(it["noised"] is True for it in noised)
    assert noised[0]["expect_any"] == [["材料"]] and len(noised[2]["turns"]) == 2
    assert not any(ch in text for text in _texts(noised) for ch in "？，。")
    assert out.read_text(encoding="utf-8") == again.read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") != other.read_text(encoding="utf-8")


def test_eval_noise_runs_the_noised_copy(
    items_file: Path, engine: RecordingEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(items_file), "--engine", "kb", "--noise", "--noise-seed", "5"]) == 0
    expected = list(make_noise(get_settings().kb_entries_dir).noise_items(ITEMS, seed=5))
    assert [text for _, text in engine.heard] == _texts(expected)
    assert not CLEAN & {text for _, text in engine.heard}
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["answer"] == ["4", "0", "0.000"]


def test_side_by_side_prints_clean_and_noised_columns(
    items_file: Path, tmp_path: Path, engine: RecordingEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rows.jsonl"
    assert main(["eval", str(items_file), "--engine", "kb", "--side-by-side", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["kind", "n", "clean", "noised", "delta"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["answer"] == ["4", "1.000", "0.000", "-1.000"]
    assert rows["guesses"] == ["4", "0.000", "0.000", "+0.000"]
    # Each run has its own sessions; the clean run heard the file, the noised run a copy.
    clean_run, noised_run = engine.heard[:4], engine.heard[4:]
    assert [t for _, t in clean_run] == _texts(ITEMS)
    assert all(s.startswith("eval-") and not s.startswith("eval-noised-") for s, _ in clean_run)
    assert all(s.startswith("eval-noised-") for s, _ in noised_run) and len(noised_run) == 4
    assert [json.loads(x)["correct"] for x in out.read_text(encoding="utf-8").splitlines()] == [True] * 4
    noised_rows = (tmp_path / "rows-noised.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["correct"] for x in noised_rows] == [False] * 4


def test_routing_confusion_counts_policy_and_work_order_mixups() -> None:
    from devtools.evaluation import Scored, routing_confusion

    def row(expected: str, kind: str) -> Scored:
        return Scored("x", 0, expected, kind, "", [], None, expected == kind, True, expected == kind, False)

    rows = [row("answer", "ask_slot"), row("clarify_region", "clarify_region"), row("ticket", "answer")]
    rows += [row("ticket", "abstain"), row("ticket", "ask_slot"), row("abstain", "ticket")]
    assert routing_confusion(rows) == {
        "policy_to_form": (1, 2),
        "ticket_to_policy": (1, 3),
        "ticket_to_miss": (1, 3),
    }

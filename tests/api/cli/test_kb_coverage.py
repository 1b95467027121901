"""``hotline kb coverage``: table and JSON output, restricted documents, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main

DOC = "900_0123456789abcdef.txt"
INTERNAL = "902_00112233445566aa.txt"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / DOC).write_text(
        "办理时限\n零星报销30个工作日内完成。\n参保人可在“浙里办”APP上申报，材料齐全即可。\n",
        encoding="utf-8",
    )
    (docs / INTERNAL).write_text("(不予公开)\n稽核每年不少于1次。\n", encoding="utf-8")
    entries = tmp_path / "entries"
    entries.mkdir()
    (entries / "e.yaml").write_text(
        f"- id: time-limit\n  topic: t\n  audience: public\n  effective: 2023\n"
        f"  source: {DOC} L2\n  questions: [a, b, c]\n  answer: x\n",
        encoding="utf-8",
    )
    return docs, entries


def test_json_lists_uncited_sentences(folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    docs, entries = folders
    assert main(["kb", "coverage", str(docs), "--entries", str(entries), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {
        "documents": 1,
        "skipped": [INTERNAL],
        "fact_sentences": 2,
        "cited": 1,
        "uncited": 1,
        "coverage_pct": 50.0,
    }
    doc = next(d for d in data["documents"] if d["name"] == DOC)
    assert [(u["line"], u["types"]) for u in doc["uncited"]] == [
        (3, ["channel", "named_service", "eligibility"])
    ]
    assert "cited_sentences" not in doc
    assert data["by_type"]["time_limit"] == {"fact_sentences": 1, "cited": 1, "coverage_pct": 100.0}


def test_table_per_document_and_summary(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    docs, entries = folders
    assert main(["kb", "coverage", str(docs / DOC), "--entries", str(entries), "--width", "10"]) == 0
    out = capsys.readouterr().out
    assert f"== {DOC}: 2 fact sentences, 1 cited" in out
    assert "L3\tchannel,named_service,eligibility\t参保人可在“浙里办…" in out
    assert "L2\t" not in out
    assert "coverage: 50.0%" in out


def test_all_shows_cited_sentences_with_their_entries(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    docs, entries = folders
    assert main(["kb", "coverage", str(docs), "--entries", str(entries), "--all"]) == 0
    out = capsys.readouterr().out
    assert "[time-limit]" in out and f"== {INTERNAL}: skipped (restricted)" in out


def test_missing_and_empty_paths_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "coverage", str(tmp_path / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["kb", "coverage", str(tmp_path / "empty")]) == 2
    assert "没有找到" in capsys.readouterr().err


def test_names_lists_what_an_answer_restates_without_the_document_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / DOC).write_text("标题\n参保人可在“浙里办”APP上申报零星报销，材料齐全即可。\n", encoding="utf-8")
    entries = tmp_path / "entries"
    entries.mkdir()
    (entries / "e.yaml").write_text(
        f"- id: online-claim\n  topic: t\n  audience: public\n  effective: 2023\n"
        f"  source: {DOC} L2\n  questions: [a, b, c]\n"
        "  answer: 参保人可在手机APP上申报零星报销，材料齐全就行。\n",
        encoding="utf-8",
    )
    assert main(["kb", "coverage", str(docs), "--entries", str(entries), "--names"]) == 0
    out = capsys.readouterr().out
    assert f"online-claim\t{DOC} L2\t“浙里办”\t" in out
    assert out.endswith("names left out: 1 in 1 entries\n")
    assert main(["kb", "coverage", str(docs), "--entries", str(entries), "--names", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["entry_id"], row["line"], row["name"]) == ("online-claim", 2, "浙里办")

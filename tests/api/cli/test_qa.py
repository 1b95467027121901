"""``hotline qa score`` and ``hotline qa eval``: output contract, files, folders, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main

ROOT = Path(__file__).resolve().parents[3]
LABELLED = ROOT / "tests" / "data" / "transcripts"


def _copy(names: list[str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text((LABELLED / name).read_text(encoding="utf-8"), encoding="utf-8")


def test_score_json_lines_and_out_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _copy(["QA001.json", "QA101.json"], tmp_path / "in" / "sub")
    code = main(
        ["qa", "score", str(tmp_path / "in"), "--json", "--kb", "off", "--out", str(tmp_path / "out")]
    )
    assert code == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [d["id"] for d in lines] == ["QA001", "QA101"]
    for d in lines:
        assert set(d) >= {"id", "score", "passed", "findings"}
    assert lines[0]["passed"] is True and lines[1]["passed"] is False
    assert {f["category"] for f in lines[1]["findings"]} == {"greeting", "closing"}
    assert json.loads((tmp_path / "out" / "QA101.json").read_text(encoding="utf-8"))["id"] == "QA101"


def test_table_output_and_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _copy(["QA201.json"], tmp_path)
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    (tmp_path / "wrong.json").write_text(
        json.dumps({"id": "W", "turns": [{"speaker": "x", "text": "a"}]}), encoding="utf-8"
    )
    code = main(["qa", "score", str(tmp_path), "--kb", "lexical"])
    out = capsys.readouterr().out
    assert code == 1
    assert "QA201\t" in out and "不合格" in out and "accuracy" in out
    assert "2 条无法读取或格式错误" in out


def test_missing_path_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qa", "score", str(tmp_path / "nope"), "--kb", "off"]) == 2
    assert "没有找到" in capsys.readouterr().err


def test_eval_prints_precision_and_recall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _copy(["QA001.json", "QA103.json", "QA305.json"], tmp_path)
    assert main(["qa", "eval", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "forbidden_phrase" in out and "precision" in out and "pass/fail agreement: 1.000" in out


def test_personal_numbers_in_evidence_are_masked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call = {
        "id": "M1",
        "channel": "chat",
        "turns": [
            {"speaker": "bot", "text": "您好，欢迎咨询。"},
            {"speaker": "caller", "text": "查我余额"},
            {"speaker": "bot", "text": "13812345678的机主，您的余额是300元。感谢您的咨询，请评价，再见。"},
        ],
    }
    (tmp_path / "m1.json").write_text(json.dumps(call, ensure_ascii=False), encoding="utf-8")
    main(["qa", "score", str(tmp_path), "--json", "--kb", "off"])
    masked = capsys.readouterr().out
    assert "余额" in masked and "13812345678" not in masked
    main(["qa", "score", str(tmp_path), "--json", "--kb", "off", "--show-personal"])
    assert "13812345678" in capsys.readouterr().out


def test_calibrate_writes_thresholds_from_labelled_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tune = ROOT / "tests" / "data" / "transcripts_semantic" / "tune"
    folder = tmp_path / "tune"
    folder.mkdir()
    for path in sorted(tune.glob("*.json"))[:30]:
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "cal.json"
    try:
        code = main(["qa", "calibrate", str(folder), "--no-reviews", "--out", str(out)])
    except ValueError as exc:  # no embedding model on this machine
        pytest.skip(str(exc))
    assert code == 0 and "30 个标注文件" in capsys.readouterr().out
    written = json.loads(out.read_text(encoding="utf-8"))
    assert set(written["thresholds"]) == {"impatience", "forbidden", "deflection", "vague", "caller_open"}
    assert written["examples"] == [] and "30 labelled calls" in written["source"]

"""``hotline kb import``: a sheet with bad rows prints every problem by row, exits non-zero and
writes nothing; ``--dry-run`` reports what would happen without writing."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.cli import main
from api.db import unit_of_work
from api.models.users import KbEntryVersion
from api.services.registry import get_session_factory
from api.settings import get_settings

HEADER = ["question", "answer", "region", "effective", "source"]
GOOD = [
    ["生育津贴出院后多久能发？", "出院结算后10个工作日内发放。", "杭州", "2023", "杭州医保"],
    ["医保热线晚上能打吗？", "郑州12393热线7×24小时服务。", "郑州", "2021", "郑州医保"],
]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "entries").mkdir()
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOTLINE_KB_ENTRIES_DIR", str(tmp_path / "entries"))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def versions() -> int:
    with unit_of_work(get_session_factory(get_settings())) as session:
        return int(session.scalar(select(func.count()).select_from(KbEntryVersion)) or 0)


def test_bad_rows_are_listed_and_nothing_is_written(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = write(
        env / "faq.csv", [*GOOD, ["", "答案", "杭州", "2023", "x"], ["问", "答", "杭州", "去年", "x"]], "gbk"
    )
    assert main(["kb", "import", str(sheet)]) == 1
    err = capsys.readouterr().err
    assert "有 2 处错误，未导入任何内容" in err
    assert "第 4 行\t问题\t“问题”为空" in err
    assert "第 5 行\t生效日期\t生效日期“去年”无法识别" in err
    assert versions() == 0


def test_dry_run_reports_without_writing(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = write(env / "faq.csv", GOOD)
    assert main(["kb", "import", str(sheet), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "仅检查（未写入）：新增 2，更新 0，未变 0" in out
    assert "第 2 行\t新增\tfaq-" in out and "[浙江/杭州] 生育津贴出院后多久能发?" in out
    assert versions() == 0
    assert not (env / "data" / "index").exists()

"""``hotline kb ingest``: the document reaches the index and its uncited facts wait as drafts, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from api.db import unit_of_work
from api.services import kb_drafts, knowledge
from api.services.registry import get_session_factory
from api.settings import get_settings

pytestmark = pytest.mark.integration

NOTICE = """开封市医疗保障局关于规范门诊慢特病待遇认定的通知
2024年3月1日

一、办理时限
门诊慢特病待遇认定在受理后15个工作日内完成。
二、办理渠道
参保人可以通过“开封医保”公众号在线申请。
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "entries").mkdir()  # no curated entries: a tiny index
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOTLINE_KB_ENTRIES_DIR", str(tmp_path / "entries"))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    knowledge.reset()
    yield tmp_path
    knowledge.reset()
    get_settings.cache_clear()


def test_ingest_indexes_the_document_and_proposes_drafts_once(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notice = env / "开封慢特病通知.txt"
    notice.write_text(NOTICE, encoding="utf-8")
    assert main(["kb", "ingest", str(notice)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["documents"] == 1 and first["total"] >= 1
    assert first["drafts"]["created"] == 2 and first["drafts"]["known"] == 0
    assert main(["kb", "ingest", str(notice)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["drafts"]["created"] == 0 and again["drafts"]["known"] == 2
    settings = get_settings()
    with unit_of_work(get_session_factory(settings)) as session:
        queue = kb_drafts.queue(session, settings, origin="document")
    assert sorted(i.summary.title for i in queue) == [
        "参保人可以通过“开封医保”公众号在线申请。",
        "门诊慢特病待遇认定在受理后15个工作日内完成。",
    ]
    assert main(["kb", "ingest", str(notice), "--no-drafts"]) == 0
    assert "drafts" not in json.loads(capsys.readouterr().out)

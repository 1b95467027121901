"""FAQ import in the knowledge editor, in a real browser: a sheet with bad rows is refused with the
problems listed by row (nothing imported), the corrected sheet is imported and the report lists each
row, and the imported answer is live at once."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.db import unit_of_work
from api.services import auth
from api.services import knowledge as kb_service
from api.services.registry import get_session_factory
from api.settings import Settings
from tests.console.conftest import serve

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "import-editor-password-1"
HEADER = ["问题", "答案", "地区", "生效日期", "来源", "主题", "受众", "相似问题"]
ROWS = [
    [
        "医保自助服务一体机有多少台？",
        "合川区配了82台医保自助服务一体机，可以打印参保缴费凭证。",
        "重庆/合川",
        "2023",
        "合川医保案例",
        "经办服务",
        "",
        "",
    ],
    [
        "网上能办多少项医保业务？",
        "合川区参保人可以在渝快办APP等渠道网上办理64项高频医保事项。",
        "合川",
        "2023",
        "合川医保案例",
        "经办服务",
        "",
        "",
    ],
]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


@pytest.fixture
def import_server(tmp_path: Path, console_app_settings: Settings) -> Iterator[str]:
    """An API server of its own (the curated index copied, its own database): imports stay here."""
    shutil.copytree(console_app_settings.index_dir, tmp_path / "data" / "index")
    settings = console_app_settings.model_copy(
        update={"data_dir": tmp_path / "data", "database_url": f"sqlite:///{tmp_path / 'import.db'}"}
    )
    with unit_of_work(get_session_factory(settings)) as session:
        auth.create_user(session, username="faq-editor", password=PASSWORD, roles=["editor"])
    with serve(settings) as base:
        yield base
    kb_service.reset()


def test_editor_uploads_a_sheet_and_sees_the_report(
    page: Any, import_server: str, login: Any, tmp_path: Path
) -> None:
    login(page, import_server, "faq-editor", PASSWORD)
    page.goto(f"{import_server}/console/kb")
    page.locator("#kb-list li").first.wait_for()

    bad = write_csv(
        tmp_path / "bad.csv",
        [*ROWS, ["医保卡丢了怎么办？", "去窗口补办。", "火星", "2023", "来源", "", "", ""]],
    )
    page.set_input_files("#kb-import-file", str(bad))
    page.click("#kb-import-btn")
    page.locator("#kb-import-summary.error").wait_for()
    assert "未导入任何内容" in page.locator("#kb-import-summary").inner_text()
    error_rows = page.locator("#kb-import-table tbody tr.import-error")
    assert error_rows.count() == 1
    assert error_rows.first.locator("td").first.inner_text() == "4"
    assert "火星" in error_rows.first.inner_text()

    good = write_csv(tmp_path / "good.csv", ROWS)
    page.set_input_files("#kb-import-file", str(good))
    page.click("#kb-import-btn")
    page.locator("#kb-import-summary.ok").wait_for(timeout=180_000)
    summary = page.locator("#kb-import-summary").inner_text()
    assert "已发布" in summary and "新增 2" in summary
    cells = [row.locator("td").all_inner_texts() for row in page.locator("#kb-import-table tbody tr").all()]
    assert [c[:2] for c in cells] == [["2", "新增"], ["3", "新增"]]
    assert cells[0][3] == "重庆/合川"

    resp = httpx.post(
        f"{import_server}/api/knowledge/answer",
        json={"question": "我是合川的，那个医保自助机一共放了多少台", "region": None},
        timeout=60,
    )
    resp.raise_for_status()
    assert "82台" in resp.json()["text"]

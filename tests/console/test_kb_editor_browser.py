"""The knowledge editor in a real browser: an editor turns an unanswered question into an entry with
a new fact, previews it, publishes it, and the live answer API answers with the new fact at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from api.settings import PROJECT_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "editor-password-1"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
QUESTION = "龙江医保小程序能不能亮医保码"
NEW_FACT = "在“龙江医保”小程序首页点“医保码”即可亮码，首次使用需刷脸认证"


def _answer(base: str, question: str, region: str | None = None) -> dict[str, Any]:
    resp = httpx.post(
        f"{base}/api/knowledge/answer", json={"question": question, "region": region}, timeout=60
    )
    resp.raise_for_status()
    return resp.json()


def test_editor_adds_previews_publishes_and_the_answer_uses_it(
    page: Any, console_server: str, make_user: Callable[..., Any], login: Callable[..., None]
) -> None:
    assert NEW_FACT not in _answer(console_server, QUESTION, "黑龙江")["text"]
    make_user("kb-editor", PASSWORD, ["editor"], display_name="王编辑")
    login(page, console_server, "kb-editor", PASSWORD)
    # The dashboard links unanswered questions here: the form opens prefilled.
    page.goto(f"{console_server}/console/kb?question={quote(QUESTION)}")
    page.locator("#kb-list li").first.wait_for()
    assert page.locator("#kb-questions").input_value() == QUESTION
    assert page.locator("#console-nav a.active").inner_text() == "知识库编辑"

    page.fill("#kb-id", "e-voucher-longjiang-code")
    page.fill("#kb-topic", "医保电子凭证")
    page.fill("#kb-title", "龙江医保小程序亮医保码")
    page.fill("#kb-region", "黑龙江")
    page.fill("#kb-effective", "2024-05")
    page.fill("#kb-source", "004_97e06d7970843a80.txt L1")
    page.fill("#kb-questions", f"{QUESTION}\n龙江医保小程序里医保码在哪\n怎么用龙江医保小程序亮码看病")
    page.fill("#kb-answer", NEW_FACT + "。")
    # Saving without a reason is refused, in Chinese.
    page.click("#kb-save")
    page.locator("#kb-message.error").wait_for()
    assert "修改原因" in page.locator("#kb-message").inner_text()

    # Preview before anything is stored or published.
    page.fill("#kb-preview-region", "黑龙江")
    page.click("#kb-preview-btn")
    page.locator("#kb-preview-draft").filter(has_text="刷脸认证").wait_for(timeout=60_000)
    assert "刷脸认证" not in page.locator("#kb-preview-current").inner_text()
    assert NEW_FACT not in _answer(console_server, QUESTION, "黑龙江")["text"]

    page.fill("#kb-reason", "来电人常问，补充小程序亮码渠道")
    page.click("#kb-save")
    page.locator("#kb-message.ok").filter(has_text="已保存为草稿").wait_for()
    page.locator("#kb-history tbody tr").filter(has_text="补充小程序亮码渠道").wait_for()
    assert NEW_FACT not in _answer(console_server, QUESTION, "黑龙江")["text"]  # a draft is not live

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-kb-editor.png"), full_page=True)  # list scrolls inside

    page.click("#kb-publish")
    page.locator("#kb-message.ok").filter(has_text="已发布 1 个条目").wait_for(timeout=120_000)
    assert "索引更新了 1 条" in page.locator("#kb-message").inner_text()  # incremental: only this entry
    answer = _answer(console_server, QUESTION, "黑龙江")
    assert answer["kind"] == "answer" and NEW_FACT in answer["text"]
    assert answer["entry_id"] == "e-voucher-longjiang-code"
    assert "王编辑" not in page.locator("#kb-history").inner_text()  # history shows the username
    assert "kb-editor" in page.locator("#kb-history").inner_text()


def test_editor_api_is_closed_to_agents(console_server: str, make_user: Callable[..., Any]) -> None:
    make_user("kb-agent", PASSWORD, ["agent"])
    with httpx.Client(base_url=console_server, timeout=30) as client:
        client.post("/api/auth/login", json={"username": "kb-agent", "password": PASSWORD})
        assert client.get("/api/kb/entries").status_code == 403
        assert client.post("/api/kb/publish", json={}).status_code == 403

"""The web widget in headless Chromium (Debian's /usr/bin/chromium via Playwright) on the real stack:
type a question, see the answer with its source, ask for a human, see the hand-off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def page(browser: Any) -> Iterator[Any]:
    """One phone-sized page for the module's tests (they follow one caller)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


def test_question_answer_sources_and_handoff(page: Any, api_url: str) -> None:
    page.goto(f"{api_url}/chat/demo")
    panel = page.locator(".hl-panel")
    panel.wait_for(state="visible")
    # Phone-sized screen: the panel fills the width.
    assert panel.bounding_box()["width"] >= 380
    page.fill(".hl-input", "杭州的生育津贴多久能到账？")
    page.press(".hl-input", "Enter")
    answer = page.locator(".hl-bot").filter(has_text="工作日").first
    answer.wait_for(timeout=60_000)
    assert page.locator(".hl-source").count() >= 1
    assert "杭州" in page.locator(".hl-sources").first.inner_text()
    # Large-font mode for elderly callers.
    size = page.eval_on_selector(".hl-msg", "e => parseFloat(getComputedStyle(e).fontSize)")
    page.click(".hl-large-toggle")
    larger = page.eval_on_selector(".hl-msg", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert larger > size
    # 转人工 button: the hand-off banner appears.
    page.click(".hl-human")
    page.locator(".hl-handoff").wait_for(state="visible", timeout=60_000)
    assert "人工" in page.locator(".hl-handoff").inner_text()
    assert page.get_attribute("[data-hotline-widget]", "data-handoff") == "waiting"


def test_region_answer_keeps_the_question_and_a_follow_up_gets_its_facet(page: Any, api_url: str) -> None:
    """Issue 13: 'ask a regional question, answer the region question with just the city, get the
    answer to the original question; then a facet follow-up gets the facet'."""
    page.goto(f"{api_url}/chat/demo")
    # A new caller: the first test's session (handed to an agent) must not carry over.
    page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    page.reload()
    page.locator(".hl-panel").wait_for(state="visible")

    def say(text: str, expect: str) -> str:
        before = page.locator(".hl-bot").count()
        page.fill(".hl-input", text)
        page.press(".hl-input", "Enter")
        reply = page.locator(".hl-bot").nth(before).filter(has_text=expect)
        reply.wait_for(timeout=60_000)
        return str(page.locator(".hl-bot").nth(page.locator(".hl-bot").count() - 1).inner_text())

    say("生育津贴多久能到账？", "参保")
    answer = say("杭州", "工作日")
    assert "10个工作日" in answer or "十个工作日" in answer
    follow_up = say("那要带什么材料？", "材料")
    # The facet, not the same answer again: 杭州 needs no application and no papers.
    assert any(word in follow_up for word in ("不用", "无需", "无感办", "免申"))
    assert follow_up != answer

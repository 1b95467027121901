"""The agent view in headless Chromium against the real API server: a caller's chat is handed
over, an agent takes it, answers, and the caller's widget shows the reply; suggestions update
while the caller keeps typing; a work order is created from the conversation and listed.

The caller side is the real widget on /chat/demo talking to the real chat service over its
WebSocket. The console server has no Rasa (see ``console_app_settings``), so the chat service
runs in its degraded mode: the first question is answered from the knowledge base and 转人工
opens the hand-off through the same ``chat.respond`` -> ``handoff.request`` path the Rasa reply
takes. The dialogue through Rasa itself is covered by tests/bot/test_widget.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.settings import PROJECT_ROOT
from tests.browser import say
from tests.console.conftest import TOKENS

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "agent.png"
PASSWORD = "Agent-Pass-2026!"
WAIT = 90_000  # the first question loads the embedding model in the server


def test_agent_takes_answers_assists_and_files_a_work_order(
    page: Any,
    caller: Any,
    console_server: str,
    make_user: Callable[..., Any],
) -> None:
    base = console_server
    make_user("agent_wang", PASSWORD, ["agent"], display_name="王坐席")

    # The caller asks a question, then asks for a human.
    caller.goto(f"{base}/chat/demo")
    caller.locator(".hl-panel").wait_for(state="visible")
    say(caller, "我是太原的，跨省异地就医怎么备案？")
    caller.click(".hl-human")
    caller.locator(".hl-handoff").wait_for(state="visible", timeout=WAIT)
    session_id = caller.evaluate("() => localStorage.getItem('hotline12393.session')")
    assert session_id

    # The agent logs in (through the auth API: the session cookie lands in the browser context,
    # independent of the login page's own test), sees the conversation in the queue and takes it.
    resp = page.request.post(f"{base}/api/auth/login", data={"username": "agent_wang", "password": PASSWORD})
    assert resp.ok, resp.text()
    page.goto(f"{base}/console/agent")
    page.locator(f'#queue li[data-session="{session_id}"] button[data-accept]').click()
    page.locator("#transcript .turn.caller").filter(has_text="跨省异地就医").wait_for()
    assert page.locator('#convo-slots [data-slot="region"]').inner_text() == "太原"

    # Live assist: the Taiyuan rule first, with its source and the 一次性告知 checklist.
    first = page.locator("#suggestions .suggestion").first
    first.wait_for(timeout=WAIT)
    assert "太原" in first.locator(".s-title").inner_text()
    assert "来源" in first.locator(".s-source").inner_text()
    assert page.locator("#checklist li").count() >= 3
    assert "所需材料" in page.locator("#checklist").inner_text()

    # One click inserts the answer into the reply box; the agent sends it.
    first.locator('[data-act="insert"]').click()
    answer = first.locator(".s-answer").inner_text()
    assert page.input_value("#reply") == answer
    page.fill("#reply", "您好，我是人工坐席小王。" + answer)
    page.click("#reply-send")
    reply = caller.locator(".hl-agent").filter(has_text="人工坐席小王")
    reply.wait_for(timeout=WAIT)
    assert "自助备案" in reply.inner_text() or "备案" in reply.inner_text()

    # 有用 is kept and counted for supervisors.
    first.locator('[data-act="useful"]').click()
    page.locator('#suggestions .suggestion [data-act="useful"].voted').wait_for()
    counts = httpx.get(
        f"{base}/api/assist/feedback", headers={"Authorization": f"Bearer {TOKENS['supervisor_token']}"}
    ).json()
    assert counts and counts[0]["useful"] == 1

    # The caller keeps typing: the transcript and the suggestions follow.
    say(caller, "生孩子的生育津贴多久能到账？")
    page.locator("#transcript .turn.caller").filter(has_text="生育津贴").wait_for()
    page.locator("#suggestions .suggestion").filter(has_text="生育津贴").first.wait_for(timeout=WAIT)
    assert "生育津贴" in page.locator("#assist-query").inner_text()
    assert page.locator("#convo-mask").is_hidden()  # the agent holds it: numbers shown

    # A work order from the conversation, pre-filled from what the caller said.
    say(caller, "我叫李娜，电话13812345678，麻烦帮我登记一下")
    page.locator("#transcript .turn.caller").filter(has_text="李娜").wait_for()
    page.click("#ticket-open")
    assert page.input_value("#t-phone") == "13812345678"  # the agent holds the conversation
    assert page.input_value("#t-region") == "太原"
    # The draft holds the matter handed over, not the question the bot had already answered.
    assert "生育津贴" in page.input_value("#t-description")
    assert "跨省异地就医" not in page.input_value("#t-description")
    page.fill("#t-name", "李娜")
    page.fill("#t-topic", "生育津贴到账")
    page.click("#ticket-submit")
    result = page.locator("#ticket-result")
    result.wait_for(state="visible")
    number = result.get_attribute("data-number")
    row = page.locator(f'#tickets tr[data-number="{number}"]')
    row.wait_for()
    assert "生育津贴到账" in row.inner_text() and "新建" in row.inner_text()

    # Filters: by status on the server, by topic in the page.
    page.select_option("#f-status", "已办结")
    row.wait_for(state="detached")
    page.select_option("#f-status", "")
    row.wait_for()
    page.fill("#f-topic", "不存在的主题")
    row.wait_for(state="detached")
    page.fill("#f-topic", "生育")
    row.wait_for()

    # Dispatch and log a status change on the order.
    row.click()
    page.locator("#d-number").filter(has_text=number).wait_for()
    page.click("#d-assign-form button[type=submit]")
    page.locator("#d-status").filter(has_text="已分派").wait_for()
    page.select_option("#d-new-status", "处理中")
    page.fill("#d-comment", "已联系经办机构核实")
    page.click("#d-status-form button[type=submit]")
    page.locator("#d-status").filter(has_text="处理中").wait_for()
    assert "已联系经办机构核实" in page.locator("#d-events").inner_text()
    page.select_option("#d-new-status", "已办结")
    page.fill("#d-comment", "已答复来电人")
    page.click("#d-status-form button[type=submit]")
    page.locator("#d-status").filter(has_text="已办结").wait_for()
    page.fill("#d-callback", "回访来电人，已收到答复")
    page.select_option("#d-satisfaction", "满意")
    page.click("#d-callback-form button[type=submit]")
    page.locator("#d-status").filter(has_text="已回访").wait_for()
    assert "回访：回访来电人，已收到答复（满意）" in page.locator("#d-events").inner_text()

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.locator("#ticket-detail").scroll_into_view_if_needed()
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Release: the caller's widget leaves the hand-off.
    page.click("#release")
    caller.locator(".hl-handoff").wait_for(state="hidden", timeout=WAIT)
    assert caller.get_attribute("[data-hotline-widget]", "data-handoff") is None
    page.locator("#convo-none").wait_for(state="visible")


def test_agent_page_needs_a_login(page: Any, console_server: str) -> None:
    page.goto(f"{console_server}/console/agent")
    page.wait_for_url(lambda url: "/console/login" in url)
    assert Path(page.url).name.startswith("login")

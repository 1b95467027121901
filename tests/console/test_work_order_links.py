"""Work orders an agent opens from a conversation, in headless Chromium against the real API:
an order holds only the matter handed over, links back to its conversation, and is merged into an
open order only for the same caller and the same matter (issue 14: an agent's report for another
person had been linked to this caller's complaint)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser import say

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "Agent-Pass-2026!"
WAIT = 90_000  # the first question loads the embedding model in the server


def _file(page: Any, *, category: str, topic: str, name: str) -> tuple[str, str]:
    """Open the order form from the conversation, fill it, submit: (number, what the page said)."""
    page.click("#ticket-open")
    page.select_option("#t-category", category)
    page.fill("#t-topic", topic)
    page.fill("#t-name", name)
    page.evaluate("() => document.querySelector('#ticket-result').removeAttribute('data-number')")
    page.click("#ticket-submit")
    page.wait_for_function("() => document.querySelector('#ticket-result').hasAttribute('data-number')")
    result = page.locator("#ticket-result")
    return result.get_attribute("data-number"), result.inner_text()


def test_orders_hold_their_matter_link_their_conversation_and_merge_only_the_same_matter(
    page: Any, caller: Any, console_server: str, make_user: Callable[..., Any]
) -> None:
    base = console_server
    make_user("agent_zhao", PASSWORD, ["agent"], display_name="赵坐席")

    # A question the bot settles, then a complaint handed to a human.
    caller.goto(f"{base}/chat/demo")
    caller.locator(".hl-panel").wait_for(state="visible")
    say(caller, "我是太原的，跨省异地就医怎么备案？")
    caller.click(".hl-human")
    caller.locator(".hl-handoff").wait_for(state="visible", timeout=WAIT)
    session_id = caller.evaluate("() => localStorage.getItem('hotline12393.session')")

    resp = page.request.post(f"{base}/api/auth/login", data={"username": "agent_zhao", "password": PASSWORD})
    assert resp.ok, resp.text()
    page.goto(f"{base}/console/agent")
    page.locator(f'#queue li[data-session="{session_id}"] button[data-accept]').click()
    say(caller, "我叫王芳，电话13812345678，市一院多收了我三百块钱")
    page.locator("#transcript .turn.caller").filter(has_text="多收了我三百块钱").wait_for()

    # The complaint's order: only its matter, not the settled question before the hand-off.
    page.click("#ticket-open")
    description = page.input_value("#t-description")
    assert "多收了我三百块钱" in description and "跨省异地就医" not in description
    page.click("#ticket-cancel")
    first, said = _file(page, category="投诉", topic="医院收费", name="王芳")
    assert said.startswith("已生成工单")

    # The same phone reports something else for another person: a new order, not "已关联".
    second, said = _file(page, category="举报", topic="药店违规刷卡", name="张伟")
    assert second != first and said.startswith("已生成工单") and "已关联" not in said

    # The same caller on the same matter again: added to the open order.
    third, said = _file(page, category="投诉", topic="医院收费", name="王芳")
    assert third == first and said.startswith("已关联到该来电人未办结的工单")

    # The order's detail: the matter's transcript and the way back to the conversation.
    page.locator(f'#tickets tr[data-number="{first}"]').click()
    page.locator("#d-number").filter(has_text=first).wait_for()
    page.click("#d-transcript-box summary")
    transcript = page.locator("#d-transcript").inner_text()
    assert "多收了我三百块钱" in transcript and "跨省异地就医" not in transcript
    link = page.locator("#d-conversation")
    assert link.is_visible() and link.get_attribute("data-session") == session_id
    page.click("#release")  # leave the conversation, then come back to it from the order
    page.locator("#convo-none").wait_for(state="visible")
    link.click()
    page.locator("#transcript .turn.caller").filter(has_text="跨省异地就医").wait_for()

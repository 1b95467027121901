"""The agent workspace's hand-off queue (inbox) in headless Chromium, as an agent sees it.

Three hand-offs are stored through the hand-off service in the console server's database: a phone
call with a 62-character call id whose caller pressed 0 (waiting), a web chat taken by the agent
under test, and one taken by a colleague. The page must show readable Chinese reasons instead of
codes, the caller's last message (numbers masked), a waiting time that moves on while the page is
open, a 我的 / 全部 filter, and cards that keep their 接入 button inside at 1280 px and on a phone.
Screenshots go to /tmp/ui_shots (or ``HOTLINE_UI_SHOTS``) for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.db import unit_of_work
from api.models.conversations import Conversation, Turn
from api.services.conversations import handoff
from api.services.registry import get_session_factory
from api.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "Queue-Pass-2026!"
SHOTS = Path(os.environ.get("HOTLINE_UI_SHOTS", "/tmp/ui_shots"))
PHONE = {"width": 390, "height": 844}


def _store(
    settings: Settings,
    sid: str,
    *,
    channel: str,
    reason: str,
    caller_says: list[str],
    waited: dt.timedelta,
    agent: str | None = None,
) -> None:
    """A conversation with the caller's messages, handed off ``waited`` ago (taken by ``agent``)."""
    requested = dt.datetime.now(dt.UTC) - waited
    with unit_of_work(get_session_factory(settings)) as db:
        conv = Conversation(session_id=sid, channel=channel, created_at=requested, updated_at=requested)
        db.add(conv)
        db.flush()
        for seq, text in enumerate(caller_says, start=1):
            db.add(Turn(conversation_id=conv.id, seq=seq, speaker="caller", text=text, created_at=requested))
        db.flush()
        handoff.request(
            db, session_id=sid, reason=reason, channel=channel, slots={"region": "山西/太原"}, now=requested
        )
        if agent:
            handoff.accept(db, session_id=sid, agent=agent)


FITS = """sid => {
  const card = [...document.querySelectorAll('#queue li')].find(li => li.dataset.session === sid);
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5
    && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const box = card.getBoundingClientRect();
  const button = card.querySelector('button').getBoundingClientRect();
  const panel = document.querySelector('.queue-panel').getBoundingClientRect();
  return {button: inside(button, box), card: inside(box, panel), width: box.width};
}"""


def _fits(page: Any, sid: str) -> dict[str, Any]:
    """Whether the card's button lies inside the card and the card inside the queue panel (one read)."""
    return dict(page.evaluate(FITS, sid))


def _no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def test_queue_cards_read_like_an_inbox(
    page: Any, console_server: str, console_app_settings: Settings, make_user: Callable[..., Any]
) -> None:
    base = console_server
    make_user("agent_zhao", PASSWORD, ["agent"], display_name="赵坐席")
    tag = uuid.uuid4().hex[:8]
    long_id = f"call-{tag}-" + "7f3a9c2e" * 6  # 62 characters, no place to break
    mine_id, theirs_id = f"web-mine-{tag}", f"web-theirs-{tag}"
    # Requested 2 min 40 s ago: the card reads 等待 2 分钟 now and 等待 3 分钟 some 20 seconds later.
    _store(
        console_app_settings,
        long_id,
        channel="phone",
        reason="caller_pressed_0",
        caller_says=["你好", "我的电话是13912345678，想问一下门诊慢特病怎么报销"],
        waited=dt.timedelta(minutes=2, seconds=40),
    )
    _store(
        console_app_settings,
        mine_id,
        channel="web",
        reason="anger",
        caller_says=["你们这个系统怎么回事"],
        waited=dt.timedelta(minutes=12),
        agent="agent_zhao",
    )
    _store(
        console_app_settings,
        theirs_id,
        channel="web",
        reason="repeated_failure",
        caller_says=["异地就医备案"],
        waited=dt.timedelta(minutes=1),
        agent="colleague_qian",
    )

    resp = page.request.post(f"{base}/api/auth/login", data={"username": "agent_zhao", "password": PASSWORD})
    assert resp.ok, resp.text()
    page.goto(f"{base}/console/agent")
    card = page.locator(f'#queue li[data-session="{long_id}"]')
    card.wait_for()

    # Readable reason, the caller's last message with the number masked, the waiting time.
    text = card.inner_text()
    assert "来电人按 0 转人工" in text and "caller_pressed_0" not in text
    assert "caller_" not in page.locator("#queue").inner_text()
    preview = card.locator(".q-preview")
    assert preview.is_visible()
    assert "门诊慢特病" in preview.inner_text() and "5678" in preview.inner_text()
    assert "13912345678" not in text
    assert "等待 2 分钟" in card.locator(".q-wait").inner_text()
    # The waiting time moves on while the page stays open (no reload).
    card.locator(".q-wait").filter(has_text="等待 3 分钟").wait_for(timeout=30_000)
    # A conversation already taken tells how long ago it came in, not that the caller still waits.
    mine_text = page.locator(f'#queue li[data-session="{mine_id}"]').inner_text()
    assert "来电人情绪激动" in mine_text and "已转人工 12 分钟" in mine_text and "由我处理" in mine_text
    # Waiting callers come first.
    order = page.locator("#queue li").evaluate_all("els => els.map(e => e.dataset.session)")
    assert order.index(long_id) < order.index(mine_id) < order.index(theirs_id)

    # The long id does not push 接入 out of the card, nor the card out of the queue panel.
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "agent-queue-1280.png"))
    button = card.locator("button[data-accept]")
    assert button.is_visible() and button.inner_text() == "接入"
    fits = _fits(page, long_id)
    assert fits["button"] and fits["card"], fits
    assert _no_sideways_scroll(page)

    # 我的 / 全部: mine is what this agent has taken.
    page.click("#queue-filter button[data-filter='mine']")
    assert page.get_attribute("#queue-filter button[data-filter='mine']", "aria-pressed") == "true"
    page.locator(f'#queue li[data-session="{long_id}"]').wait_for(state="detached")
    shown = page.locator("#queue li").evaluate_all("els => els.map(e => e.dataset.session)")
    assert shown == [mine_id]
    assert "我的" in page.inner_text("#queue-filter button[data-filter='mine']")
    page.click("#queue-filter button[data-filter='all']")
    for sid in (long_id, mine_id, theirs_id):
        page.locator(f'#queue li[data-session="{sid}"]').wait_for()
    assert "由 colleague_qian 处理" in page.locator(f'#queue li[data-session="{theirs_id}"]').inner_text()

    # Taking the waiting call moves it into 我的.
    button.click()
    page.locator("#convo-session").filter(has_text=long_id).wait_for()
    page.click("#queue-filter button[data-filter='mine']")
    page.locator(f'#queue li[data-session="{long_id}"] button[data-open]').wait_for()

    # Phone width: one column, the card and its button still fit, nothing scrolls sideways.
    page.click("#queue-filter button[data-filter='all']")
    page.set_viewport_size(PHONE)
    card = page.locator(f'#queue li[data-session="{theirs_id}"]')
    card.wait_for()
    page.screenshot(path=str(SHOTS / "agent-queue-phone.png"), full_page=True)
    for sid in (long_id, mine_id):
        fits = _fits(page, sid)
        assert fits["button"] and fits["card"], (sid, fits)
    assert _no_sideways_scroll(page)

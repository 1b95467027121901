"""The web widget keeps the conversation whole, in headless Chromium on the real stack:

- a reloaded page shows the conversation so far (bot answers, button presses, agents' messages);
- during a hand-off the caller sees the agent join, write and leave, and agents' messages look
  like a person's, not the bot's; a page reloaded during a hand-off resumes it without losing or
  repeating a message (WebSocket pushes and the HTTP transport's polling);
- messages typed while the bot is still answering are sent, in order;
- the 1000-character limit is shown while typing, nothing longer is ever shown as sent, and a
  message the server refuses is marked as not sent and kept to edit.

The agent side acts through the console API as a logged-in agent whose display name is 小张.
Set WIDGET_SHOTS=<folder> to keep screenshots of what the caller sees.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
WINDOWS = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
AGENT_USER, AGENT_PASSWORD, AGENT_NAME = "widget-agent-zhang", "Widget-agent-2024!", "小张"
SLOW = 60_000  # a real Rasa answer on 2 shared cores
WAITING = "正在为您转接人工客服，请稍候…"
SERVING = f"人工客服{AGENT_NAME}正在为您服务"
JOINED = f"人工客服{AGENT_NAME}已接入，正在为您服务。"
LEFT = f"人工客服{AGENT_NAME}已结束服务，接下来由智能助手继续为您解答。"
LIMIT = "最多可输入1000字，请分几次发送"


class AgentDesk:
    """An agent at the console, through its API: accept, write, hand back."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def accept(self, session_id: str) -> None:
        self.client.post(f"/api/chat/{session_id}/accept").raise_for_status()

    def say(self, session_id: str, text: str) -> None:
        self.client.post(f"/api/chat/{session_id}/agent-message", json={"text": text}).raise_for_status()

    def release(self, session_id: str) -> None:
        self.client.post(f"/api/chat/{session_id}/release").raise_for_status()


@pytest.fixture(scope="module")
def agent(api_url: str, stack_settings: Settings) -> Iterator[AgentDesk]:
    from api.db import unit_of_work
    from api.services import auth
    from api.services.registry import get_session_factory

    with unit_of_work(get_session_factory(stack_settings)) as db:
        try:
            auth.create_user(
                db, username=AGENT_USER, password=AGENT_PASSWORD, roles=["agent"], display_name=AGENT_NAME
            )
        except auth.UserExists:
            db.rollback()
    login = httpx.post(f"{api_url}/api/auth/login", json={"username": AGENT_USER, "password": AGENT_PASSWORD})
    login.raise_for_status()
    desk = AgentDesk(api_url, login.json()["token"])
    yield desk
    desk.client.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """``new_page(viewport)``: a page in a fresh context (a new caller: empty localStorage)."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] = PHONE) -> Any:
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def host_page(page: Any, api_url: str, **attrs: str) -> str:
    """A page of another site embedding the widget with ``data-*`` attributes; returns its URL."""
    options = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>嵌入页</title></head>'
        f'<body><p>某地医保局网站</p><script src="/chat/widget.js" data-open="true" {options}></script>'
        "</body></html>"
    )
    url = f"{api_url}/test-host/embed.html"
    page.route(
        url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
    )
    return url


def open_widget(page: Any, url: str) -> None:
    page.goto(url)
    page.locator(".hl-panel").wait_for(state="visible")


def session_of(page: Any) -> str:
    return str(page.evaluate("() => localStorage.getItem('hotline12393.session')"))


def say(page: Any, text: str) -> None:
    page.fill(".hl-input", text)
    page.press(".hl-input", "Enter")


def shot(page: Any, name: str) -> None:
    folder = os.environ.get("WIDGET_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def messages(page: Any) -> list[tuple[str, str]]:
    """Every bubble in the log, in order: (kind, its own text without the sources list)."""
    rows = page.eval_on_selector_all(
        ".hl-log > .hl-msg",
        """nodes => nodes.map(n => [
            ['user', 'bot', 'agent', 'notice', 'system'].find(k => n.classList.contains('hl-' + k)) || '',
            Array.from(n.childNodes).filter(c => c.nodeType === 3).map(c => c.textContent).join('')
        ])""",
    )
    return [(str(kind), str(text)) for kind, text in rows]


def transcript(api_url: str, session_id: str) -> dict[str, Any]:
    reply = httpx.get(f"{api_url}/api/chat/{session_id}/transcript", timeout=30)
    reply.raise_for_status()
    return dict(reply.json())


def wait_for_turn(api_url: str, session_id: str, text: str) -> None:
    """Wait until the caller's ``text`` is stored in the conversation."""
    deadline = time.monotonic() + 30
    while not any(t["text"] == text for t in transcript(api_url, session_id)["turns"]):
        assert time.monotonic() < deadline, f"the caller's {text!r} never reached the server"
        time.sleep(0.3)


def hand_off(page: Any) -> str:
    """Press 转人工 and wait for the bar; returns the session id."""
    page.click(".hl-human")
    expect(page.locator(".hl-handoff")).to_contain_text("人工", timeout=SLOW)
    return session_of(page)


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


# --- 1. The history survives a reload ---------------------------------------------------------


def test_reload_shows_the_conversation_so_far(new_page: Callable[..., Any], api_url: str) -> None:
    page = new_page(PHONE)
    open_widget(page, f"{api_url}/chat/demo")
    say(page, "杭州的生育津贴多久能到账？")
    expect(page.locator(".hl-bot").filter(has_text="工作日").first).to_be_visible(timeout=SLOW)
    say(page, "谢谢")
    rating = page.locator(".hl-quick button.hl-rating", has_text="基本满意")
    rating.wait_for(timeout=SLOW)
    rating.click()
    expect(page.locator(".hl-user").last).to_have_text("基本满意")  # the button's title, not its payload
    expect(page.locator(".hl-bot").last).to_contain_text("感谢您的评价", timeout=SLOW)
    before = messages(page)
    assert [k for k, _ in before].count("user") == 3

    page.reload()
    page.locator(".hl-panel").wait_for(state="visible")
    expect(page.locator(".hl-log > .hl-msg")).to_have_count(len(before), timeout=10_000)
    # Every bubble the caller saw, in the same order, as the same kind (greeting, question, answer,
    # thanks, rating prompt, the pressed button's title, the bot's thanks).
    assert messages(page) == before
    assert ("user", "基本满意") in messages(page)
    shot(page, "history_after_reload_phone")
    # The restored conversation goes on in the same session.
    bots = page.locator(".hl-bot").count()
    say(page, "异地就医怎么备案")
    expect(page.locator(".hl-user").last).to_have_text("异地就医怎么备案")
    expect(page.locator(".hl-bot").nth(bots)).to_be_visible(timeout=SLOW)


# --- 2. The caller sees the agent join, write and leave ----------------------------------------


@pytest.mark.parametrize("window", WINDOWS)
def test_caller_sees_the_agent_join_write_and_leave(
    new_page: Callable[..., Any], api_url: str, agent: AgentDesk, window: dict[str, int]
) -> None:
    page = new_page(window)
    name = "phone" if window is PHONE else "desktop"
    open_widget(page, f"{api_url}/chat/demo")
    assert page.get_attribute(".hl-log", "role") == "log"
    assert page.get_attribute(".hl-log", "aria-live") == "polite"
    sid = hand_off(page)
    bar = page.locator(".hl-handoff")
    assert page.get_attribute("[data-hotline-widget]", "data-handoff") == "waiting"
    expect(bar).to_have_text(WAITING)
    please_wait = page.locator(".hl-log > .hl-msg", has_text="请稍候")
    waits = please_wait.count()

    # Writing while waiting adds the caller's message, not another "please wait" bubble.
    say(page, "请问有人吗")
    expect(page.locator(".hl-user").last).to_have_text("请问有人吗")
    wait_for_turn(api_url, sid, "请问有人吗")
    time.sleep(1.0)  # the reply to it has arrived and been rendered by now
    assert please_wait.count() == waits
    expect(bar).to_have_text(WAITING)
    shot(page, f"handoff_waiting_{name}")

    agent.accept(sid)
    expect(page.locator(".hl-notice").last).to_have_text(JOINED, timeout=10_000)
    expect(bar).to_have_text(SERVING)
    assert page.get_attribute("[data-hotline-widget]", "data-handoff") == "active"

    agent.say(sid, "您好，我是人工客服小张，请问您是哪里参保的？")
    reply = page.locator(".hl-agent").last
    expect(reply).to_contain_text("您好，我是人工客服小张，请问您是哪里参保的？", timeout=10_000)
    expect(reply.locator(".hl-agent-name")).to_have_text(f"人工客服 {AGENT_NAME}")
    # The agent's bubble is not a bot bubble: its own colour, on the other side from the caller.
    assert reply.evaluate("n => !n.classList.contains('hl-bot')")
    colour = reply.evaluate("n => getComputedStyle(n).backgroundColor")
    others = page.eval_on_selector_all(  # the bot's hand-off message, the greeting, the caller's
        ".hl-log > .hl-msg:not(.hl-agent):not(.hl-notice)",
        "ns => ns.map(n => getComputedStyle(n).backgroundColor)",
    )
    assert len(others) >= 3 and colour not in others
    log_box = page.locator(".hl-log").bounding_box()
    agent_box = reply.bounding_box()
    user_box = page.locator(".hl-user").last.bounding_box()
    assert agent_box["x"] < log_box["x"] + 24  # left, where the caller reads the other side
    assert user_box["x"] + user_box["width"] > log_box["x"] + log_box["width"] - 32  # the caller: right
    assert agent_box["x"] + agent_box["width"] <= log_box["x"] + log_box["width"]  # fits the window
    shot(page, f"handoff_agent_writes_{name}")

    agent.release(sid)
    expect(page.locator(".hl-notice").last).to_have_text(LEFT, timeout=10_000)
    expect(bar).to_be_hidden()
    assert page.get_attribute("[data-hotline-widget]", "data-handoff") is None
    shot(page, f"handoff_left_{name}")
    # The bot answers again.
    bots = page.locator(".hl-bot").count()
    say(page, "异地就医怎么备案")
    expect(page.locator(".hl-bot").nth(bots)).to_be_visible(timeout=SLOW)


# --- 3. A reload during a hand-off resumes it --------------------------------------------------


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_reload_during_a_handoff_resumes_without_losing_or_repeating(
    new_page: Callable[..., Any], api_url: str, agent: AgentDesk, transport: str
) -> None:
    page = new_page(PHONE)
    url = f"{api_url}/chat/demo" if transport == "ws" else host_page(page, api_url, transport="http")
    open_widget(page, url)
    sid = hand_off(page)
    agent.accept(sid)
    first, second, third = (
        "第一条：请问您在哪里参保？",
        "第二条：好的，我帮您查一下。",
        "第三条：查到了，您的备案已生效。",
    )
    agent.say(sid, first)
    expect(page.locator(".hl-agent", has_text=first)).to_be_visible(timeout=15_000)
    say(page, "杭州")
    expect(page.locator(".hl-user").last).to_have_text("杭州")
    # The agent answers once the caller's message is stored: a turn written at the same moment as
    # another of the same conversation can fail on its sequence number (a server-side race).
    wait_for_turn(api_url, sid, "杭州")
    agent.say(sid, second)
    expect(page.locator(".hl-agent", has_text=second)).to_be_visible(timeout=15_000)

    page.reload()
    page.locator(".hl-panel").wait_for(state="visible")
    # The bar says who has the conversation; what was said is all there, once.
    expect(page.locator(".hl-handoff")).to_have_text(SERVING, timeout=10_000)
    expect(page.locator(".hl-agent")).to_have_count(2)
    expect(page.locator(".hl-user", has_text="杭州")).to_have_count(1)
    expect(page.locator(".hl-notice", has_text=JOINED)).to_have_count(1)

    # The agent's next message arrives without the caller typing anything.
    agent.say(sid, third)
    expect(page.locator(".hl-agent", has_text=third)).to_be_visible(timeout=15_000)
    time.sleep(7.0)  # two more polls / pushes: nothing may come twice
    texts = [t for k, t in messages(page) if k == "agent"]
    assert texts == [first, second, third]
    assert page.locator(".hl-notice").count() == 1
    shot(page, f"handoff_resumed_{transport}_phone")


# --- 4. Messages typed while the bot answers ---------------------------------------------------


def test_messages_typed_while_the_bot_answers_are_sent_in_order(
    new_page: Callable[..., Any], api_url: str
) -> None:
    page = new_page(PHONE)
    open_widget(page, f"{api_url}/chat/demo")
    first, second = "杭州的生育津贴多久能到账？", "异地就医怎么备案"
    say(page, first)
    say(page, second)  # typed while the first is still being answered
    # Both are on the screen at once, as sent, and the box is free for the next one.
    expect(page.locator(".hl-user")).to_have_text([first, second], timeout=2_000)
    assert page.input_value(".hl-input") == ""
    shot(page, "queued_phone")
    # Both are answered: a bot bubble after the second question, nobody typing any more.
    expect(page.locator(".hl-user ~ .hl-user ~ .hl-bot").first).to_be_visible(timeout=2 * SLOW)
    expect(page.locator(".hl-typing")).to_have_count(0, timeout=SLOW)
    # Each answer follows its own question, as the server stored them.
    kinds = [k for k, _ in messages(page) if k in ("user", "bot")]
    runs = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    assert runs == ["user", "bot", "user", "bot"]
    assert "工作日" in page.locator(".hl-bot").first.inner_text()
    said = [t["text"] for t in transcript(api_url, session_of(page))["turns"] if t["speaker"] == "caller"]
    assert said == [first, second]


# --- 5. The length limit ----------------------------------------------------------------------


@pytest.mark.parametrize("window", WINDOWS)
def test_the_counter_warns_near_and_at_the_limit(
    new_page: Callable[..., Any], api_url: str, window: dict[str, int]
) -> None:
    page = new_page(window)
    name = "phone" if window is PHONE else "desktop"
    open_widget(page, f"{api_url}/chat/demo")
    counter, note = page.locator(".hl-counter"), page.locator(".hl-limit-msg")
    expect(counter).to_have_text("0/1000")
    expect(counter).to_be_visible()

    page.fill(".hl-input", "医" * 980)
    expect(counter).to_have_text("980/1000")
    expect(note).to_have_text("还可输入20字")
    # Inside the panel, where the caller looks while typing.
    panel = page.locator(".hl-panel").bounding_box()
    box = counter.bounding_box()
    assert panel["y"] <= box["y"] and box["y"] + box["height"] <= panel["y"] + panel["height"]
    assert panel["x"] <= box["x"] and box["x"] + box["width"] <= panel["x"] + panel["width"]
    shot(page, f"near_the_limit_{name}")

    page.fill(".hl-input", "医保卡丢了怎么补办" + "。" * 991)
    expect(counter).to_have_text("1000/1000")
    expect(note).to_have_text(LIMIT)
    shot(page, f"at_the_limit_{name}")
    # At the limit it still goes, and the counter starts again.
    page.press(".hl-input", "Enter")
    expect(page.locator(".hl-user")).to_have_count(1)
    expect(counter).to_have_text("0/1000")
    expect(note).to_have_text("")


@pytest.mark.parametrize("window", WINDOWS)
def test_text_over_the_limit_is_kept_whole_and_never_shown_as_sent(
    new_page: Callable[..., Any], api_url: str, window: dict[str, int]
) -> None:
    page = new_page(window)
    name = "phone" if window is PHONE else "desktop"
    open_widget(page, f"{api_url}/chat/demo")
    # Typed or pasted past the limit: the text is kept whole (not cut off silently) and the caller
    # is told why it cannot go; pressing Enter or the greyed-out 发送 sends nothing.
    page.fill(".hl-input", "保" * 1200)
    assert len(page.input_value(".hl-input")) == 1200
    note = page.locator(".hl-limit-msg")
    expect(note).to_contain_text(LIMIT)
    expect(note).to_contain_text("200")
    expect(page.locator(".hl-counter")).to_have_text("1200/1000")
    page.press(".hl-input", "Enter")
    assert page.get_attribute(".hl-send", "aria-disabled") == "true"
    page.click(".hl-send", force=True)  # greyed out, but a person can still press it
    time.sleep(1.0)
    shot(page, f"over_the_limit_{name}")
    assert page.locator(".hl-user").count() == 0
    assert len(page.input_value(".hl-input")) == 1200

    # Set and submitted by a script: still not shown as sent, still not sent.
    page.evaluate(
        """() => { document.querySelector('.hl-input').value = '长'.repeat(1500);
                   document.querySelector('.hl-form').requestSubmit(); }"""
    )
    time.sleep(1.0)
    assert page.locator(".hl-user").count() == 0
    assert len(page.input_value(".hl-input")) == 1500
    expect(page.locator(".hl-counter")).to_have_text("1500/1000")
    unknown = httpx.get(f"{api_url}/api/chat/{session_of(page)}/transcript", timeout=30)
    assert unknown.status_code == 404  # the server never heard from this caller


def test_a_message_the_server_refuses_is_marked_and_kept(new_page: Callable[..., Any], api_url: str) -> None:
    """A site that set a higher limit than the server's (data-max-chars): the server refuses."""
    page = new_page(DESKTOP)
    open_widget(page, host_page(page, api_url, max_chars="1500"))
    long_text = "我想反映一个问题：" + "医院收费不合理" * 170  # 1199 characters: over the server's 1000
    page.fill(".hl-input", long_text)
    page.press(".hl-input", "Enter")
    sent = page.locator(".hl-user").last
    expect(sent).to_contain_text("我想反映一个问题")
    note = page.locator(".hl-failed-note")
    expect(note).to_contain_text("未发送", timeout=SLOW)
    expect(note).to_contain_text("1000字以内")  # the server's own message
    assert sent.inner_text() == long_text  # the whole text, not a cut-off one
    shot(page, "refused_desktop")
    # Not lost: 修改 puts the whole text back in the box.
    note.locator("button", has_text="修改").click()
    assert page.input_value(".hl-input") == long_text
    expect(page.locator(".hl-counter")).to_have_text(f"{len(long_text)}/1500")
    expect(page.locator(".hl-user")).to_have_count(0)
    # Shortened, it goes through and is answered.
    page.fill(".hl-input", "医院收费不合理，怎么投诉？")
    page.press(".hl-input", "Enter")
    expect(page.locator(".hl-user")).to_have_count(1)
    expect(page.locator(".hl-failed-note")).to_have_count(0)
    expect(page.locator(".hl-log > .hl-msg:not(.hl-user)").nth(1)).to_be_visible(timeout=SLOW)

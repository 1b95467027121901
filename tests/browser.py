"""Debian's Chromium driven by Playwright: the one browser every browser test uses (the `browser`
fixture in tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def launch() -> Iterator[Any]:
    """Yield a launched headless Chromium; skip the test when Playwright or Chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield instance
        finally:
            instance.close()


PHONE = {"width": 390, "height": 844}
ANSWER_WAIT_MS = 90_000  # a first answer loads models in the server; Rasa on 2 shared cores is slow


def fresh_page(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    """A page in a fresh context (no cookies or localStorage from other tests), Chinese locale."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def phone_page(browser: Any) -> Iterator[Any]:
    """A caller's phone-sized page in a fresh context (empty localStorage: a new caller)."""
    yield from fresh_page(browser, PHONE)


def say(page: Any, text: str) -> None:
    """Type a message into the widget, send it, and wait until the reply has arrived."""
    page.fill(".hl-input", text)
    page.press(".hl-input", "Enter")
    page.wait_for_function("() => !document.querySelector('.hl-typing')", timeout=ANSWER_WAIT_MS)

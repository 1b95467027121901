"""Shared pytest configuration; database fixtures live in the tests.db plugin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import launch as browser_launch
from tests.browser import phone_page

pytest_plugins = ["tests.db"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, once per test session (tests/browser.py)."""
    yield from browser_launch()


@pytest.fixture
def caller(browser: Any) -> Iterator[Any]:
    """A caller's phone-sized page with the widget's host page still to open (tests/browser.py)."""
    yield from phone_page(browser)

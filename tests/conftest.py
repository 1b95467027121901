"""Shared pytest configuration; database fixtures live in the tests.db plugin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import launch as browser_launch

pytest_plugins = ["tests.db"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, once per test session (tests/browser.py)."""
    yield from browser_launch()

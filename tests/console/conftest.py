"""Fixtures of the console (agent workspace) tests: one real API server, users, headless Chromium.

- ``console_app_settings``: Settings on a temporary SQLite database and a knowledge index of the
  curated entries only (knowledge/entries, no seed documents). The index is built incrementally
  into pytest's cache folder (``.pytest_cache/d/console-index``), so a later run re-embeds only
  entries that changed, and copied into this session's data folder. Service tokens are set
  (``agent_token`` etc.) for API calls that need no browser. No Rasa server is configured: chat
  runs in its degraded, knowledge-base-only mode unless a test brings the real stack.
- ``console_server``: uvicorn running ``api.main.create_app`` in a thread on a free port.
- ``make_user(username, password, roles)``: creates (or resets) a staff user via the auth service.
- ``browser`` (one Chromium per session) and ``page`` (a fresh context per test: no shared cookies).
- ``login(page, base, username, password)``: logs in through the login page.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from api.services import auth
from api.services import knowledge as kb_service
from api.settings import Settings
from tests.browser import fresh_page

VIEWPORT = {"width": 1280, "height": 860}
TOKENS = {"agent_token": "console-test-agent", "supervisor_token": "console-test-supervisor"}
TOKENS["admin_token"] = "console-test-admin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def console_index_cache(request: pytest.FixtureRequest) -> Path:
    """The curated-entries index, kept in pytest's cache and updated incrementally."""
    cache = Path(request.config.cache.mkdir("console-index"))
    settings = Settings(data_dir=cache, kb_documents=[], _env_file=None)  # type: ignore[call-arg]
    kb_service.build_index(settings, progress=False)
    kb_service.reset()
    return settings.index_dir


@pytest.fixture(scope="session")
def console_app_settings(tmp_path_factory: pytest.TempPathFactory, console_index_cache: Path) -> Settings:
    """Settings of the console server: own SQLite database, index of the curated entries, tokens."""
    data = tmp_path_factory.mktemp("console")
    shutil.copytree(console_index_cache, data / "index")
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data,
        database_url=f"sqlite:///{data / 'hotline.db'}",
        kb_documents=[],
        rasa_url=f"http://127.0.0.1:{free_port()}",
        rasa_timeout_s=2.0,
        staffed_hours="00:00-24:00",
        staffed_weekdays="1-7",
        ticket_escalation_interval_s=0,
        auth_max_failures=5,
        auth_lockout_s=60,
        **TOKENS,
    )


@contextlib.contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The real API (uvicorn in a thread) on a free port for ``settings``; yields its base URL."""
    import uvicorn

    from api.main import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    if not server.started:
        raise RuntimeError("console test server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def console_server(console_app_settings: Settings) -> Iterator[str]:
    """The console's API server for the whole test session."""
    with serve(console_app_settings) as base:
        yield base
    kb_service.reset()


@pytest.fixture
def make_user(console_app_settings: Settings) -> Callable[..., auth.UserPublic]:
    """Create a staff user (or reset an existing one's password and roles)."""
    from api.db import unit_of_work
    from api.services.registry import get_session_factory

    def create(username: str, password: str, roles: Sequence[str], display_name: str = "") -> auth.UserPublic:
        with unit_of_work(get_session_factory(console_app_settings)) as session:
            try:
                return auth.create_user(
                    session, username=username, password=password, roles=roles, display_name=display_name
                )
            except auth.UserExists:
                session.rollback()
                auth.set_password(session, username=username, password=password)
                auth.set_active(session, username=username, active=True)
                return auth.set_roles(session, username=username, roles=roles)

    return create


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies from other tests) and its page, 1280 px wide."""
    yield from fresh_page(browser, VIEWPORT)


def do_login(page: Any, base: str, username: str, password: str, *, expect_success: bool = True) -> None:
    """Log in through the login page; on success wait until the browser has left it."""
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    if expect_success:
        page.wait_for_url(lambda url: "/console/login" not in url, wait_until="commit")
    else:
        page.locator("#login-error").wait_for(state="visible")


@pytest.fixture
def login() -> Callable[..., None]:
    """``login(page, base, username, password)``: log in through the login page."""
    return do_login

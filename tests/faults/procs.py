"""Real processes the fault and scale-out tests kill and restart: PostgreSQL, the API, Rasa, actions.

``RestartablePostgres`` is the throwaway server of tests/db.py that can also be stopped and
started again on the same port and data folder (a database outage and its recovery).
``ApiProcess`` runs the API as ``uvicorn api.main:create_app --factory`` with the test settings
as HOTLINE_* variables, so it can be killed and restarted like a deployed one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx

from api.settings import PROJECT_ROOT, Settings
from devtools.stack import settings_env
from tests.db import _Server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], Any], what: str, timeout: float = 120.0, every: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` (no timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except (httpx.HTTPError, OSError):
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what}")


class RestartablePostgres(_Server):
    """A private PostgreSQL cluster that can go down and come back on the same port."""

    # Used from the first start: an immediate stop is a crash, and with asynchronous commit the last
    # commits before it are lost (acknowledged turns the fault tests would rightly miss).
    crash_safe = True

    def halt(self) -> None:
        """Stop the server at once (open connections break), keeping its data."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def resume(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-o", self._options(), "-w", "-t", "60", "start", timeout=90,
        )  # fmt: skip


class ApiProcess:
    """The API as its own process on a free port."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, **settings_env(self.settings)}
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed by stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_for(
            lambda: httpx.get(self.url + "/api/chat/health", timeout=5).status_code == 200, "the API", 90
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def say(self, session_id: str, text: str) -> dict[str, Any]:
        resp = httpx.post(self.url + "/api/chat", json={"session_id": session_id, "text": text}, timeout=120)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def health(self) -> dict[str, Any]:
        return httpx.get(self.url + "/api/health", timeout=60).json()


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a stack child and its process group: a crash, not a shutdown."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def joined(reply: dict[str, Any]) -> str:
    return "".join(m.get("text") or "" for m in reply["replies"])

"""Start and stop the Rasa server and the action server as child processes.

Used by ``hotline run`` (``make run``), by ``hotline eval`` when the servers are not running,
and by the pytest session fixture. ``ensure_running`` starts only what is not already up and
its ``Stack.stop`` stops only what it started, so a developer's running servers are left alone.
The children get the caller's settings as ``HOTLINE_*`` variables, so the action server writes
to the same database as the API that started it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import httpx

from api.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

__all__ = ["Stack", "StackEngine", "actions_up", "ensure_running", "rasa_up", "settings_env", "warm_up"]


def rasa_up(settings: Settings, timeout: float = 1.0) -> bool:
    """True when Rasa answers on ``settings.rasa_url`` (it listens only once the model is loaded)."""
    try:
        resp = httpx.get(settings.rasa_url.rstrip("/") + "/", timeout=timeout)
    except httpx.HTTPError:
        return False
    return resp.status_code == 200 and "Rasa" in resp.text


def actions_up(settings: Settings, timeout: float = 1.0) -> bool:
    """True when the action server answers its health route."""
    try:
        resp = httpx.get(f"http://127.0.0.1:{settings.action_port}/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return resp.status_code == 200


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as HOTLINE_* variables (lists as JSON), for child processes."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, list | dict):
            value = json.dumps(
                [str(v) if isinstance(v, Path) else v for v in value] if isinstance(value, list) else value
            )
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"HOTLINE_{name.upper()}"] = str(value)
    return env


@dataclass
class Stack:
    """The processes one caller started; ``stop`` ends them (and only them)."""

    settings: Settings
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, IO[bytes]] = field(default_factory=dict)

    @property
    def started(self) -> list[str]:
        return list(self.processes)

    def stop(self, timeout: float = 20.0) -> None:
        """Terminate the started processes (their whole process groups), then kill stragglers."""
        for name, proc in self.processes.items():
            if proc.poll() is None:
                log.info("stack.stop name=%s pid=%s", name, proc.pid)
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
        for handle in self.logs.values():
            handle.close()
        self.processes.clear()
        self.logs.clear()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _child_env(settings: Settings) -> dict[str, str]:
    # The parent's environment keeps PATH and HOME; the settings override any HOTLINE_* in it.
    from bot.rasa_model import RASA_ENV

    return {**os.environ, **RASA_ENV, **settings_env(settings), "HOTLINE_ACTION_URL": settings.action_url}


def _spawn(stack: Stack, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
    log_dir = stack.settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    handle = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115  (closed by Stack.stop)
    proc = subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=_child_env(stack.settings), stdout=handle, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    stack.processes[name] = proc
    stack.logs[name] = handle
    log.info("stack.start name=%s pid=%s log=%s", name, proc.pid, log_dir / f"{name}.log")
    return proc


def _wait(stack: Stack, name: str, ready: Callable[[], bool], timeout: float) -> None:
    proc = stack.processes[name]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if proc.poll() is not None:
            break
        time.sleep(1.0)
    log_file = stack.settings.data_dir / "logs" / f"{name}.log"
    tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-20:]) if log_file.exists() else ""
    stack.stop()
    state = f"exited with {proc.returncode}" if proc.poll() is not None else f"not ready after {timeout:.0f}s"
    raise RuntimeError(f"{name} {state}; last log lines ({log_file}):\n{tail}")


def ensure_running(settings: Settings, *, train: bool = True, model: Path | None = None, **_: Any) -> Stack:
    """Start the action server and Rasa unless they already answer; wait until both are ready.

    The model is the cached one for the current training data (trained first when ``train``).
    """
    from bot.rasa_model import ensure_model, latest_model, rasa_executable

    stack = Stack(settings)
    port = urlparse(settings.rasa_url).port
    if port is not None and port != settings.rasa_port:
        raise ValueError(
            f"HOTLINE_RASA_URL ({settings.rasa_url}) and HOTLINE_RASA_PORT ({settings.rasa_port}) disagree"
        )
    if not actions_up(settings):
        _spawn(stack, "actions", [
            sys.executable, "-m", "rasa_sdk", "--actions", "bot.actions", "--port", str(settings.action_port),
        ])  # fmt: skip
    if not rasa_up(settings):
        if model is None:
            model = (
                ensure_model(settings.rasa_model_dir, settings.rasa_venv)
                if train
                else latest_model(settings.rasa_model_dir)
            )
        if model is None:
            stack.stop()
            raise RuntimeError("no trained Rasa model for the current data; run `hotline train` first")
        _spawn(stack, "rasa", [
            str(rasa_executable(settings.rasa_venv)), "run",
            "--model", str(model),
            "--endpoints", str(PROJECT_ROOT / "bot" / "endpoints.yml"),
            "--credentials", str(PROJECT_ROOT / "bot" / "credentials.yml"),
            "--interface", "127.0.0.1",
            "--port", str(settings.rasa_port),
            "--response-timeout", str(int(max(settings.rasa_timeout_s * 3, 30))),
        ])  # fmt: skip
    if "actions" in stack.processes:
        _wait(stack, "actions", lambda: actions_up(settings), timeout=120)
    if "rasa" in stack.processes:
        _wait(stack, "rasa", lambda: rasa_up(settings), timeout=settings.rasa_start_timeout_s)
    if stack.processes:
        warm_up(settings)
    return stack


def warm_up(settings: Settings, timeout: float = 180.0) -> bool:
    """Send one policy question straight to Rasa so that jieba, TensorFlow graphs and the action
    server's knowledge base are loaded before the first caller (else that caller waits ~30 s)."""
    import uuid

    url = settings.rasa_url.rstrip("/") + "/webhooks/rest/webhook"
    body = {"sender": f"warmup-{uuid.uuid4().hex[:8]}", "message": "异地就医怎么备案"}
    started = time.monotonic()
    try:
        ok = bool(httpx.post(url, json=body, timeout=timeout).json())
    except (httpx.HTTPError, ValueError):
        ok = False
    log.info("stack.warm_up ok=%s seconds=%.1f", ok, time.monotonic() - started)
    return ok


class StackEngine:
    """``hotline eval`` through the whole stack: each dialogue in its own fresh chat session.

    Starts Rasa and the action server when they are not running and stops what it started.
    Session ids get a per-run suffix, so a rerun never meets the state (hand-off, slots) of
    an earlier run.
    """

    name = "stack"

    def __init__(self, settings: Settings | None = None, *, start: bool = True) -> None:
        import uuid

        from api.settings import get_settings

        self.settings = settings or get_settings()
        self._run = uuid.uuid4().hex[:8]
        self._sessions: dict[str, str] = {}
        self.stack = ensure_running(self.settings) if start else Stack(self.settings)

    def new_session(self, session_id: str) -> None:
        self._sessions[session_id] = f"{session_id}-{self._run}"[:64]

    def turn(self, session_id: str, text: str, *, region: str | None = None) -> Any:
        from api.services.chat import respond
        from api.services.evaluation import TurnResult

        sid = self._sessions.setdefault(session_id, f"{session_id}-{self._run}"[:64])
        # A single question with a known region is asked the way a caller would say it.
        message = text if not region else f"我是{region.rsplit('/', 1)[-1]}的，{text}"
        reply = respond(sid, message, channel="web", settings=self.settings)
        joined = "\n".join(m.text for m in reply.replies if m.text)
        return TurnResult(reply.kind, joined, [s.model_dump() for s in reply.sources], reply.ticket_id)

    def close(self) -> None:
        self.stack.stop()

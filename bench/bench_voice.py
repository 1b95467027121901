"""Phone speech speed: real-time factor on one core, end-of-speech to reply latency, concurrent calls.

Audio is Korean speech made by espeak-ng, pushed through the telephone path (8 kHz mu-law, 20 ms
frames) and recognised by the real Vosk engine with the model of HOTLINE_VOSK_MODEL (the Korean
test model by default; a Mandarin model of similar size behaves alike). Latency replays frames on
a real-time arrival schedule through a whole IvrCall, with an instant dialogue stub and a silent
TTS stub (synthesis excluded, as the target says): it is endpointing delay plus processing backlog.

The concurrency sweep is end to end: one API process (uvicorn, ``bench_app``) and 1, 2, 4, 6, 8, 10
simultaneous calls, each streaming 20 ms mu-law frames in real time over the media-stream
WebSocket, echoing marks at once (instant playback). Per level it reports the latency from the end
of the caller's speech to the first frame of the reply audio (real TTS included, the dialogue is an
instant stub: Rasa runs in its own process), the API process's CPU and its real-time factor.
Run: ``.venv/bin/python -m bench voice [--quick]``.
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

from api.settings import PROJECT_ROOT, get_settings
from voice.audio import decode_audio, pcm16_to_ulaw, ulaw_to_pcm16
from voice.ivr import IvrCall, IvrConfig, Play, Reply
from voice.recognizer import Recognizer

log = logging.getLogger(__name__)

SENTENCES = [
    "보험 신청 방법을 알려 주세요",
    "전화 번호를 말씀해 주세요",
    "병원에 가고 싶어요",
    "감사합니다 안녕히 계세요",
]
FRAME = 320  # 20 ms of 8 kHz int16


def _one_core() -> None:
    """Pin to one CPU so the real-time factor is per core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _line_audio(text: str) -> bytes:
    """espeak-ng speech as a phone line carries it: 8 kHz, through G.711 mu-law and back."""
    wav = subprocess.run(
        ["espeak-ng", "-v", "ko", "-s", "150", "--stdout", text], capture_output=True, check=True
    ).stdout
    pcm = decode_audio(wav, target_rate=8000).data
    return ulaw_to_pcm16(pcm16_to_ulaw(pcm)).astype("<i2").tobytes()


def _silence(seconds: float) -> bytes:
    return bytes(int(seconds * 8000) * 2)


class _SilentTTS:
    """Stands in for synthesis, which the latency target excludes."""

    name = "silent"

    def synthesize(self, text: str, *, sample_rate: int) -> bytes:
        return bytes(sample_rate // 5 * 2)


def real_time_factor(recognizer: Recognizer, clips: list[bytes]) -> dict[str, Any]:
    """CPU seconds per second of telephone audio, streaming with partial results on."""
    from voice.audio import StreamResampler

    audio = b"".join(c + _silence(0.8) for c in clips)
    session = recognizer.session()
    up = StreamResampler(8000, recognizer.sample_rate)
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    for i in range(0, len(audio), FRAME):
        session.feed(up.process(audio[i : i + FRAME]).tobytes())
    session.finish()
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    seconds = len(audio) / 2 / 8000
    return {
        "metric": "real-time factor (1 core)",
        "value": round(cpu / seconds, 3),
        "unit": "cpu s / audio s",
        "note": f"{seconds:.1f} s of 8 kHz speech, wall RTF {wall / seconds:.3f}",
    }


def reply_latency(recognizer: Recognizer, clips: list[bytes], trials: int = 8) -> list[dict[str, Any]]:
    """End of caller speech to the reply's first audio frame, frames arriving in real time."""
    latencies: list[float] = []
    config = IvrConfig()
    for n in range(trials):
        clip = clips[n % len(clips)]
        call = IvrCall(
            call_id=f"bench-{n}",
            recognizer=recognizer,
            tts=_SilentTTS(),
            config=config,
            respond=lambda sid, text: Reply(["好的。"], "answer"),
        )
        for action in call.start():
            if isinstance(action, Play):
                call.on_mark(action.mark)
        audio = _silence(0.5) + clip + _silence(2.5)
        speech_end = (0.5 + len(clip) / 2 / 8000) - 0.25  # espeak ends on ~0.25 s of its own silence
        done = 0.0
        reply_at = None
        for i in range(0, len(audio), FRAME):
            arrival = (i + FRAME) / 2 / 8000
            begin = max(arrival, done)
            t0 = time.thread_time()  # CPU of this call only: a dedicated core, not the neighbours' load
            actions = call.on_audio(audio[i : i + FRAME])
            done = begin + (time.thread_time() - t0)
            if any(isinstance(a, Play) and a.prompt == "reply" for a in actions):
                reply_at = done
                break
        if reply_at is not None:
            latencies.append(reply_at - speech_end)
    latencies.sort()
    p95 = (
        latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
        if latencies
        else float("nan")
    )
    note = (
        f"{len(latencies)}/{trials} turns; endpoint silence {config.endpoint_silence_s} s; "
        "TTS excluded; CPU-time schedule"
    )
    return [
        {
            "metric": "reply latency p50",
            "value": round(statistics.median(latencies), 3) if latencies else None,
            "unit": "s",
            "note": note,
        },
        {"metric": "reply latency p95", "value": round(p95, 3), "unit": "s", "note": "target < 1.5 s"},
    ]


# --- Concurrent calls over the WebSocket ----------------------------------------------------------

LEVELS = (1, 2, 4, 6, 8, 10)
QUICK_LEVELS = (1, 2, 4)
TARGET_P95_S = 1.5
BENCH_REPLY = "好的，异地就医备案可以在国家医保服务平台办理，办好后直接结算。"


def bench_app() -> Any:
    """The API as the sweep runs it: real recogniser, TTS, WebSocket and storage; an instant dialogue."""
    from api.main import create_app

    app = create_app()
    app.state.voice_respond = lambda session_id, text: Reply([BENCH_REPLY], "answer")
    return app


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
    """User + system CPU of a process and its finished children (espeak-ng), from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _start_server(port: int, data_dir: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": data_dir,
        "HOTLINE_DATABASE_URL": "",
        "HOTLINE_RATE_LIMIT_IP_PER_MIN": "0",
        "HOTLINE_TICKET_ESCALATION_INTERVAL_S": "0",
        "HOTLINE_RETENTION_INTERVAL_S": "0",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.bench_voice:bench_app"]
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
    """One caller: greeting, then each clip in real time; latency of every reply."""
    from websockets.asyncio.client import connect

    await asyncio.sleep(delay)
    loop = asyncio.get_running_loop()
    marks: asyncio.Queue[str] = asyncio.Queue()
    state: dict[str, Any] = {"reply_line": False, "reply_at": None}
    latencies: list[float] = []
    async with connect(url, max_size=None, ping_interval=None) as ws:

        async def read() -> None:
            async for raw in ws:
                message = json.loads(raw)
                event = message.get("event")
                if event == "transcript" and message["transcript"].get("prompt") == "reply":
                    state["reply_line"] = True
                elif event == "media" and state["reply_line"] and state["reply_at"] is None:
                    state["reply_at"] = loop.time()
                elif event == "mark":
                    name_ = message["mark"]["name"]
                    await ws.send(json.dumps({"event": "mark", "streamSid": name, "mark": {"name": name_}}))
                    marks.put_nowait(name_)

        reader = asyncio.create_task(read())
        start = {"streamSid": name, "callSid": name, "customParameters": {"from": "13800000000"}}
        start["mediaFormat"] = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
        await ws.send(json.dumps({"event": "start", "streamSid": name, "start": start}))
        await asyncio.wait_for(marks.get(), timeout=60)  # the greeting
        for clip in clips:
            state.update(reply_line=False, reply_at=None)
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
        await ws.send(json.dumps({"event": "stop", "streamSid": name}))
        reader.cancel()
    seconds = len(b"".join(_silence(3.0) + c for c in clips)) / 2 / 8000
    return {"latencies": latencies, "turns": len(clips), "audio_s": seconds}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def concurrency_sweep(
    clips: list[bytes], *, levels: tuple[int, ...] = LEVELS, turns: int = 3
) -> list[dict[str, Any]]:
    """Simultaneous calls into one API process over the WebSocket; one row per level."""
    port = _free_port()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as data_dir:
        server = _start_server(port, data_dir)
        url = f"ws://127.0.0.1:{port}/api/voice/stream"
        try:
            asyncio.run(_one_call(url, "warm-up", clips[:1], 0.0))  # loads the model and the TTS
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
                        "API CPU (cores)": round(cpu / wall, 2),
                        "RTF (CPU s / audio s)": round(cpu / audio_s, 3),
                        "load avg": round(max(load0, os.getloadavg()[0]), 1),
                    }
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    held = [r["calls"] for r in rows if isinstance(r["p95 (s)"], float) and r["p95 (s)"] < TARGET_P95_S]
    largest = max((n for n in held if all(n2 in held for n2 in levels if n2 <= n)), default=0)
    rows.append(
        {
            "calls": f"largest N with p95 < {TARGET_P95_S} s: {largest}",
            "replies": "",
            "p50 (s)": "",
            "p95 (s)": "",
            "API CPU (cores)": f"{os.cpu_count()} cores",
            "RTF (CPU s / audio s)": "",
            "load avg": "",
        }
    )
    return rows


def run(*, quick: bool = False) -> dict[str, list[dict[str, Any]]]:
    """All voice measurements as tables; ``quick`` runs a short sweep (1, 2, 4 calls, 2 turns each)."""
    recognizer = Recognizer(get_settings().vosk_model)
    clips = [_line_audio(s) for s in SENTENCES]
    sweep = concurrency_sweep(
        clips, levels=QUICK_LEVELS if quick else LEVELS, turns=2 if quick else 3
    )  # before pinning: the API process may use every core
    _one_core()
    rtf = real_time_factor(recognizer, clips)
    total = os.cpu_count() or 1
    rows = [rtf, *reply_latency(recognizer, clips, trials=4 if quick else 8)]
    rows.append(
        {
            "metric": "concurrent calls (from CPU RTF)",
            "value": int(total * 0.8 / rtf["value"]),
            "unit": "calls",
            "note": f"{total} cores x 80 % / RTF; recognition only, an upper bound for the sweep",
        }
    )
    return {"voice: one call": rows, "voice: concurrent calls over the WebSocket, one API process": sweep}


if __name__ == "__main__":
    from bench.table import print_tables

    logging.basicConfig(level=logging.WARNING)
    print_tables(run(quick="--quick" in sys.argv))

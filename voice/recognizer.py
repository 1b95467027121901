"""Vosk speech recognition: one shared model, streaming sessions with endpointing and timeouts.

The events, ``Transcript`` and the ``SpeechRecognizer``/``SpeechSession`` protocols are shared with
the Whisper engine (voice/whisper_asr.py); voice/asr.py picks the engine a setting names.

A phone call feeds 20-40 ms chunks; the session turns them into events (speech started, partial
text, final text with word timings, no input). Time is counted in audio, not on the wall clock, so
timeouts behave the same in a test that sends audio faster than real time and on a live line.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from voice.audio import Pcm
from voice.vad import EnergyVAD

log = logging.getLogger(__name__)

MODEL_SETTING = "HOTLINE_VOSK_MODEL"

_models: dict[str, Any] = {}
_models_lock = threading.Lock()


class ModelNotFoundError(RuntimeError):
    """The Vosk model folder is missing or incomplete; the message names the setting to fix."""


def _check_model_dir(path: str | Path | None, setting: str) -> Path:
    folder = Path(path) if path else None
    if folder is None or not folder.is_dir() or not (folder / "am" / "final.mdl").is_file():
        raise ModelNotFoundError(
            f"Vosk model not found at {str(path)!r}: set {setting} to an unpacked Vosk model folder "
            f"(for Mandarin run `hotline models fetch vosk-cn`) / 未找到语音识别模型，请设置 {setting}"
        )
    return folder


def load_model(path: str | Path | None, *, setting: str = MODEL_SETTING) -> Any:
    """Load a Vosk model once per process and share it: it is large and read-only."""
    folder = _check_model_dir(path, setting).resolve()
    key = str(folder)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            import vosk

            vosk.SetLogLevel(-1)
            log.info("voice.model.load", extra={"path": key})
            model = vosk.Model(key)
            _models[key] = model
        return model


def model_loaded(path: str | Path | None) -> bool:
    """Whether this process has the model in ``path`` in memory (nothing is loaded to find out)."""
    return bool(path) and str(Path(str(path)).resolve()) in _models


_LANGUAGE_RE = re.compile(r"(?:^|[-_])(cn|zh|ko|en|ru|fr|de|es|ja)(?:[-_]|$)")


def guess_language(path: str | Path) -> str:
    """The language in a Vosk model's folder name (vosk-model-small-cn-0.22 -> zh), or "und"."""
    for part in reversed(Path(path).parts):
        match = _LANGUAGE_RE.search(part.lower())
        if match:
            return "zh" if match.group(1) == "cn" else match.group(1)
    return "und"


def model_sample_rate(path: str | Path) -> int:
    """The rate the model's features were trained at (``--sample-frequency``; Kaldi's default 16 kHz)."""
    conf = Path(path) / "conf" / "mfcc.conf"
    if conf.is_file():
        match = re.search(r"--sample-frequency=(\d+)", conf.read_text(encoding="utf-8", errors="ignore"))
        if match:
            return int(match.group(1))
    return 16000


def supports_grammar(path: str | Path) -> bool:
    """Only models with a look-ahead graph (small models: HCLr.fst + Gr.fst) accept a runtime grammar."""
    graph = Path(path) / "graph"
    return (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()


@dataclass(frozen=True)
class Word:
    """One recognised word with its position in the stream (seconds) and Vosk's confidence."""

    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Transcript:
    """A final result: the text of one utterance (or of a whole file) with word timings."""

    text: str
    words: tuple[Word, ...]
    start: float
    end: float
    reason: str  # endpoint | silence | max_utterance | flush | file


@dataclass(frozen=True)
class SpeechStarted:
    """The caller started talking (used for barge-in)."""

    at: float


@dataclass(frozen=True)
class Partial:
    """The words decoded so far in the current utterance."""

    text: str
    at: float


@dataclass(frozen=True)
class Final:
    """An utterance ended; ``transcript.text`` may be empty when only noise was heard."""

    transcript: Transcript
    at: float


@dataclass(frozen=True)
class NoInput:
    """Nothing was said within the no-input timeout after listening started."""

    at: float


Event = SpeechStarted | Partial | Final | NoInput


class SpeechSession(Protocol):
    """One call leg's recognition: audio in, events out (``StreamingSession`` and Whisper's)."""

    @property
    def in_utterance(self) -> bool: ...
    @property
    def listening(self) -> bool: ...
    def listen(self, no_input_s: float | None = None) -> None: ...
    def stop_listening(self) -> None: ...
    def feed(self, chunk: bytes) -> list[Event]: ...
    def finish(self) -> list[Event]: ...


class SpeechRecognizer(Protocol):
    """What the phone line and ``POST /api/stt`` need from an engine (Vosk or Whisper)."""

    name: str
    language: str
    sample_rate: int
    model_path: Path

    def session(self, **options: Any) -> SpeechSession: ...
    def transcribe(self, pcm: Pcm | bytes) -> Transcript: ...


class Recognizer:
    """A loaded model plus recognition options; cheap to keep, sessions are made per call."""

    name = "vosk"

    def __init__(
        self,
        model_path: str | Path | None,
        *,
        phrases: Sequence[str] | None = None,
        setting: str = MODEL_SETTING,
    ) -> None:
        self.model_path = _check_model_dir(model_path, setting)
        self.language = guess_language(self.model_path)
        self.model = load_model(self.model_path, setting=setting)
        self.sample_rate = model_sample_rate(self.model_path)
        self.grammar = self._build_grammar(phrases) if phrases else None

    def _build_grammar(self, phrases: Sequence[str]) -> str | None:
        """Keep the phrases whose words the model knows; Vosk silently drops the rest otherwise."""
        if isinstance(phrases, str):
            raise TypeError("phrases must be a list of strings, not one string")
        if not supports_grammar(self.model_path):
            log.warning("voice.grammar.unsupported", extra={"model": str(self.model_path)})
            return None
        known: list[str] = []
        for phrase in phrases:
            words = phrase.split()
            missing = [w for w in words if self.model.vosk_model_find_word(w) < 0]
            if words and not missing:
                known.append(" ".join(words))
            elif missing:
                log.info("voice.grammar.oov", extra={"missing": missing})
        if not known:
            raise ValueError("phrases: none of the phrases is in the model's vocabulary")
        if self.model.vosk_model_find_word("[unk]") >= 0:
            known.append("[unk]")  # lets out-of-list speech come out as [unk] instead of a forced match
        return json.dumps(known, ensure_ascii=False)

    def kaldi(self) -> Any:
        """A fresh KaldiRecognizer with word timings on."""
        import vosk

        rec = vosk.KaldiRecognizer(
            self.model, float(self.sample_rate), *([self.grammar] if self.grammar else [])
        )
        rec.SetWords(True)
        return rec

    def session(self, **options: Any) -> StreamingSession:
        """Start a streaming session (one per call leg); options as in ``StreamingSession``."""
        return StreamingSession(self, **options)

    def transcribe(self, pcm: Pcm | bytes, *, max_utterance_s: float = 30.0) -> Transcript:
        """Recognise a whole recording, split at pauses like a stream, and join the utterances."""
        if isinstance(pcm, Pcm):
            if pcm.rate != self.sample_rate:
                raise ValueError(f"pcm: rate is {pcm.rate} Hz, the model needs {self.sample_rate} Hz")
            data = pcm.data
        elif isinstance(pcm, bytes):
            data = pcm
        else:
            raise TypeError(f"pcm must be Pcm or bytes, got {type(pcm).__name__}")
        # The same session settings as a live call: Vosk's output depends on how it is driven
        # (frame size, partial queries, endpoints), and a file must read exactly as a stream would.
        session = self.session(max_utterance_s=max_utterance_s)
        finals = [e.transcript for e in session.feed(data) if isinstance(e, Final)]
        finals += [e.transcript for e in session.finish() if isinstance(e, Final)]
        return join_transcripts(finals, duration=len(data) / 2 / self.sample_rate)


def join_transcripts(parts: Iterable[Transcript], *, duration: float) -> Transcript:
    """Merge utterance results into one file result, keeping every word's timing."""
    parts = [p for p in parts if p.text]
    words = tuple(w for p in parts for w in p.words)
    return Transcript(" ".join(p.text for p in parts), words, 0.0, duration, "file")


class FramedSession:
    """What every recogniser's session does alike: cut the audio into frames for ``_process``, and
    the no-input timer the IVR arms after each prompt (Vosk's stream and Whisper's utterances)."""

    time: float
    no_input_s: float | None
    _in_utterance: bool
    _listen_since: float | None
    _buffer: bytearray
    _frame_bytes: int

    def _process(self, frame: bytes) -> list[Event]:
        raise NotImplementedError

    @property
    def in_utterance(self) -> bool:
        """True while the caller is speaking (or has spoken and the endpoint is not reached yet)."""
        return self._in_utterance

    @property
    def listening(self) -> bool:
        """True while the no-input timer is armed."""
        return self._listen_since is not None

    def listen(self, no_input_s: float | None = None) -> None:
        """Arm the no-input timer from now (the prompt has finished playing)."""
        if no_input_s is not None:
            self.no_input_s = no_input_s
        self._listen_since = self.time

    def stop_listening(self) -> None:
        """Disarm the no-input timer (a prompt is playing or the bot is thinking)."""
        self._listen_since = None

    def feed(self, chunk: bytes) -> list[Event]:
        """Add int16 audio at the recogniser's rate; returns the events it caused, in order."""
        if not isinstance(chunk, bytes | bytearray):
            raise TypeError(f"chunk must be bytes, got {type(chunk).__name__}")
        self._buffer += chunk
        events: list[Event] = []
        step = self._frame_bytes
        while len(self._buffer) >= step:
            frame = bytes(self._buffer[:step])
            del self._buffer[:step]
            events += self._process(frame)
        return events

    def _drain(self) -> list[Event]:
        """The events of the last, partial frame at the end of the stream."""
        if len(self._buffer) < 2:
            return []
        frame = bytes(self._buffer[: len(self._buffer) - len(self._buffer) % 2])
        self._buffer.clear()
        return self._process(frame)


@dataclass
class StreamingSession(FramedSession):
    """Feeds audio to Vosk in fixed frames and reports speech events.

    Args:
        endpoint_silence_s: trailing non-speech that ends an utterance (besides Vosk's own endpointer).
        no_input_s: after ``listen()``, how long silence may last before a ``NoInput`` event.
        max_utterance_s: an utterance is cut (and finalised) after this long.
        frame_ms: processing step; input of any chunk size is re-framed, so results do not depend on it.
        partials: compute partial results (barge-in on words, live display).
        partial_every_ms: how often; a partial walks the lattice, so one per 20 ms frame costs ~25 % CPU.
    """

    recognizer: Recognizer
    endpoint_silence_s: float = 0.8
    no_input_s: float | None = None
    max_utterance_s: float = 15.0
    frame_ms: int = 20
    partials: bool = True
    partial_every_ms: int = 100
    vad: EnergyVAD = field(default_factory=EnergyVAD)
    time: float = field(default=0.0, init=False)
    _rec: Any = field(default=None, init=False, repr=False)
    _buffer: bytearray = field(default_factory=bytearray, init=False, repr=False)
    _in_utterance: bool = field(default=False, init=False)
    _utterance_start: float = field(default=0.0, init=False)
    _last_voice: float = field(default=0.0, init=False)
    _last_partial: str = field(default="", init=False)
    _listen_since: float | None = field(default=None, init=False)
    _next_partial: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        for name in ("endpoint_silence_s", "max_utterance_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.no_input_s is not None and self.no_input_s <= 0:
            raise ValueError(f"no_input_s must be positive or None, got {self.no_input_s}")
        if not 10 <= self.frame_ms <= 200:
            raise ValueError(f"frame_ms must be between 10 and 200, got {self.frame_ms}")
        self._rec = self.recognizer.kaldi()
        self._frame_bytes = int(self.recognizer.sample_rate * self.frame_ms / 1000) * 2

    def finish(self) -> list[Event]:
        """End of stream: decode what is buffered and return the last final result, if any."""
        events = self._drain()
        result = json.loads(self._rec.FinalResult())
        if result.get("text") or self._in_utterance:
            events.append(self._final(result, "flush"))
        return events

    def _process(self, frame: bytes) -> list[Event]:
        events: list[Event] = []
        start = self.time
        self.time += len(frame) / 2 / self.recognizer.sample_rate
        voiced = self.vad.is_speech(frame)
        if voiced:
            self._last_voice = self.time
        if self._rec.AcceptWaveform(frame):
            result = json.loads(self._rec.Result())
            if result.get("text") or self._in_utterance:
                events.append(self._final(result, "endpoint"))
            return events
        partial = ""
        if self.partials and self.time >= self._next_partial:
            self._next_partial = self.time + self.partial_every_ms / 1000 - 1e-9
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
            if partial and partial != self._last_partial:
                self._last_partial = partial
                self._last_voice = self.time
                events.append(Partial(partial, self.time))
        if not self._in_utterance and (self.vad.in_speech or partial):
            self._in_utterance = True
            onset = self.vad.onset_frames * len(frame) / 2 / self.recognizer.sample_rate
            self._utterance_start = max(0.0, start - onset) if self.vad.in_speech else start
            self._listen_since = None
            events.append(SpeechStarted(self._utterance_start))
        if self._in_utterance:
            if self.time - self._last_voice >= self.endpoint_silence_s:
                events.append(self._final(json.loads(self._rec.FinalResult()), "silence"))
            elif self.time - self._utterance_start >= self.max_utterance_s:
                events.append(self._final(json.loads(self._rec.FinalResult()), "max_utterance"))
        elif (
            self._listen_since is not None
            and self.no_input_s is not None
            and self.time - self._listen_since >= self.no_input_s
        ):
            self._listen_since = None
            events.append(NoInput(self.time))
        return events

    def _final(self, result: dict[str, Any], reason: str) -> Final:
        words = tuple(
            Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
            for w in result.get("result", [])
        )
        start = words[0].start if words else self._utterance_start
        transcript = Transcript(result.get("text", ""), words, start, self.time, reason)
        self._in_utterance = False
        self._last_partial = ""
        self.vad.reset()
        return Final(transcript, self.time)

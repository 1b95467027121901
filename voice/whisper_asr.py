"""Whisper speech recognition (faster-whisper, CTranslate2, int8 on CPU): utterances cut by the VAD.

Whisper does not stream. A session runs the same energy VAD and endpointing as the Vosk session,
reports ``SpeechStarted`` while the caller talks, and decodes the whole utterance once its endpoint is
reached (one ``Final`` per utterance, no partial results). Each decode is Mandarin (``language="zh"``),
primed with a short domain-term prompt, capped in length by the audio's duration, cleaned of
repetition loops and of the captions Whisper invents on noise, and converted to simplified characters.

The weights and their installation are voice/whisper_model.py's.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voice.audio import Pcm, resample
from voice.recognizer import (
    Event,
    Final,
    FramedSession,
    NoInput,
    SpeechStarted,
    Transcript,
    Word,
    join_transcripts,
)
from voice.vad import EnergyVAD
from voice.whisper_model import MODEL_SETTING, check_model_dir, load_model
from voice.whisper_text import clean_text

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000  # Whisper's features are computed at 16 kHz
LANGUAGE = "zh"
# Terms a caller of a medical-insurance hotline uses, meant to steer Whisper to the right homophones
# (异地 not 一地, 备案 not 被按). Measured on the project's phone test set (bench voice, neural voice,
# 8 kHz G.711, clean and 10 dB): CER 31.3 % with it and 27.8 % without on the tune half, 31.6 % vs
# 25.3 % on the test half; Whisper-base copies its terms into unclear speech ("台南的医保，职工医保").
# So the default is no prompt; HOTLINE_WHISPER_PROMPT can still set this one or another.
DOMAIN_PROMPT = (
    "医保热线。异地就医备案，门诊慢特病，住院报销，参保地，就医地，医保卡，个人账户，职工医保，居民医保。"
)
DEFAULT_PROMPT = ""
# A whole recording (``transcribe``: `hotline voice transcribe`, the bench's listener) has no caller
# waiting, so it is decoded for accuracy: a beam of 5 and pieces of at most 15 s cut at pauses (in
# which the hotwords still fit Whisper's window). Tuned on the voice bench's tune set (the bot's
# prompts and 24 answers, neural voice, 8 kHz G.711): CER greedy 16.4 % whole (28 s), 14.5 % in 15 s
# pieces; beam 5: 14.2 % whole, 13.6 % in 15 s pieces (12 s 15.0 %, 18 s 15.6 % greedy). A call's
# session decodes greedily (``beam_size``), where latency counts.
FILE_BEAM_SIZE = 5
FILE_MAX_UTTERANCE_S = 15.0
TOKENS_PER_SECOND = 12  # Mandarin speech is under 8 characters/s; a decode longer than this is a loop
MAX_LENGTH = 448  # Whisper's tokens per decode: the prompt (hotwords) and the text together
PROMPT_MAX_TOKENS = MAX_LENGTH // 2 - 1  # faster-whisper cuts hotwords and a prompt to this many
PROMPT_OVERHEAD = 6  # the start-of-transcript, language and task tokens around them

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

    def decode(
        self, pcm: bytes, *, offset: float = 0.0, beam_size: int | None = None
    ) -> tuple[str, tuple[Word, ...]]:
        """Recognise one utterance (int16 at 16 kHz); words are Whisper's segments, timed from ``offset``.
        ``beam_size`` overrides the recogniser's own."""
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
            beam_size=beam_size or self.beam_size,
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

    def transcribe(
        self,
        pcm: Pcm | bytes,
        *,
        max_utterance_s: float = FILE_MAX_UTTERANCE_S,
        beam_size: int | None = FILE_BEAM_SIZE,
    ) -> Transcript:
        """Recognise a whole recording, cut at pauses as a call would be, and join the utterances.

        By default for accuracy (``FILE_BEAM_SIZE``, ``FILE_MAX_UTTERANCE_S``); ``beam_size=None``
        and the call's ``max_utterance_s`` decode it exactly as a call's session would.
        """
        if isinstance(pcm, Pcm):
            data = pcm.data
            if pcm.rate != SAMPLE_RATE:
                samples = np.frombuffer(data, dtype="<i2")
                data = resample(samples, pcm.rate, SAMPLE_RATE).astype("<i2").tobytes()
        elif isinstance(pcm, bytes):
            data = pcm
        else:
            raise TypeError(f"pcm must be Pcm or bytes, got {type(pcm).__name__}")
        session = self.session(max_utterance_s=max_utterance_s, beam_size=beam_size)
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
        min_gap_s: a pause at least this long inside an utterance is where ``max_utterance_s`` cuts:
            the longest such pause in the second half of the window, so no word is split (the rest
            stays open as the next utterance); with no pause there, the cut falls at the limit.
        beam_size: Whisper's beam for this session's decodes (None: the recogniser's own).
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
    min_gap_s: float = 0.1
    beam_size: int | None = None
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
    _quiet_s: float = field(default=0.0, init=False)
    _cut: tuple[float, float, int, float] | None = field(default=None, init=False)  # gap, time, byte, voiced

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
                self._quiet_s = 0.0
            else:
                self._quiet_s += seconds
                self._mark_gap()
            if self.time - self._last_voice >= self.endpoint_silence_s:
                return [self._final("silence")]
            if self.time - self._utterance_start >= self.max_utterance_s:
                return self._split() if self._cut else [self._final("max_utterance")]
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

    def _mark_gap(self) -> None:
        """Remember the middle of the current pause if it is the longest in the window's second half."""
        if self._quiet_s < self.min_gap_s or self.time - self._utterance_start < self.max_utterance_s / 2:
            return
        if self._cut is None or self._quiet_s >= self._cut[0]:
            back = self._quiet_s / 2
            at = len(self._audio) - int(back * SAMPLE_RATE) * 2
            self._cut = (self._quiet_s, self.time - back, at, self._voiced_s)

    def _split(self) -> list[Event]:
        """At the limit: the utterance up to the longest pause is final; the rest goes on as the next."""
        assert self._cut is not None
        _, at_time, at_byte, voiced = self._cut
        head, tail = bytes(self._audio[:at_byte]), self._audio[at_byte:]
        span = (self._utterance_start, at_time)
        final = self._decoded(head, self._audio_start, span, voiced, "max_utterance")
        self._audio = bytearray(tail)
        self._utterance_start = self._audio_start = at_time
        self._voiced_s -= voiced
        self._cut = None
        return [final, SpeechStarted(at_time)]

    def _decoded(
        self, audio: bytes, offset: float, span: tuple[float, float], voiced: float, reason: str
    ) -> Final:
        """``audio`` (which starts at ``offset``) decoded as the utterance ``span`` (start, end)."""
        text: str = ""
        words: tuple[Word, ...] = ()
        if voiced >= self.min_speech_s:
            text, words = self.recognizer.decode(audio, offset=offset, beam_size=self.beam_size)
        return Final(Transcript(text, words, span[0], span[1], reason), span[1])

    def _final(self, reason: str) -> Final:
        span = (self._utterance_start, self.time)
        final = self._decoded(bytes(self._audio), self._audio_start, span, self._voiced_s, reason)
        self._in_utterance = False
        self._audio.clear()
        self._cut = None
        self._quiet_s = 0.0
        self.vad.reset()
        return final

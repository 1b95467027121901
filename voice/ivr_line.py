"""The bot's side of one call: speaking, playback marks, barge-in, the recording and the transcript.

The call's clock is the caller's audio: ``time`` is the seconds of line audio received. A prompt is
queued after whatever still plays; the line reports its end with a mark, or it is taken as ended
``playback_grace_s`` after it surely would have (lines that send no marks).

A long text (``STREAM_MIN_CHARS`` or more) spoken by a voice that renders sentence by sentence
(``voice.tts_voice.PhoneVoice.stream``) is played as it renders: its first sentence is queued at
once, the rest render in a background thread and go out, in order, with the next ``drain`` (every
20 ms frame of a call). Texts said meanwhile wait behind it; barge-in drops what has not played.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np

from voice.audio import encode_wav
from voice.ivr_state import Action, CallRecord, EntryFn, IvrConfig, Play, StopPlayback, TranscriptLine
from voice.recognizer import Transcript
from voice.tts import TTSEngine, TTSError, shorten_for_ear

log = logging.getLogger(__name__)

__all__ = ["STREAM_MIN_CHARS", "CallLine", "Recording", "now"]

# Shorter texts render in well under a second as a whole; longer ones (answers) play while they render.
STREAM_MIN_CHARS = 60


def now() -> str:
    """Wall-clock time of a transcript line or record, ISO 8601 in UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Recording:
    """Caller audio on the left, bot audio on the right, aligned on the caller's audio clock."""

    def __init__(self, rate: int, max_s: float) -> None:
        self.rate = rate
        self.max_samples = int(rate * max_s)
        self.caller = bytearray()
        self.bot = np.zeros(0, dtype=np.int16)

    def add_caller(self, pcm: bytes) -> None:
        if len(self.caller) // 2 < self.max_samples:
            self.caller += pcm

    def add_bot(self, at: float, pcm: bytes) -> None:
        start = int(at * self.rate)
        samples = np.frombuffer(pcm, dtype="<i2")
        end = min(start + samples.size, self.max_samples)
        if end <= start:
            return
        if self.bot.size < end:
            self.bot = np.concatenate([self.bot, np.zeros(end - self.bot.size, dtype=np.int16)])
        self.bot[start:end] = samples[: end - start]

    def cut_bot(self, at: float) -> None:
        """Barge-in: whatever was queued after ``at`` was never heard."""
        self.bot = self.bot[: int(at * self.rate)]

    def wav(self) -> bytes:
        caller = np.frombuffer(bytes(self.caller), dtype="<i2")
        n = max(caller.size, self.bot.size)
        stereo = np.zeros((n, 2), dtype="<i2")
        stereo[: caller.size, 0] = caller
        stereo[: self.bot.size, 1] = self.bot
        return encode_wav(stereo.tobytes(), self.rate, channels=2)


class _Rendering:
    """The pieces of one text, rendered in a background thread, handed out in order."""

    def __init__(self, prompt: str, text: str, pieces: Iterator[bytes], call_id: str) -> None:
        self.prompt = prompt
        self.text = text
        self.ready: deque[bytes] = deque()
        self.done = False
        self.cancelled = False
        self._thread = threading.Thread(target=self._run, args=(pieces, call_id), daemon=True)
        self._thread.start()

    def _run(self, pieces: Iterator[bytes], call_id: str) -> None:
        try:
            for pcm in pieces:
                if self.cancelled:
                    break
                self.ready.append(pcm)
        except TTSError:
            log.exception("voice.ivr.tts_failed", extra={"call_id": call_id})
        finally:
            self.done = True

    def wait(self, timeout: float | None = None) -> None:
        """Block until every piece is rendered (tests, and a line that is closing)."""
        self._thread.join(timeout)


class CallLine:
    """Speaks for one call and keeps its clock, its recording and its transcript.

    ``last_said`` is what key 1 repeats: everything said with ``remember`` since the caller's last
    input (``new_turn``), e.g. a dialogue's reply and the hint after it.
    """

    def __init__(
        self,
        *,
        call_id: str,
        tts: TTSEngine,
        config: IvrConfig,
        record: CallRecord,
        on_entry: EntryFn | None = None,
    ) -> None:
        self.call_id = call_id
        self.tts = tts
        self.config = config
        self.record = record
        self.on_entry = on_entry
        self.time = 0.0  # seconds of caller audio received: the call's clock
        self.last_said = ""
        self._fresh_turn = True
        self.recording = Recording(config.line_rate, config.max_call_s + 60)
        self.pending_marks: dict[str, float] = {}  # mark -> estimated end of playback (call clock)
        self.play_until = 0.0
        self._mark_seq = 0
        self._unsent: list[dict[str, Any]] = []
        self._rendering: deque[_Rendering] = deque()  # long texts still rendering, in the order said

    # --- Caller side --------------------------------------------------------------------------------

    def hear(self, pcm: bytes) -> None:
        """Caller audio arrived: record it and move the clock."""
        self.recording.add_caller(pcm)
        self.time += len(pcm) / 2 / self.config.line_rate

    def new_turn(self) -> None:
        """The caller did something: the next remembered text replaces what key 1 repeats."""
        self._fresh_turn = True

    # --- Bot side -----------------------------------------------------------------------------------

    def say(self, prompt: str, text: str, *, remember: bool = True, kind: str = "prompt") -> list[Action]:
        """Synthesise ``text`` and queue it after whatever still plays (a long text sentence by sentence)."""
        text = shorten_for_ear(text, max_chars=max(self.config.answer_max_chars, len(text)))
        if remember:
            self.last_said = text if self._fresh_turn else self.last_said + text
            self._fresh_turn = False
        stream = getattr(self.tts, "stream", None)
        pieces: Iterator[bytes] | None = None
        if callable(stream) and len(text) >= STREAM_MIN_CHARS:
            pieces = iter(stream(text, sample_rate=self.config.line_rate))
        start = max(self.time, self.play_until)
        actions: list[Action] = []
        if self._rendering or pieces is not None:
            if pieces is None:  # a short text said while a long one renders waits behind it
                pieces = iter([self._synthesize(text)])
            elif not self._rendering:  # nothing ahead: the first sentence plays at once
                first = self._next(pieces)
                if first is not None:
                    actions.append(self._queue(prompt, text, first))
            self._rendering.append(_Rendering(prompt, text, pieces, self.call_id))
            actions += self._release()
        else:
            actions.append(self._queue(prompt, text, self._synthesize(text)))
        # "end": where the queued audio ends now (a long text's later sentences add to it as they render)
        extra: dict[str, Any] = {"prompt": prompt, "end": round(max(start, self.play_until), 2)}
        if prompt == "reply":
            extra["dialogue"] = True  # the dialogue service stored this answer in its own words
        self.log("bot", text, kind if prompt == "reply" else "prompt", t=start, **extra)
        return actions

    def _synthesize(self, text: str) -> bytes:
        try:
            return self.tts.synthesize(text, sample_rate=self.config.line_rate)
        except TTSError:
            log.exception("voice.ivr.tts_failed", extra={"call_id": self.call_id})
            return b""

    def _next(self, pieces: Iterator[bytes]) -> bytes | None:
        try:
            return next(pieces)
        except StopIteration:
            return None
        except TTSError:
            log.exception("voice.ivr.tts_failed", extra={"call_id": self.call_id})
            return None

    def _queue(self, prompt: str, text: str, audio: bytes) -> Play:
        """Queue ``audio`` after whatever still plays, with a mark for its end."""
        duration = len(audio) / 2 / self.config.line_rate
        start = max(self.time, self.play_until)
        self.play_until = start + duration
        self.recording.add_bot(start, audio)
        self._mark_seq += 1
        mark = f"{prompt}-{self._mark_seq}"
        self.pending_marks[mark] = self.play_until
        return Play(mark, prompt, text, audio, duration)

    def _release(self) -> list[Action]:
        """Queue the rendered pieces of long texts, in order; a text still rendering holds back the next."""
        plays: list[Action] = []
        while self._rendering:
            current = self._rendering[0]
            done = current.done  # read before the queue: a piece appended after this is seen next time
            while current.ready:
                plays.append(self._queue(current.prompt, current.text, current.ready.popleft()))
            if not done:
                break
            self._rendering.popleft()
        return plays

    @property
    def rendering(self) -> bool:
        """Whether a long text has sentences still to render and queue."""
        return bool(self._rendering)

    def wait_rendered(self, timeout: float | None = None) -> None:
        """Block until every text said so far is rendered (its pieces go out with the next ``drain``)."""
        for rendering in list(self._rendering):
            rendering.wait(timeout)

    @property
    def playing(self) -> bool:
        """Whether a prompt is still queued, rendering or playing."""
        return bool(self.pending_marks or self._rendering)

    def stop(self) -> list[Action]:
        """Barge-in or a key: drop what is queued; the recording keeps only what was heard."""
        self.log("system", "barge_in", "event")
        self.recording.cut_bot(self.time)
        self.pending_marks.clear()
        for rendering in self._rendering:
            rendering.cancelled = True
        self._rendering.clear()
        self.play_until = self.time
        return [StopPlayback()]

    def mark_done(self, mark: str) -> None:
        """The line finished playing up to ``mark``."""
        self.pending_marks.pop(mark, None)

    def settle(self) -> bool:
        """Forget prompts that surely ended; True when nothing plays any more."""
        grace = self.config.playback_grace_s
        for mark, until in list(self.pending_marks.items()):
            if self.time >= until + grace:
                self.pending_marks.pop(mark)
        if self.pending_marks or self._rendering:
            return False
        self.play_until = min(self.play_until, self.time)
        return True

    # --- Transcript ---------------------------------------------------------------------------------

    def log(self, speaker: str, text: str, kind: str, *, t: float | None = None, **extra: Any) -> None:
        """Add a line to the transcript, hand it to ``on_entry`` and queue it for live display."""
        entry = {"t": round(self.time if t is None else t, 2), "at": now(), "speaker": speaker, "kind": kind}
        entry["text"] = text
        entry.update(extra)
        self.record.transcript.append(entry)
        self._unsent.append(entry)
        if self.on_entry is not None:
            try:
                self.on_entry(entry)
            except Exception:  # storage trouble must never reach the caller's line
                log.exception("voice.ivr.on_entry_failed", extra={"call_id": self.call_id})

    def log_speech(self, text: str, transcript: Transcript, *, dialogue: bool) -> None:
        """The caller's recognised words, timed; ``dialogue`` marks the lines the dialogue service
        stores itself (the caller's question)."""
        words = [
            {"word": w.word, "start": round(w.start, 2), "end": round(w.end, 2), "conf": round(w.conf, 2)}
            for w in transcript.words
        ]
        end = round(max(transcript.end, transcript.start), 2)
        flag = {"dialogue": True} if dialogue else {}
        self.log("caller", text, "speech", t=transcript.start, end=end, words=words, **flag)

    def drain(self) -> list[Action]:
        """Transcript lines not yet handed to the line, then the sentences rendered since the last call."""
        plays = self._release()
        unsent, self._unsent = self._unsent, []
        return [TranscriptLine(e) for e in unsent] + plays

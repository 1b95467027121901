"""The per-call IVR: welcome, listen, answer through the dialogue, repeat until transfer or goodbye.

Speech comes first and keys are the fallback (most 12393 callers are elderly; deep key menus are
discouraged): 0 is a human, 1 repeats, 9 leaves a callback request. Two misrecognitions in a row
offer the keys, one more transfers to a human. Caller speech during a prompt stops the prompt
(barge-in) and is recognised. Both sides are kept with timestamps, and as a stereo recording.

The call is a state machine without I/O of its own: audio, keys and playback notices go in, actions
(play, stop playback, transfer, hang up) come out. The dialogue and the work-order desk are injected
callables, like a channel's ``on_new_message``.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from vocab.terms import QUESTION_KINDS
from voice.audio import StreamResampler, encode_wav
from voice.dtmf import DTMF_DIGITS, GoertzelDetector
from voice.normalize import normalize_transcript
from voice.recognizer import Final, NoInput, Partial, Recognizer, SpeechStarted, Transcript
from voice.tts import TTSEngine, TTSError, shorten_for_ear

log = logging.getLogger(__name__)

PROMPTS_PATH = Path(__file__).resolve().parent / "prompts.yaml"
REQUIRED_PROMPTS = (
    "welcome",
    "anything_else",
    "not_heard",
    "not_understood",
    "offer_keys",
    "transfer",
    "transfer_after_failures",
    "transfer_on_error",
    "nothing_to_repeat",
    "unknown_key",
    "callback_ask",
    "callback_done",
    "callback_failed",
    "call_too_long",
    "lines_busy",
    "goodbye",
)
# Reply kinds that mean the dialogue did not understand the caller (counted as a misrecognition).
NOT_UNDERSTOOD_KINDS = frozenset({"fallback", "nlu_fallback", "not_understood", "misunderstood"})
_PUNCT_RE = re.compile(r"[\s，。！？、,.!?~～…：:；;“”\"'啊呀吧呢嘛哦哈噢唉]+")


def load_prompts(path: str | Path | None = None) -> dict[str, Any]:
    """Read the IVR's words from YAML and check every prompt the call flow needs is there."""
    source = Path(path) if path else PROMPTS_PATH
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"path: {source} must hold a mapping of prompt names to text")
    missing = [key for key in REQUIRED_PROMPTS if not isinstance(data.get(key), str) or not data[key].strip()]
    if missing:
        raise ValueError(f"path: {source} lacks prompts {missing}")
    for key in ("no_more_phrases", "human_phrases"):
        data[key] = [_plain(p) for p in data.get(key) or []]
    return data


def _plain(text: str) -> str:
    return _PUNCT_RE.sub("", text)


# --- What the call talks to -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One dialogue turn's answer, as the chat service returns it."""

    replies: list[str]
    kind: str = "answer"
    handoff: bool = False
    ticket_id: str | None = None


class RespondFn(Protocol):
    """The dialogue: ``respond(session_id, text) -> Reply`` (the chat service, or the KB alone)."""

    def __call__(self, session_id: str, text: str) -> Reply: ...


@dataclass(frozen=True)
class CallbackRequest:
    """What the work-order desk needs to call the caller back (key 9)."""

    call_id: str
    caller: str | None
    description: str
    transcript: list[dict[str, Any]]


CallbackFn = Callable[[CallbackRequest], str]
# Receives each transcript line the moment it is logged (live storage of the call).
EntryFn = Callable[[dict[str, Any]], None]


# --- What the call asks the phone line to do ----------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Play ``audio`` (int16 PCM at the line rate); the line reports back with ``mark`` when done."""

    mark: str
    prompt: str
    text: str
    audio: bytes
    duration: float


@dataclass(frozen=True)
class StopPlayback:
    """Drop whatever is still queued for playback (barge-in)."""


@dataclass(frozen=True)
class Transfer:
    """Hand the call to a human agent (the bridge dials the queue)."""

    reason: str


@dataclass(frozen=True)
class Hangup:
    """End the call."""

    reason: str


@dataclass(frozen=True)
class TranscriptLine:
    """A line of the conversation, for live display (the test client prints these)."""

    entry: dict[str, Any]


Action = Play | StopPlayback | Transfer | Hangup | TranscriptLine


class State(enum.Enum):
    """Where the call is."""

    WELCOME = "welcome"
    LISTEN = "listen"
    CALLBACK = "callback"  # waiting for the caller to describe the problem for a callback
    ENDING = "ending"  # playing the last prompt before transfer or hang-up
    ENDED = "ended"


@dataclass
class IvrConfig:
    """Timing and policy of a call; defaults suit elderly callers on a phone line."""

    line_rate: int = 8000
    no_input_s: float = 7.0
    endpoint_silence_s: float = 0.8
    max_utterance_s: float = 20.0
    max_failures: int = 2
    max_turns: int = 30
    max_call_s: float = 1800.0
    barge_in: bool = True
    inband_dtmf: bool = False
    playback_grace_s: float = 1.5
    callback_hours: int = 24
    answer_max_chars: int = 240

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError(f"max_failures must be >= 1, got {self.max_failures}")
        if self.line_rate not in (8000, 16000):
            raise ValueError(f"line_rate must be 8000 or 16000, got {self.line_rate}")


@dataclass
class CallRecord:
    """Everything kept about a finished call: outcome, transcript and the two-track recording."""

    call_id: str
    caller: str | None
    started_at: str
    ended_at: str | None = None
    outcome: str = "in_progress"  # transfer | goodbye | callback | hangup | in_progress
    reason: str = ""
    ticket_ids: list[str] = field(default_factory=list)
    turns: int = 0
    transcript: list[dict[str, Any]] = field(default_factory=list)
    recording_wav: bytes | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The record without the audio (the WAV is stored beside it)."""
        return {
            "call_id": self.call_id,
            "caller": self.caller,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "outcome": self.outcome,
            "reason": self.reason,
            "ticket_ids": self.ticket_ids,
            "turns": self.turns,
            "channel": "phone",
            "transcript": self.transcript,
        }


class _Recording:
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


class IvrCall:
    """One phone call. Feed it line audio, keys and playback marks; act on what it returns.

    Args:
        call_id: also the dialogue session id, so the chat service keeps the turns together.
        respond: the dialogue; may raise (the caller is then transferred).
        create_callback: opens a callback work order and returns its number; None disables key 9.
        on_entry: receives every transcript line as it happens (entries that went through the
            dialogue carry ``dialogue: True``); its failures are logged, never felt by the caller.
        busy: every voice line is taken; the call is told so and transferred to the agents' queue.
    """

    def __init__(
        self,
        *,
        call_id: str,
        recognizer: Recognizer,
        tts: TTSEngine,
        respond: RespondFn,
        create_callback: CallbackFn | None = None,
        caller: str | None = None,
        prompts: Mapping[str, Any] | None = None,
        config: IvrConfig | None = None,
        on_entry: EntryFn | None = None,
        busy: bool = False,
    ) -> None:
        if not call_id:
            raise ValueError("call_id must be a non-empty string")
        self.call_id = call_id
        self.busy = busy
        self.config = config or IvrConfig()
        self.prompts = dict(prompts) if prompts is not None else load_prompts()
        self.recognizer = recognizer
        self.tts = tts
        self.respond = respond
        self.create_callback = create_callback
        self.on_entry = on_entry
        self.session = recognizer.session(
            endpoint_silence_s=self.config.endpoint_silence_s,
            no_input_s=self.config.no_input_s,
            max_utterance_s=self.config.max_utterance_s,
        )
        self._to_model = StreamResampler(self.config.line_rate, recognizer.sample_rate)
        self._dtmf = GoertzelDetector(sample_rate=self.config.line_rate) if self.config.inband_dtmf else None
        self.state = State.WELCOME
        self.time = 0.0  # seconds of caller audio received: the call's clock
        self.failures = 0
        self.keys_offered = False
        self.last_said = ""
        self.record = CallRecord(call_id, caller, _now())
        self._recording = _Recording(self.config.line_rate, self.config.max_call_s + 60)
        self._pending_marks: dict[str, float] = {}  # mark -> estimated end of playback (call clock)
        self._play_until = 0.0
        self._after_playback: Transfer | Hangup | None = None
        self._mark_seq = 0
        self._asked_anything_else = False
        self._callback_filed = False
        self._unsent: list[dict[str, Any]] = []

    # --- Inputs -----------------------------------------------------------------------------------

    def start(self) -> list[Action]:
        """The call is answered: greet, or (``busy``: every voice line is taken) say so and transfer.

        A centre sizes its voice lines to its CPU (docs/benchmarks.md); a call beyond them goes to
        the agents' queue at once instead of slowing every call on the line.
        """
        self._log("system", "call_started", "event")
        if self.busy:
            return self._end("lines_busy", Transfer("lines_busy")) + self._drain_log()
        actions = self._say("welcome")
        return actions + self._drain_log()

    def on_audio(self, pcm: bytes) -> list[Action]:
        """Caller audio: int16 mono at the line rate, any chunk size (20 ms on a phone line)."""
        if self.state is State.ENDED:
            return []
        if not isinstance(pcm, bytes | bytearray):
            raise TypeError(f"pcm must be bytes, got {type(pcm).__name__}")
        pcm = bytes(pcm[: len(pcm) - len(pcm) % 2])
        self._recording.add_caller(pcm)
        self.time += len(pcm) / 2 / self.config.line_rate
        actions: list[Action] = []
        if self._dtmf is not None:
            for digit in self._dtmf.feed(pcm):
                actions += self.on_dtmf(digit)
        for event in self.session.feed(self._to_model.process(pcm).astype("<i2").tobytes()):
            if self.state is State.ENDED:
                break
            if isinstance(event, SpeechStarted):
                actions += self._barge_in()
            elif isinstance(event, Final):
                actions += self._on_utterance(event.transcript)
            elif isinstance(event, NoInput):
                actions += self._on_no_input()
            elif isinstance(event, Partial):
                log.debug("voice.ivr.partial", extra={"call_id": self.call_id})
        actions += self._check_playback()
        if self.time >= self.config.max_call_s and self.state not in (State.ENDING, State.ENDED):
            actions += self._end("call_too_long", Transfer("call_too_long"))
        return actions + self._drain_log()

    def on_dtmf(self, digit: str) -> list[Action]:
        """A key press (from a media-stream event or detected in the audio)."""
        if not isinstance(digit, str) or len(digit) != 1 or digit.upper() not in DTMF_DIGITS:
            raise ValueError(f"digit must be one of {DTMF_DIGITS!r}, got {digit!r}")
        if self.state in (State.ENDING, State.ENDED):
            return []
        self._log("caller", digit, "dtmf")
        actions = self._stop_playback() if self._pending_marks else []
        self.session.stop_listening()
        if digit == "0":
            actions += self._end("transfer", Transfer("caller_pressed_0"))
        elif digit == "1":
            actions += self._repeat()
        elif digit == "9" and self.create_callback is not None:
            self.state = State.CALLBACK
            actions += self._say("callback_ask")
        else:
            actions += self._say("unknown_key")
        return actions + self._drain_log()

    def on_mark(self, mark: str) -> list[Action]:
        """The line finished playing up to ``mark``."""
        self._pending_marks.pop(mark, None)
        return self._check_playback() + self._drain_log()

    def hangup(self, reason: str = "caller_hung_up") -> CallRecord:
        """The line is gone (or the call is over): close the record."""
        if self.record.outcome == "in_progress":
            self.record.outcome = "callback" if self._callback_filed else "hangup"
            self.record.reason = reason
        if self.state is not State.ENDED:
            self.state = State.ENDED
        self._log("system", reason, "event")
        self.record.ended_at = _now()
        self.record.recording_wav = self._recording.wav()
        return self.record

    # --- Flow -------------------------------------------------------------------------------------

    def _on_utterance(self, transcript: Transcript) -> list[Action]:
        text = normalize_transcript(transcript.text)
        words = [
            {"word": w.word, "start": round(w.start, 2), "end": round(w.end, 2), "conf": round(w.conf, 2)}
            for w in transcript.words
        ]
        plain = _plain(text)
        listening = self.state in (State.LISTEN, State.WELCOME)
        wants_human = any(p and p in plain for p in self.prompts.get("human_phrases", []))
        done = self._asked_anything_else and plain in self.prompts.get("no_more_phrases", [])
        to_dialogue = bool(text) and listening and not wants_human and not done
        if text:
            # ``dialogue`` marks the lines the dialogue service stores itself (the caller's question).
            flag = {"dialogue": True} if to_dialogue and self.record.turns < self.config.max_turns else {}
            end = round(max(transcript.end, transcript.start), 2)
            self._log("caller", text, "speech", t=transcript.start, end=end, words=words, **flag)
        self.session.stop_listening()
        if self.state is State.CALLBACK:
            return self._file_callback(text)
        if not listening:
            return []
        self.state = State.LISTEN
        if not text:
            return self._misrecognised("not_heard")
        if wants_human:
            return self._end("transfer", Transfer("caller_asked_for_human"))
        if done:
            return self._end("goodbye", Hangup("goodbye"))
        return self._dialogue_turn(text)

    def _dialogue_turn(self, text: str) -> list[Action]:
        if self.record.turns >= self.config.max_turns:
            return self._end("call_too_long", Transfer("max_turns"))
        try:
            reply = self.respond(self.call_id, text)
        except Exception:  # the dialogue is another process; a caller must never hear silence
            log.exception("voice.ivr.respond_failed", extra={"call_id": self.call_id})
            return self._end("transfer_on_error", Transfer("dialogue_error"))
        self.record.turns += 1
        spoken = "".join(
            shorten_for_ear(r, max_chars=self.config.answer_max_chars) for r in reply.replies if r
        )
        if reply.ticket_id:
            self.record.ticket_ids.append(reply.ticket_id)
        if reply.kind in NOT_UNDERSTOOD_KINDS or not spoken:
            return self._misrecognised("not_understood")
        self.failures = 0
        self.keys_offered = False
        actions = self._say_text("reply", spoken, kind=reply.kind)
        if reply.handoff:
            return actions + self._end("transfer", Transfer("dialogue_handoff"))
        if reply.kind in QUESTION_KINDS:
            # The dialogue asked something (参保地, a form slot): wait for the answer, and silence is
            # not "no more questions".
            self._asked_anything_else = False
            return actions + self._ask_anything_else(listen_only=True)
        return actions + self._ask_anything_else()

    def _misrecognised(self, prompt: str) -> list[Action]:
        self.failures += 1
        if self.keys_offered:
            return self._end("transfer_after_failures", Transfer("misrecognised"))
        if self.failures >= self.config.max_failures:
            self.keys_offered = True
            return self._say("offer_keys")
        return self._say(prompt)

    def _on_no_input(self) -> list[Action]:
        if self.state is State.CALLBACK:
            return self._file_callback("")
        if self.state is State.LISTEN:
            self._log("system", "no_input", "event")
            if self._asked_anything_else and self.failures == 0:
                # Answered, asked 还有其他问题吗, and silence: the caller is done.
                return self._end("goodbye", Hangup("no_more_questions"))
            return self._misrecognised("not_heard")
        return []

    def _repeat(self) -> list[Action]:
        if not self.last_said:
            return self._say("nothing_to_repeat") + self._ask_anything_else(listen_only=True)
        self.state = State.LISTEN
        return self._say_text("repeat", self.last_said, remember=False) + self._ask_anything_else()

    def _file_callback(self, description: str) -> list[Action]:
        if self.create_callback is None:  # CALLBACK is only entered with a desk; be safe anyway
            return self._end("callback_failed", Transfer("callback_failed"))
        request = CallbackRequest(self.call_id, self.record.caller, description, list(self.record.transcript))
        try:
            ticket_id = self.create_callback(request)
        except Exception:
            log.exception("voice.ivr.callback_failed", extra={"call_id": self.call_id})
            return self._end("callback_failed", Transfer("callback_failed"))
        self.record.ticket_ids.append(ticket_id)
        self._callback_filed = True
        # Long digit runs are read one by one (voice.tts.numbers_to_chinese), as an operator would.
        text = self.prompts["callback_done"].format(ticket_id=ticket_id, hours=self.config.callback_hours)
        self._log("system", f"callback_ticket {ticket_id}", "event")
        self.state = State.LISTEN
        return self._say_text("callback_done", text) + self._ask_anything_else()

    def _ask_anything_else(self, *, listen_only: bool = False) -> list[Action]:
        self.state = State.LISTEN
        if listen_only:
            return []
        self._asked_anything_else = True
        return self._say("anything_else", remember=False)

    def _end(self, prompt: str, final: Transfer | Hangup) -> list[Action]:
        self.state = State.ENDING
        self.session.stop_listening()
        if isinstance(final, Transfer):
            self.record.outcome = "transfer"
        else:
            self.record.outcome = "callback" if self._callback_filed else "goodbye"
        self.record.reason = final.reason
        self._after_playback = final
        actions = self._say(prompt, remember=False)
        return actions + self._check_playback()

    # --- Speaking and playback ----------------------------------------------------------------------

    def _say(self, prompt: str, *, remember: bool = True) -> list[Action]:
        return self._say_text(prompt, str(self.prompts[prompt]).strip(), remember=remember)

    def _say_text(
        self, prompt: str, text: str, *, remember: bool = True, kind: str = "prompt"
    ) -> list[Action]:
        text = shorten_for_ear(text, max_chars=max(self.config.answer_max_chars, len(text)))
        if remember:
            self.last_said = text
        try:
            audio = self.tts.synthesize(text, sample_rate=self.config.line_rate)
        except TTSError:
            log.exception("voice.ivr.tts_failed", extra={"call_id": self.call_id})
            audio = b""
        duration = len(audio) / 2 / self.config.line_rate
        start = max(self.time, self._play_until)
        self._play_until = start + duration
        self._recording.add_bot(start, audio)
        self._mark_seq += 1
        mark = f"{prompt}-{self._mark_seq}"
        self._pending_marks[mark] = self._play_until
        self.session.stop_listening()
        extra: dict[str, Any] = {"prompt": prompt, "end": round(self._play_until, 2)}
        if prompt == "reply":
            extra["dialogue"] = True  # the dialogue service stored this answer in its own words
        self._log("bot", text, kind if prompt == "reply" else "prompt", t=start, **extra)
        return [Play(mark, prompt, text, audio, duration)]

    def _barge_in(self) -> list[Action]:
        if not self._pending_marks or not self.config.barge_in or self.state is State.ENDING:
            return []
        return self._stop_playback()

    def _stop_playback(self) -> list[Action]:
        self._log("system", "barge_in", "event")
        self._recording.cut_bot(self.time)
        self._pending_marks.clear()
        self._play_until = self.time
        return [StopPlayback()]

    def _check_playback(self) -> list[Action]:
        """Playback ends at the line's mark, or when it surely would have (lines without marks)."""
        grace = self.config.playback_grace_s
        for mark, until in list(self._pending_marks.items()):
            if self.time >= until + grace:
                self._pending_marks.pop(mark)
        if self._pending_marks:
            return []
        self._play_until = min(self._play_until, self.time)
        if self.state is State.ENDING and self._after_playback is not None:
            final, self._after_playback = self._after_playback, None
            self.state = State.ENDED
            self._log("system", final.reason, "transfer" if isinstance(final, Transfer) else "hangup")
            return [final]
        if self.state in (State.LISTEN, State.CALLBACK, State.WELCOME) and not self.session.in_utterance:
            if self.state is State.WELCOME:
                self.state = State.LISTEN
            if not self.session.listening:
                self.session.listen()
        return []

    # --- Transcript -------------------------------------------------------------------------------

    def _log(self, speaker: str, text: str, kind: str, *, t: float | None = None, **extra: Any) -> None:
        entry = {"t": round(self.time if t is None else t, 2), "at": _now(), "speaker": speaker, "kind": kind}
        entry["text"] = text
        entry.update(extra)
        self.record.transcript.append(entry)
        self._unsent.append(entry)
        if self.on_entry is not None:
            try:
                self.on_entry(entry)
            except Exception:  # storage trouble must never reach the caller's line
                log.exception("voice.ivr.on_entry_failed", extra={"call_id": self.call_id})

    def _drain_log(self) -> list[Action]:
        unsent, self._unsent = self._unsent, []
        return [TranscriptLine(e) for e in unsent]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")

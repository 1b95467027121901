"""The per-call IVR: welcome, listen, answer through the dialogue, repeat until transfer or goodbye.

Speech first, keys as the fallback (most 12393 callers are elderly): 0 is a human, 1 repeats, 9
leaves a callback request. Caller speech stops a prompt (barge-in). A turn not understood (no
speech, nothing recognisable, an abstain-style reply, a goodbye right after a miss) counts towards
the safety net (``voice.ivr_turns.SafetyNet``): two in a row reach an agent, or a callback offer when
the centre is closed; nobody is hung up on for not being understood. When the dialogue asks
something, the IVR waits for the answer. A state machine without I/O: audio, keys and playback
marks go in, actions come out; the dialogue, the work-order desk and the staffed hours are injected.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from voice.audio import StreamResampler
from voice.dtmf import DTMF_DIGITS, GoertzelDetector
from voice.ivr_line import CallLine, now
from voice.ivr_prompts import load_prompts, plain
from voice.ivr_state import (
    Action,
    CallbackFn,
    CallbackRequest,
    CallRecord,
    EntryFn,
    Hangup,
    IvrConfig,
    Play,
    Reply,
    RespondFn,
    SpeechRecognizer,
    StaffedFn,
    State,
    StopPlayback,
    TranscriptLine,
    Transfer,
    as_reply,
)
from voice.ivr_turns import Meaning, Net, SafetyNet, Words, ends_with_question, read_reply, read_words
from voice.normalize import normalize_transcript
from voice.recognizer import Final, NoInput, Partial, SpeechStarted, Transcript
from voice.tts import TTSEngine, shorten_for_ear

log = logging.getLogger(__name__)

# Also re-exported: the names the phone service, the stream handler and the bench import from here.
__all__ = [
    "CallRecord",
    "CallbackRequest",
    "Hangup",
    "IvrCall",
    "IvrConfig",
    "Play",
    "Reply",
    "RespondFn",
    "State",
    "StopPlayback",
    "TranscriptLine",
    "Transfer",
    "load_prompts",
]

_LISTENING = (State.LISTEN, State.WELCOME, State.CALLBACK_OFFER)


class IvrCall:
    """One phone call. Feed it line audio, keys and playback marks; act on what it returns.

    Args:
        call_id: also the dialogue session id, so the chat service keeps the turns together.
        respond: the dialogue, returning a ``Reply`` or a ``ChatReply``; may raise (the caller is
            then transferred).
        create_callback: opens a callback work order and returns its number; None disables key 9
            and the callback offer.
        on_entry: receives every transcript line as it happens (entries that went through the
            dialogue carry ``dialogue: True``); its failures are logged, never felt by the caller.
        staffed: whether agents are on duty now; None means always (the safety net transfers).
        busy: every voice line is taken; the call is told so and transferred to the agents' queue.
    """

    def __init__(
        self,
        *,
        call_id: str,
        recognizer: SpeechRecognizer,
        tts: TTSEngine,
        respond: RespondFn,
        create_callback: CallbackFn | None = None,
        caller: str | None = None,
        prompts: Mapping[str, Any] | None = None,
        config: IvrConfig | None = None,
        on_entry: EntryFn | None = None,
        staffed: StaffedFn | None = None,
        busy: bool = False,
    ) -> None:
        if not call_id:
            raise ValueError("call_id must be a non-empty string")
        self.call_id = call_id
        self.busy = busy
        self.config = config or IvrConfig()
        self._asked_region = False  # the last reply asked for the 参保地 (knowledge/heard.py)
        self.prompts = dict(prompts) if prompts is not None else load_prompts()
        self.recognizer = recognizer
        self.respond = respond
        self.create_callback = create_callback
        self.staffed = staffed
        self.session = recognizer.session(
            endpoint_silence_s=self.config.endpoint_silence_s,
            no_input_s=self.config.no_input_s,
            max_utterance_s=self.config.max_utterance_s,
        )
        self._to_model = StreamResampler(self.config.line_rate, recognizer.sample_rate)
        self._dtmf = GoertzelDetector(sample_rate=self.config.line_rate) if self.config.inband_dtmf else None
        self.record = CallRecord(call_id, caller, now())
        self.line = CallLine(
            call_id=call_id, tts=tts, config=self.config, record=self.record, on_entry=on_entry
        )
        self.state = State.WELCOME
        self.net = SafetyNet(self.config.max_failures, self.config.max_offers)
        self._after_playback: Transfer | Hangup | None = None
        self._callback_filed = False

    @property
    def time(self) -> float:
        """Seconds of caller audio received: the call's clock."""
        return self.line.time

    @property
    def last_said(self) -> str:
        """What key 1 repeats."""
        return self.line.last_said

    # --- Inputs -----------------------------------------------------------------------------------

    def start(self) -> list[Action]:
        """The call is answered: greet, or (``busy``: every voice line is taken) say so and transfer.

        A centre sizes its voice lines to its CPU (docs/benchmarks.md); a call beyond them goes to
        the agents' queue at once instead of slowing every call on the line.
        """
        self.line.log("system", "call_started", "event")
        if self.busy:
            return self._end("lines_busy", Transfer("lines_busy")) + self.line.drain()
        return self._say("welcome") + self.line.drain()

    def on_audio(self, pcm: bytes) -> list[Action]:
        """Caller audio: int16 mono at the line rate, any chunk size (20 ms on a phone line)."""
        if self.state is State.ENDED:
            return []
        if not isinstance(pcm, bytes | bytearray):
            raise TypeError(f"pcm must be bytes, got {type(pcm).__name__}")
        pcm = bytes(pcm[: len(pcm) - len(pcm) % 2])
        self.line.hear(pcm)
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
        return actions + self.line.drain()

    def on_dtmf(self, digit: str) -> list[Action]:
        """A key press (from a media-stream event or detected in the audio)."""
        if not isinstance(digit, str) or len(digit) != 1 or digit.upper() not in DTMF_DIGITS:
            raise ValueError(f"digit must be one of {DTMF_DIGITS!r}, got {digit!r}")
        if self.state in (State.ENDING, State.ENDED):
            return []
        self.line.log("caller", digit, "dtmf")
        actions = self.line.stop() if self.line.playing else []
        self.session.stop_listening()
        if digit == "0":
            actions += self._end("transfer", Transfer("caller_pressed_0"))
        elif digit == "1":
            actions += self._repeat()
        elif digit == "9" and self.create_callback is not None:
            self.line.new_turn()
            actions += self._ask_callback()
        else:
            actions += self._say("unknown_key", remember=False)
        return actions + self.line.drain()

    def on_mark(self, mark: str) -> list[Action]:
        """The line finished playing up to ``mark``."""
        self.line.mark_done(mark)
        return self._check_playback() + self.line.drain()

    def hangup(self, reason: str = "caller_hung_up") -> CallRecord:
        """The line is gone (or the call is over): close the record."""
        if self.record.outcome == "in_progress":
            self.record.outcome = "callback" if self._callback_filed else "hangup"
            self.record.reason = reason
        if self.state is not State.ENDED:
            self.state = State.ENDED
        self.line.log("system", reason, "event")
        self.record.ended_at = now()
        self.record.recording_wav = self.line.recording.wav()
        return self.record

    # --- Flow -------------------------------------------------------------------------------------

    def _on_utterance(self, transcript: Transcript) -> list[Action]:
        text = normalize_transcript(
            transcript.text, places=self.config.places, asked_region=self._asked_region
        )
        listening = self.state in _LISTENING
        words = None
        if text and listening:
            words = read_words(
                plain(text),
                self.prompts,
                invited=self.net.done_if_silent,
                callback_offered=self.state is State.CALLBACK_OFFER,
            )
        if text:
            to_dialogue = words is Words.DIALOGUE and self.record.turns < self.config.max_turns
            self.line.log_speech(text, transcript, dialogue=to_dialogue)
        self.session.stop_listening()
        if self.state is State.CALLBACK:
            self.line.new_turn()
            return self._file_callback(text)
        if not listening:
            return []
        self.line.new_turn()
        if self.state is State.WELCOME:
            self.state = State.LISTEN
        if not text:
            return self._not_understood("not_heard")
        if words is Words.HUMAN:
            return self._end("transfer", Transfer("caller_asked_for_human"))
        if words is Words.DONE:
            return self._end("goodbye", Hangup("goodbye"))
        if words is Words.CALLBACK_NO:
            return self._end("goodbye", Hangup("callback_declined"))
        if words is Words.CALLBACK_YES:
            return self._ask_callback()
        self.state = State.LISTEN
        return self._dialogue_turn(text)

    def _dialogue_turn(self, text: str) -> list[Action]:
        if self.record.turns >= self.config.max_turns:
            return self._end("call_too_long", Transfer("max_turns"))
        try:
            reply = as_reply(self.respond(self.call_id, text))
        except Exception:  # the dialogue is another process; a caller must never hear silence
            log.exception("voice.ivr.respond_failed", extra={"call_id": self.call_id})
            return self._end("transfer_on_error", Transfer("dialogue_error"))
        self.record.turns += 1
        self._asked_region = reply.kind == "clarify_region"
        spoken = "".join(
            shorten_for_ear(r, max_chars=self.config.answer_max_chars) for r in reply.replies if r.strip()
        )
        if reply.ticket_id:
            self.record.ticket_ids.append(reply.ticket_id)
        meaning = read_reply(reply, spoken)
        if meaning is Meaning.HANDOFF:
            actions = self._say_text("reply", spoken, kind=reply.kind) if spoken else []
            return actions + self._end("transfer", Transfer("dialogue_handoff"))
        if meaning is Meaning.GOODBYE and self.net.understood:
            return self._end("goodbye", Hangup("goodbye"))
        if meaning is Meaning.GOODBYE:
            # A goodbye heard right after a turn not understood is as likely misheard as meant.
            return self._not_understood("not_understood")
        if meaning is Meaning.NOT_UNDERSTOOD:
            return self._not_understood("not_understood", said=spoken, kind=reply.kind)
        self.net.hit()
        actions = self._say_text("reply", spoken, kind=reply.kind)
        if meaning is Meaning.QUESTION:
            return actions  # wait for the answer: it goes to the dialogue like any caller words
        if meaning is Meaning.INVITATION:
            self.net.invited = True
            return actions
        return actions + self._ask_anything_else()

    def _not_understood(self, prompt: str, *, said: str = "", kind: str = "abstain") -> list[Action]:
        """A turn not understood: ask again, or (``max_failures`` in a row) the safety net.

        ``said`` is the dialogue's own reply ("这个问题我暂时没法给您准确答复……"): spoken the first
        time, followed by a hint unless it asks the caller something itself.
        """
        verdict = self.net.miss(staffed=self.staffed, can_call_back=self.create_callback is not None)
        if verdict is not Net.RETRY:
            return self._safety_net(verdict)
        self.state = State.LISTEN
        if not said:
            return self._say(prompt)
        actions = self._say_text("reply", said, kind=kind)
        if ends_with_question(said):
            return actions
        return actions + self._say("after_abstain")

    def _safety_net(self, verdict: Net) -> list[Action]:
        """An agent while staffed; otherwise a callback offer, then the agents' line anyway."""
        if verdict is Net.TRANSFER:
            return self._end("transfer_after_failures", Transfer("misrecognised"))
        if verdict is Net.TRANSFER_CLOSED:
            return self._end("transfer_closed", Transfer("misrecognised"))
        self.state = State.CALLBACK_OFFER
        if verdict is Net.OFFER:
            return self._say("callback_offer", hours=self.config.callback_hours)
        return self._say("callback_offer_again")

    def _on_no_input(self) -> list[Action]:
        if self.state is State.CALLBACK:
            return self._file_callback("")
        if self.state not in (State.LISTEN, State.CALLBACK_OFFER):
            return []
        self.line.log("system", "no_input", "event")
        self.line.new_turn()
        if self.state is State.LISTEN and self.net.done_if_silent:
            # Answered, invited to ask more, and silence: the caller is done.
            return self._end("goodbye", Hangup("no_more_questions"))
        return self._not_understood("not_heard")

    def _repeat(self) -> list[Action]:
        if self.state is State.WELCOME:
            self.state = State.LISTEN
        said = self.last_said
        if not said:
            return self._say("nothing_to_repeat", remember=False)
        actions = self._say_text("repeat", said, remember=False)
        if self.net.done_if_silent and self.state is State.LISTEN and not ends_with_question(said):
            actions += self._say("anything_else", remember=False)
        return actions

    def _ask_callback(self) -> list[Action]:
        self.state = State.CALLBACK
        return self._say("callback_ask")

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
        self.net.hit()
        # Long digit runs are read one by one (voice.tts.numbers_to_chinese), as an operator would.
        text = self.prompts["callback_done"].format(ticket_id=ticket_id, hours=self.config.callback_hours)
        self.line.log("system", f"callback_ticket {ticket_id}", "event")
        self.state = State.LISTEN
        return self._say_text("callback_done", text) + self._ask_anything_else()

    def _ask_anything_else(self) -> list[Action]:
        self.state = State.LISTEN
        self.net.invited = True
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

    def _say(self, prompt: str, *, remember: bool = True, **fields: Any) -> list[Action]:
        text = str(self.prompts[prompt]).strip()
        return self._say_text(prompt, text.format(**fields) if fields else text, remember=remember)

    def _say_text(
        self, prompt: str, text: str, *, remember: bool = True, kind: str = "prompt"
    ) -> list[Action]:
        self.session.stop_listening()
        return self.line.say(prompt, text, remember=remember, kind=kind)

    def _barge_in(self) -> list[Action]:
        if not self.line.playing or not self.config.barge_in or self.state is State.ENDING:
            return []
        return self.line.stop()

    def _check_playback(self) -> list[Action]:
        """Playback ends at the line's mark, or when it surely would have (lines without marks)."""
        if not self.line.settle():
            return []
        if self.state is State.ENDING and self._after_playback is not None:
            final, self._after_playback = self._after_playback, None
            self.state = State.ENDED
            self.line.log("system", final.reason, "transfer" if isinstance(final, Transfer) else "hangup")
            return [final]
        if self.state in (*_LISTENING, State.CALLBACK) and not self.session.in_utterance:
            if self.state is State.WELCOME:
                self.state = State.LISTEN
            if not self.session.listening:
                self.session.listen()
        return []

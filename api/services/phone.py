"""The phone line's wiring: models, dialogue, callback work orders, voice lines, end of call.

``api/routes/voice.py`` speaks the media-stream protocol; everything a call needs from the rest
of the system is set up here. The dialogue is ``app.state.voice_respond`` when set (tests, a
bridge with its own dialogue), else the conversation core, which stores each turn itself. Key 9
opens a callback work order through the work-order intake (``app.state.voice_create_callback``
replaces it), so an order asked for during a database outage gets a provisional number too.
A call holds one of the process's voice lines from its start event until its stream closes;
beyond ``voice_call_limit`` it is told so and transferred.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from api.errors import ServiceUnavailable
from api.schemas import ChatReply, TicketCreate, TranscriptTurn
from api.services import tickets
from api.services.calls import CallEndWorker, CallLog, CallRecordLike
from api.services.conversations.handoff import staffed_now
from api.services.conversations.respond import respond as converse
from api.settings import Settings
from voice.asr import make_recognizer
from voice.heard import rule_places
from voice.ivr import CallbackRequest, IvrCall, IvrConfig, Reply, RespondFn, load_prompts
from voice.recognizer import ModelNotFoundError, SpeechRecognizer
from voice.stream import StreamStart
from voice.tts_voice import PhoneVoice, make_tts

log = logging.getLogger(__name__)

__all__ = [
    "CALLBACK_TOPIC",
    "PhoneCall",
    "VoiceLines",
    "VoiceUnavailable",
    "call_end_worker",
    "callback_order",
    "get_recognizer",
    "resolve_callback",
    "resolve_respond",
    "voice_lines",
]

CALLBACK_TOPIC = "回电请求"
_CALL_ID_RE = re.compile(r"[^A-Za-z0-9_.:\-]")


class VoiceUnavailable(ServiceUnavailable):
    key = "voice_unavailable"


def get_recognizer(settings: Settings) -> SpeechRecognizer:
    """The shared recogniser of the configured engine (``HOTLINE_ASR_ENGINE``); a missing model is a
    503 naming its setting."""
    try:
        return make_recognizer(**settings.asr_options)
    except ModelNotFoundError as exc:
        raise VoiceUnavailable(str(exc)) from exc


@lru_cache(maxsize=4)
def _voice(
    voice: str, worker_url: str, rate: float, recordings_dir: str | None, cache_dir: str, hours: int
) -> PhoneVoice:
    return make_tts(
        voice,
        worker_url=worker_url,
        rate=rate,
        recordings_dir=recordings_dir,
        cache_dir=cache_dir,
        prompts=_prompts(),
        fill={"hours": hours},
        check=False,  # a voice worker that is down must not fail the call: cached prompts still play
    )


def _tts(settings: Settings) -> PhoneVoice:
    """The configured phone voice (``HOTLINE_TTS_VOICE``), its prompts cached on disk."""
    o = settings.tts_options
    return _voice(
        o["voice"], o["worker_url"], o["rate"], o["recordings_dir"], o["cache_dir"], o["fill"]["hours"]
    )


@lru_cache(maxsize=1)
def _prompts() -> dict[str, Any]:
    return load_prompts()


# --- Dialogue and the callback desk ---------------------------------------------------------------


def _reply(result: ChatReply) -> Reply:
    texts = [m.text for m in result.replies if m.text]
    transferred = result.handoff is not None and result.handoff.status in ("waiting", "active")
    return Reply(texts, str(result.kind), transferred, result.ticket_id)


def resolve_respond(app: Any, settings: Settings) -> tuple[RespondFn, bool]:
    """The dialogue for the IVR: injected, else the conversation core.

    The flag says whether the dialogue stores the caller's question and its answer itself (the
    conversation core does), so the call log does not write them twice.
    """
    injected = getattr(app.state, "voice_respond", None)
    if injected is not None:
        return injected, False

    def respond(session_id: str, text: str) -> Reply:
        return _reply(converse(session_id, text, channel="phone", settings=settings))

    return respond, True


def callback_order(request: CallbackRequest) -> TicketCreate:
    """The callback work order of key 9: the caller's number, their words and the call so far."""
    turns = [
        TranscriptTurn(speaker=e["speaker"], text=e["text"][:5000], time=e.get("at"))
        for e in request.transcript
        if e.get("speaker") in ("caller", "bot") and e.get("text")
    ][-500:]
    return TicketCreate(
        category="求助",
        topic=CALLBACK_TOPIC,
        caller_phone=request.caller or "",
        description=request.description or "来电人按9申请回电，未说明具体问题。",
        channel="phone",
        transcript=turns,
        conversation_id=request.call_id[:64],
    )


def resolve_callback(app: Any, settings: Settings) -> Callable[[CallbackRequest], str]:
    """Opens the callback work order of key 9 and returns its number: injected, else the intake."""
    injected = getattr(app.state, "voice_create_callback", None)
    if injected is not None:
        return injected  # type: ignore[no-any-return]

    def create(request: CallbackRequest) -> str:
        return tickets.open_order(settings, callback_order(request), actor="ivr", channel="phone").number

    return create


# --- Lines and calls -------------------------------------------------------------------------------


class VoiceLines:
    """The process's voice lines: a call holds one from its start event until its stream closes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_use = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._in_use >= self.limit:
                return False
            self._in_use += 1
            return True

    def free(self) -> None:
        with self._lock:
            self._in_use = max(0, self._in_use - 1)

    @property
    def in_use(self) -> int:
        return self._in_use


_state_lock = threading.Lock()


def voice_lines(app: Any, settings: Settings) -> VoiceLines:
    """The app's voice lines (``app.state.voice_lines``, made on the first call)."""
    with _state_lock:
        lines = getattr(app.state, "voice_lines", None)
        if lines is None:
            lines = app.state.voice_lines = VoiceLines(settings.voice_call_limit)
        return lines  # type: ignore[no-any-return]


def call_end_worker(app: Any) -> CallEndWorker:
    """The app's end-of-call worker (``app.state.voice_call_end``), made on the first call."""
    with _state_lock:
        worker = getattr(app.state, "voice_call_end", None)
        if worker is None:
            worker = app.state.voice_call_end = CallEndWorker(app.state.settings)
        return worker  # type: ignore[no-any-return]


def _ivr_config(settings: Settings) -> IvrConfig:
    return IvrConfig(
        no_input_s=settings.voice_no_input_s,
        endpoint_silence_s=settings.voice_endpoint_silence_s,
        max_utterance_s=settings.voice_max_utterance_s,
        callback_hours=settings.callback_promise_hours,
        max_call_s=settings.voice_max_call_s,
        places=rule_places(str(settings.kb_entries_dir)),
    )


class PhoneCall:
    """One media stream's call: its line, its dialogue and work-order desk, and what happens at the end."""

    def __init__(self, app: Any, settings: Settings, recognizer: SpeechRecognizer) -> None:
        self.settings = settings
        self.recognizer = recognizer
        self.respond, self.dialogue_stores = resolve_respond(app, settings)
        self.create_callback = resolve_callback(app, settings)
        self.worker = call_end_worker(app)
        self.lines = voice_lines(app, settings)
        self.admitted = False

    def start(self, start: StreamStart) -> IvrCall:
        """The IVR of the call that just started; without a free line it is told so and transferred."""
        call_id = _CALL_ID_RE.sub("_", start.call_sid)[:64] or "call"
        self.admitted = self.lines.take()
        if not self.admitted:
            log.warning("voice.stream.lines_busy call_id=%s limit=%d", call_id, self.lines.limit)
        call_log = CallLog(
            self.settings, call_id=call_id, caller=start.caller, dialogue_stores=self.dialogue_stores
        )
        return IvrCall(
            call_id=call_id,
            recognizer=self.recognizer,
            tts=_tts(self.settings),
            respond=self.respond,
            create_callback=self.create_callback,
            caller=start.caller,
            prompts=_prompts(),
            config=_ivr_config(self.settings),
            on_entry=call_log.on_entry,
            busy=not self.admitted,
            staffed=lambda: staffed_now(self.settings),  # closed: a callback is offered, not a transfer
        )

    def finished(self, record: CallRecordLike) -> None:
        """Hand the ended call to the end-of-call worker (recording, record, inspection)."""
        self.worker.submit(record)

    def release(self) -> None:
        """Give the line back (once, when the stream closes)."""
        if self.admitted:
            self.admitted = False
            self.lines.free()

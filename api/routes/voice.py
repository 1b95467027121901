"""Speech endpoints: ``POST /api/stt`` for a file, and the phone line's media-stream WebSocket.

The WebSocket speaks the Twilio Media Streams convention (docs/telephony.md shows how FreeSWITCH
and Asterisk connect). Recognition, synthesis and the dialogue call run in the thread pool, so a
call never blocks the event loop. The dialogue is ``app.state.voice_respond`` when set, else the
chat service, else the knowledge base alone; work orders for key 9 come from the ticket service.
Every line of the call goes into the conversation store as it happens (``api.services.calls``);
when the call ends, recording, record, quality inspection and the closing turn are done by the
app's ``CallEndWorker`` on its own thread, after the line has been released.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message

from api.errors import DomainError, ServiceUnavailable
from api.limits import limit_caller_ip
from api.schemas import SttResult, SttWord
from api.services.calls import CallEndWorker, CallLog
from api.settings import Settings
from voice.audio import AudioError, decode_audio
from voice.ivr import CallbackRequest, IvrCall, IvrConfig, Reply, RespondFn, load_prompts
from voice.recognizer import ModelNotFoundError, Recognizer
from voice.stream import MediaStreamHandler, StreamStart
from voice.tts import EspeakPinyinTTS

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["voice"])

_MULTIPART_OVERHEAD = 64 * 1024
# One media-stream message: Twilio sends 20 ms frames; bridges that batch send up to ~1 s.
_STREAM_MAX_MESSAGE = 128 * 1024
_BATCH_MAX = 250  # stream messages recognised in one worker hop when a call has fallen behind (5 s)
_INBOX_MAX = 3000  # stream messages a call may fall behind by (a minute of 20 ms frames)
_CALL_ID_RE = re.compile(r"[^A-Za-z0-9_.:\-]")
_AUDIO_REASONS = {
    "empty": "没有收到声音内容",
    "truncated": "文件头不完整",
    "bad_header": "文件头有误",
    "bad_rate": "采样率不正确",
    "unknown_format": "不是支持的音频格式",
    "undecodable": "文件已损坏或格式不支持",
    "timeout": "解码超时",
    "no_decoder": "服务器缺少解码组件",
}


class BadAudio(DomainError):
    status_code = 400
    key = "bad_audio"


class AudioTooLarge(DomainError):
    status_code = 413
    key = "audio_too_large"


class AudioTooLong(DomainError):
    status_code = 413
    key = "audio_too_long"


class VoiceUnavailable(ServiceUnavailable):
    key = "voice_unavailable"


@lru_cache(maxsize=4)
def _recognizer(model_path: str) -> Recognizer:
    return Recognizer(model_path)


def get_recognizer(settings: Settings) -> Recognizer:
    """The shared recogniser for the configured model; a missing model is a 503 naming the setting."""
    try:
        return _recognizer(str(settings.vosk_model))
    except ModelNotFoundError as exc:
        raise VoiceUnavailable(str(exc)) from exc


@lru_cache(maxsize=1)
def _tts() -> EspeakPinyinTTS:
    return EspeakPinyinTTS()


@lru_cache(maxsize=1)
def _prompts() -> dict[str, Any]:
    return load_prompts()


# --- POST /api/stt ----------------------------------------------------------------------------------


def _transcribe(settings: Settings, data: bytes, encoding: str | None, rate: int | None) -> SttResult:
    recognizer = get_recognizer(settings)
    try:
        pcm = decode_audio(
            data,
            target_rate=recognizer.sample_rate,
            max_seconds=settings.stt_max_seconds,
            encoding=encoding,
            rate=rate,
        )
    except AudioError as exc:
        if exc.code == "too_long":
            raise AudioTooLong(str(exc), limit_s=int(settings.stt_max_seconds)) from exc
        raise BadAudio(str(exc), reason=_AUDIO_REASONS.get(exc.code, "格式不支持")) from exc
    except ValueError as exc:  # a bad encoding/rate form field
        raise BadAudio(str(exc), reason="参数有误") from exc
    from voice.normalize import normalize_transcript

    result = recognizer.transcribe(pcm)
    words = [
        SttWord(word=w.word, start=round(w.start, 3), end=round(w.end, 3), conf=round(w.conf, 3))
        for w in result.words
    ]
    return SttResult(
        text=normalize_transcript(result.text),
        raw_text=result.text,
        words=words,
        duration=round(pcm.duration, 3),
        sample_rate=pcm.rate,
    )


@router.post("/stt", response_model=SttResult, dependencies=[Depends(limit_caller_ip)])
async def speech_to_text(request: Request) -> SttResult:
    """Transcribe an uploaded recording (multipart field ``file``; ``encoding``/``rate`` for raw G.711)."""
    settings: Settings = request.app.state.settings
    limit = int(settings.stt_max_upload_mb * 1024 * 1024)
    limit_mb = f"{settings.stt_max_upload_mb:g}"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _MULTIPART_OVERHEAD:
        raise AudioTooLarge(f"content-length {declared} over {limit}", limit_mb=limit_mb)
    try:
        form = await request.form(max_files=1, max_fields=4)
    except Exception as exc:  # malformed multipart bodies come in many shapes
        raise BadAudio(f"unreadable form: {exc}", reason="请求不是有效的文件上传") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadAudio("multipart field 'file' is missing", reason="缺少 file 字段")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise AudioTooLarge(f"file over {limit} bytes", limit_mb=limit_mb)
    encoding = form.get("encoding")
    rate_text = form.get("rate")
    try:
        rate = int(str(rate_text)) if rate_text not in (None, "") else None
    except ValueError as exc:
        raise BadAudio("rate is not a number", reason="采样率参数不是数字") from exc
    return await run_in_threadpool(
        _transcribe, settings, data, str(encoding) if isinstance(encoding, str) and encoding else None, rate
    )


# --- The phone line ----------------------------------------------------------------------------------


def _reply_from_chat(result: Any) -> Reply:
    texts = [m if isinstance(m, str) else getattr(m, "text", "") for m in result.replies]
    handoff = getattr(result, "handoff", None)
    transferred = bool(handoff) and getattr(handoff, "status", "waiting") in ("waiting", "active")
    return Reply([t for t in texts if t], str(result.kind), transferred, getattr(result, "ticket_id", None))


def resolve_respond(app: Any, settings: Settings) -> tuple[RespondFn, bool]:
    """The dialogue for the IVR: injected, else the chat service, else the knowledge base alone.

    The flag says whether the dialogue stores the caller's question and its answer itself (the
    chat service does), so the call log does not write them twice.
    """
    injected = getattr(app.state, "voice_respond", None)
    if injected is not None:
        return injected, False
    try:
        from api.services.chat import respond as chat_respond
    except ImportError:  # the chat service is optional: the knowledge base answers alone
        from api.services.knowledge import answer

        def answer_only(session_id: str, text: str) -> Reply:
            result = answer(text, settings=settings)
            return Reply([result.text], result.kind, False, None)

        return answer_only, False

    def respond(session_id: str, text: str) -> Reply:
        return _reply_from_chat(chat_respond(session_id, text, channel="phone", settings=settings))

    return respond, True


def resolve_callback(app: Any, settings: Settings) -> Callable[[CallbackRequest], str] | None:
    """Opens the callback work order of key 9: injected, else the ticket service; None disables the key."""
    injected = getattr(app.state, "voice_create_callback", None)
    if injected is not None:
        return injected  # type: ignore[no-any-return]
    try:
        from api.schemas import TicketCreate, TranscriptTurn
        from api.services.registry import get_session_factory
        from api.services.tickets import create_ticket
    except ImportError:
        log.warning("voice.callback.no_ticket_service")
        return None

    def create(request: CallbackRequest) -> str:
        turns = [
            TranscriptTurn(speaker=e["speaker"], text=e["text"][:5000], time=e["at"])
            for e in request.transcript
            if e.get("speaker") in ("caller", "bot") and e.get("text")
        ][-500:]
        data = TicketCreate(
            category="求助",
            topic="回电请求",
            caller_phone=request.caller or "",
            description=request.description or "来电人按9申请回电，未说明具体问题。",
            channel="phone",
            transcript=turns,
            conversation_id=request.call_id[:64],
        )
        factory = get_session_factory(settings)
        with factory() as session:
            ticket = create_ticket(session, data=data, actor="ivr", channel="phone")
        return str(ticket.number)

    return create


_worker_lock = threading.Lock()


def call_end_worker(app: Any) -> CallEndWorker:
    """The app's end-of-call worker (``app.state.voice_call_end``), made on the first call."""
    with _worker_lock:
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
    )


def _raw_start(websocket: WebSocket) -> dict[str, Any]:
    """A ``start`` event for bridges that send bare audio frames (FreeSWITCH mod_audio_stream)."""
    q = websocket.query_params
    encoding = {"l16": "audio/l16", "pcm16": "audio/l16", "alaw": "audio/x-alaw"}.get(
        q.get("encoding", "mulaw").lower(), "audio/x-mulaw"
    )
    call_id = q.get("call_id") or f"raw-{id(websocket):x}"
    return {
        "event": "start",
        "start": {
            "streamSid": call_id,
            "callSid": call_id,
            "mediaFormat": {
                "encoding": encoding,
                "sampleRate": int(q.get("rate", "8000") or 8000),
                "channels": 1,
            },
            "customParameters": {"caller": q.get("caller", "")},
        },
    }


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


def voice_lines(app: Any, settings: Settings) -> VoiceLines:
    """The app's voice lines (made on the first call)."""
    lines = getattr(app.state, "voice_lines", None)
    if lines is None:
        lines = app.state.voice_lines = VoiceLines(settings.voice_call_limit)
    return lines


@router.websocket("/voice/stream")
async def voice_stream(websocket: WebSocket) -> None:
    """A phone call as a Twilio-style media stream (query ``events=0`` turns off extension events)."""
    await websocket.accept()
    app = websocket.app
    settings: Settings = app.state.settings
    try:
        recognizer = await run_in_threadpool(get_recognizer, settings)
    except VoiceUnavailable as exc:
        log.error("voice.stream.no_model", extra={"detail": exc.detail})
        await websocket.close(code=1011, reason="voice model unavailable")
        return
    respond, dialogue_stores = resolve_respond(app, settings)
    create_callback = resolve_callback(app, settings)
    config = _ivr_config(settings)
    worker = call_end_worker(app)

    lines = voice_lines(app, settings)
    admitted = False

    def make_call(start: StreamStart) -> IvrCall:
        nonlocal admitted
        admitted = lines.take()
        call_id = _CALL_ID_RE.sub("_", start.call_sid)[:64] or "call"
        if not admitted:
            log.warning("voice.stream.lines_busy call_id=%s limit=%d", call_id, settings.voice_call_limit)
        call_log = CallLog(settings, call_id=call_id, caller=start.caller, dialogue_stores=dialogue_stores)
        return IvrCall(
            call_id=call_id,
            recognizer=recognizer,
            tts=_tts(),
            respond=respond,
            create_callback=create_callback,
            caller=start.caller,
            prompts=_prompts(),
            config=config,
            on_entry=call_log.on_entry,
            busy=not admitted,
        )

    handler = MediaStreamHandler(
        make_call,
        on_finished=worker.submit,
        extensions=websocket.query_params.get("events", "1") != "0",
    )
    # The IVR ends a call after voice_max_call_s of audio; the wall clock bounds a line that sends
    # other events or trickles audio, and an idle line (a dead bridge) is closed.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.voice_max_call_s + 60.0
    # Bounded: a bridge sending far faster than real time waits on its socket instead of growing memory.
    inbox: asyncio.Queue[Message | None] = asyncio.Queue(maxsize=_INBOX_MAX)
    closing: list[tuple[int, str]] = []  # why the reader stopped the stream, if it did

    async def read() -> None:
        """Take each message off the socket as it arrives, however busy the recogniser is.

        Under load the recogniser may fall behind real time; if the socket were read only as fast
        as audio is recognised, its buffer would fill and the bridge's keepalive pings would go
        unanswered, dropping the call. Here audio waits in ``inbox`` instead, and is recognised
        in larger batches until the call catches up.
        """
        try:
            while True:
                remaining = deadline - loop.time()
                timeout = max(0.0, min(settings.voice_idle_timeout_s, remaining))
                try:
                    message = await asyncio.wait_for(websocket.receive(), timeout=timeout)
                except TimeoutError:
                    log.warning("voice.stream.timeout idle_or_over_time=1")
                    closing.append((1008, "idle or over time"))
                    return
                if message["type"] == "websocket.disconnect":
                    return
                size = len(message.get("text") or message.get("bytes") or b"")
                if size > _STREAM_MAX_MESSAGE:
                    log.warning("voice.stream.message_too_large bytes=%d", size)
                    closing.append((1009, "message too large"))
                    return
                await inbox.put(message)
        finally:
            await inbox.put(None)

    def process(batch: list[Message]) -> list[dict[str, Any]]:
        """Feed a batch of messages to the call in order, in one worker-thread hop."""
        out: list[dict[str, Any]] = []
        for message in batch:
            if handler.finished:
                break
            if message.get("text") is not None:
                out += handler.handle_text(message["text"])
            elif message.get("bytes") is not None:
                if handler.call is None:  # a bare-audio bridge: the call starts on its first frame
                    out += handler.handle_message(_raw_start(websocket))
                out += handler.handle_audio(message["bytes"])
        return out

    reader = asyncio.create_task(read())
    try:
        ended = False
        while not handler.finished and not ended:
            first = await inbox.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _BATCH_MAX and not inbox.empty():
                item = inbox.get_nowait()
                if item is None:
                    ended = True
                    break
                batch.append(item)
            for item in await run_in_threadpool(process, batch):
                await websocket.send_text(json.dumps(item, ensure_ascii=False))
        if closing:
            await websocket.close(code=closing[0][0], reason=closing[0][1])
        elif handler.finished:
            await websocket.close()
    except WebSocketDisconnect:
        pass
    finally:
        if admitted:
            lines.free()
        reader.cancel()
        # A server shutting down cancels this handler; the call record must still be finished.
        with anyio.CancelScope(shield=True):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await reader
            await run_in_threadpool(handler.close)

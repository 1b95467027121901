"""Speech endpoints: ``POST /api/stt`` for a file, and the phone line's media-stream WebSocket.

The WebSocket speaks the Twilio Media Streams convention (docs/telephony.md shows how FreeSWITCH
and Asterisk connect). Recognition, synthesis and the dialogue call run in the thread pool, so a
call never blocks the event loop. What a call needs from the rest of the system (dialogue,
callback work orders, voice lines, the end-of-call worker) is wired in ``api.services.phone``;
this module only handles the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message

from api.errors import DomainError
from api.limits import limit_caller_ip
from api.schemas import SttResult, SttWord
from api.services.phone import PhoneCall, VoiceUnavailable, get_recognizer
from api.settings import Settings
from voice.audio import AudioError, decode_audio
from voice.normalize import normalize_transcript
from voice.stream import MediaStreamHandler

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["voice"])

_MULTIPART_OVERHEAD = 64 * 1024
# One media-stream message: Twilio sends 20 ms frames; bridges that batch send up to ~1 s.
_STREAM_MAX_MESSAGE = 128 * 1024
_BATCH_MAX = 250  # stream messages recognised in one worker hop when a call has fallen behind (5 s)
_INBOX_MAX = 3000  # stream messages a call may fall behind by (a minute of 20 ms frames)
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
    call = PhoneCall(app, settings, recognizer)
    handler = MediaStreamHandler(
        call.start,
        on_finished=call.finished,
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
        call.release()
        reader.cancel()
        # A server shutting down cancels this handler; the call record must still be finished.
        with anyio.CancelScope(shield=True):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await reader
            await run_in_threadpool(handler.close)

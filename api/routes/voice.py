"""Speech endpoints: ``POST /api/stt`` for a file, and the generic media-stream WebSocket.

The generic stream speaks a Twilio-like convention with extension events, for bridges written for
it (scripts/phone_client.py, an Asterisk adaptor); real platforms connect to their own paths in
``api/routes/telephony`` (docs/telephony.md). The WebSocket loop shared by all of them runs
recognition, synthesis and the dialogue in the thread pool, so a call never blocks the event loop.
What a call needs from the rest of the system (dialogue, callback work orders, voice lines, the
end-of-call worker) is wired in ``api.services.phone``; this module only handles the protocol.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Depends, Request, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.errors import DomainError
from api.limits import limit_caller_ip
from api.routes.telephony.pump import Frame, run_call
from api.schemas import SttResult, SttWord
from api.services.phone import PhoneCall, get_recognizer
from api.settings import Settings
from voice.audio import AudioError, decode_audio
from voice.heard import rule_places
from voice.normalize import normalize_transcript
from voice.stream import MediaStreamHandler

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["voice"])

_MULTIPART_OVERHEAD = 64 * 1024
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
        # The same repair as on the phone line: the knowledge base's counties and districts by sound
        text=normalize_transcript(result.text, places=rule_places(str(settings.kb_entries_dir))),
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


class GenericTranslator:
    """The generic Twilio-style stream with the three extension events (``events=0``: without)."""

    def __init__(self, call: PhoneCall, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.handler = MediaStreamHandler(
            call.start,
            on_finished=call.finished,
            extensions=websocket.query_params.get("events", "1") != "0",
        )

    @property
    def finished(self) -> bool:
        return self.handler.finished

    @property
    def close_code(self) -> int:
        return 1000

    def on_text(self, raw: str) -> list[Frame]:
        return [json.dumps(item, ensure_ascii=False) for item in self.handler.handle_text(raw)]

    def on_bytes(self, data: bytes) -> list[Frame]:
        out: list[dict[str, Any]] = []
        if self.handler.call is None:  # a bare-audio bridge: the call starts on its first frame
            out += self.handler.handle_message(_raw_start(self.websocket))
        out += self.handler.handle_audio(data)
        return [json.dumps(item, ensure_ascii=False) for item in out]

    def close(self) -> None:
        self.handler.close()


@router.websocket("/voice/stream")
async def voice_stream(websocket: WebSocket) -> None:
    """A phone call as a generic Twilio-style media stream, for bridges of one's own.

    Real platforms have their own paths (``api/routes/telephony``): Twilio, FreeSWITCH, jambonz.
    Query ``events=0`` turns off the extension events (``transcript``, ``transfer``, ``hangup``).
    """
    await websocket.accept()
    await run_call(websocket, websocket.app.state.settings, lambda call: GenericTranslator(call, websocket))

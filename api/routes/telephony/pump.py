"""The one WebSocket loop every phone platform shares: read, recognise in the thread pool, reply.

A platform adapter (``Translator``) turns the platform's frames into calls on the one call engine
(``voice.stream.MediaStreamHandler`` driving ``voice.ivr.IvrCall`` through ``api.services.phone``)
and the engine's output back into the platform's frames. This loop only moves frames: the socket is
read as fast as it sends (so keepalives are answered when recognition falls behind), audio waits in
a bounded inbox and is recognised in batches, and the call's line and record are always released.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from base64 import b64decode
from binascii import Error as B64Error
from collections.abc import Callable
from typing import Any, Protocol

import anyio
from fastapi import WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Message

from api.services.phone import PhoneCall, VoiceUnavailable, get_recognizer
from api.settings import Settings

log = logging.getLogger(__name__)

# One media-stream message: Twilio sends 20 ms frames; bridges that batch send up to ~1 s.
STREAM_MAX_MESSAGE = 128 * 1024
_BATCH_MAX = 250  # messages recognised in one worker hop when a call has fallen behind (5 s)
_INBOX_MAX = 3000  # messages a call may fall behind by (a minute of 20 ms frames)

Frame = str | bytes  # a text or a binary WebSocket frame to send


class Translator(Protocol):
    """One platform's side of a call: its frames in, its frames out."""

    @property
    def finished(self) -> bool:
        """The call is over (or was refused): the loop sends what is left and closes the socket."""
        ...

    @property
    def close_code(self) -> int:
        """1000 for a call that ended; 1008 for a stream refused after the handshake."""
        ...

    def on_text(self, raw: str) -> list[Frame]: ...

    def on_bytes(self, data: bytes) -> list[Frame]: ...

    def close(self) -> None:
        """The socket is gone: finish the call record if nobody did (runs once, in a worker thread)."""
        ...


async def refuse(websocket: WebSocket, reason: str) -> None:
    """Refuse a WebSocket handshake with HTTP 403 (close-before-accept where denial is unsupported)."""
    log.warning("voice.platform.refused reason=%s path=%s", reason, websocket.url.path)
    try:
        await websocket.send_denial_response(Response(status_code=403))
    except RuntimeError:  # the server lacks the denial-response extension: it answers 403 itself
        await websocket.close(code=1008)


def start_event(
    call_id: str, caller: str | None, *, encoding: str = "audio/l16", rate: int = 8000
) -> dict[str, Any]:
    """The engine's ``start`` event for platforms that describe a call in their own metadata."""
    return {
        "event": "start",
        "start": {
            "streamSid": call_id,
            "callSid": call_id,
            "mediaFormat": {"encoding": encoding, "sampleRate": rate, "channels": 1},
            "customParameters": {"caller": caller or ""},
        },
    }


def parse_json(raw: str) -> dict[str, Any] | None:
    """A JSON object text frame, or None (logged) for anything else."""
    try:
        message = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        message = None
    if not isinstance(message, dict):
        log.warning("voice.platform.bad_json")
        return None
    return message


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def secret_matches(presented: str, expected: str) -> bool:
    """Constant-time comparison; an unset secret matches nothing."""
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


def bearer_or_basic_secret(websocket: WebSocket) -> str:
    """The secret of ``Authorization: Bearer S`` or the password of ``Authorization: Basic``."""
    header = websocket.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
        except (B64Error, UnicodeDecodeError, ValueError):
            return ""
    return ""


async def run_call(websocket: WebSocket, settings: Settings, make: Callable[[PhoneCall], Translator]) -> None:
    """Pump one accepted WebSocket through a platform translator until the call ends."""
    try:
        recognizer = await run_in_threadpool(get_recognizer, settings)
    except VoiceUnavailable as exc:
        log.error("voice.stream.no_model", extra={"detail": exc.detail})
        await websocket.close(code=1011, reason="voice model unavailable")
        return
    call = PhoneCall(websocket.app, settings, recognizer)
    translator = make(call)
    # The IVR ends a call after voice_max_call_s of audio; the wall clock bounds a line that sends
    # other events or trickles audio, and an idle line (a dead bridge) is closed.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.voice_max_call_s + 60.0
    inbox: asyncio.Queue[Message | None] = asyncio.Queue(maxsize=_INBOX_MAX)
    closing: list[tuple[int, str]] = []  # why the reader stopped the stream, if it did

    async def read() -> None:
        try:
            while True:
                timeout = max(0.0, min(settings.voice_idle_timeout_s, deadline - loop.time()))
                try:
                    message = await asyncio.wait_for(websocket.receive(), timeout=timeout)
                except TimeoutError:
                    log.warning("voice.stream.timeout idle_or_over_time=1")
                    closing.append((1008, "idle or over time"))
                    return
                if message["type"] == "websocket.disconnect":
                    return
                size = len(message.get("text") or message.get("bytes") or b"")
                if size > STREAM_MAX_MESSAGE:
                    log.warning("voice.stream.message_too_large bytes=%d", size)
                    closing.append((1009, "message too large"))
                    return
                await inbox.put(message)
        finally:
            await inbox.put(None)

    def process(batch: list[Message]) -> list[Frame]:
        out: list[Frame] = []
        for message in batch:
            if translator.finished:
                break
            if message.get("text") is not None:
                out += translator.on_text(message["text"])
            elif message.get("bytes") is not None:
                out += translator.on_bytes(message["bytes"])
        return out

    reader = asyncio.create_task(read())
    try:
        ended = False
        while not translator.finished and not ended:
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
            for frame in await run_in_threadpool(process, batch):
                if isinstance(frame, bytes):
                    await websocket.send_bytes(frame)
                else:
                    await websocket.send_text(frame)
        if closing:
            await websocket.close(code=closing[0][0], reason=closing[0][1])
        elif translator.finished:
            await websocket.close(code=translator.close_code)
    except WebSocketDisconnect:
        pass
    finally:
        call.release()
        reader.cancel()
        # A server shutting down cancels this handler; the call record must still be finished.
        with anyio.CancelScope(shield=True):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await reader
            await run_in_threadpool(translator.close)

"""Twilio Media Streams protocol, transport-agnostic: JSON messages in, JSON messages out.

In: ``connected``, ``start`` (stream and call ids, media format, custom parameters), ``media``
(base64 G.711 mu-law 8 kHz by default), ``dtmf``, ``mark`` (playback reached a label), ``stop``.
Out: ``media`` (our speech), ``mark`` (label after each prompt), ``clear`` (barge-in), plus three
extension events the bridge may act on or ignore: ``transcript`` (a line of the conversation),
``transfer`` (put the caller through to the agent queue) and ``hangup``. A FastAPI WebSocket route,
a test or a PBX adaptor only pumps messages through ``MediaStreamHandler``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voice.audio import alaw_to_pcm16, pcm16_to_alaw, pcm16_to_ulaw, ulaw_to_pcm16
from voice.dtmf import parse_dtmf_event
from voice.ivr import CallRecord, Hangup, IvrCall, Play, StopPlayback, TranscriptLine, Transfer

log = logging.getLogger(__name__)

ENCODINGS = {"audio/x-mulaw": "mulaw", "audio/x-alaw": "alaw", "audio/l16": "pcm16"}


@dataclass(frozen=True)
class StreamStart:
    """What the ``start`` event tells about the call."""

    stream_sid: str
    call_sid: str
    encoding: str  # mulaw | alaw | pcm16
    sample_rate: int
    caller: str | None
    parameters: dict[str, str] = field(default_factory=dict)


def parse_start(message: Mapping[str, Any]) -> StreamStart:
    """Read a Twilio ``start`` event; unknown media formats are refused (ValueError)."""
    start = message.get("start")
    if not isinstance(start, Mapping):
        raise ValueError("message: start event without a 'start' object")
    media = start.get("mediaFormat") or {}
    encoding = ENCODINGS.get(str(media.get("encoding", "audio/x-mulaw")).lower())
    if encoding is None:
        raise ValueError(f"message: unsupported media encoding {media.get('encoding')!r}")
    rate = int(media.get("sampleRate", 8000))
    if rate not in (8000, 16000) or (encoding != "pcm16" and rate != 8000):
        raise ValueError(f"message: unsupported sample rate {rate} for {encoding}")
    if int(media.get("channels", 1)) != 1:
        raise ValueError("message: only mono media streams are supported")
    params = {str(k): str(v) for k, v in (start.get("customParameters") or {}).items()}
    stream_sid = str(start.get("streamSid") or message.get("streamSid") or "")
    call_sid = str(start.get("callSid") or stream_sid)
    if not call_sid:
        raise ValueError("message: start event carries neither callSid nor streamSid")
    caller = params.get("caller") or params.get("from") or params.get("From") or None
    return StreamStart(stream_sid, call_sid, encoding, rate, caller, params)


CallFactory = Callable[[StreamStart], IvrCall]


def _render_order(action: Any) -> int:
    if isinstance(action, TranscriptLine):
        return 0
    return 2 if isinstance(action, Transfer | Hangup) else 1


class MediaStreamHandler:
    """One WebSocket connection: parses events, drives the ``IvrCall``, renders its actions.

    Args:
        call_factory: builds the IVR call once ``start`` says who is calling.
        on_finished: receives the call record once (stop event, hang-up or transfer).
        chunk_ms: size of outgoing media messages; smaller means finer barge-in on lines that play as
            they receive, larger means fewer messages.
        extensions: also send ``transcript``/``transfer``/``hangup`` events (off for strict bridges).
    """

    def __init__(
        self,
        call_factory: CallFactory,
        *,
        on_finished: Callable[[CallRecord], object] | None = None,
        chunk_ms: int = 200,
        extensions: bool = True,
    ) -> None:
        if not 20 <= chunk_ms <= 5000:
            raise ValueError(f"chunk_ms must be 20-5000, got {chunk_ms}")
        self.call_factory = call_factory
        self.on_finished = on_finished
        self.chunk_ms = chunk_ms
        self.extensions = extensions
        self.start: StreamStart | None = None
        self.call: IvrCall | None = None
        self.finished = False
        self.record: CallRecord | None = None

    # --- Input --------------------------------------------------------------------------------

    def handle_text(self, raw: str) -> list[dict[str, Any]]:
        """One text WebSocket message; malformed JSON is logged and skipped, never fatal."""
        try:
            message = json.loads(raw)
        except (json.JSONDecodeError, TypeError):
            log.warning("voice.stream.bad_json")
            return []
        if not isinstance(message, dict):
            log.warning("voice.stream.bad_message")
            return []
        return self.handle_message(message)

    def handle_message(self, message: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Dispatch one parsed event."""
        event = message.get("event")
        if self.finished:
            return []
        if event == "connected":
            return []
        if event == "start":
            return self._on_start(message)
        if self.call is None:
            log.warning("voice.stream.before_start", extra={"event": event})
            return []
        if event == "media":
            media = message.get("media") or {}
            if media.get("track", "inbound") not in ("inbound", "inbound_track"):
                return []
            try:
                payload = base64.b64decode(str(media.get("payload", "")), validate=True)
            except (binascii.Error, ValueError):
                log.warning("voice.stream.bad_payload")
                return []
            return self.handle_audio(payload)
        if event == "dtmf":
            try:
                digit = parse_dtmf_event(message)
            except ValueError:
                log.warning("voice.stream.bad_dtmf")
                return []
            return self._render(self.call.on_dtmf(digit))
        if event == "mark":
            name = (message.get("mark") or {}).get("name")
            return self._render(self.call.on_mark(str(name))) if name else []
        if event == "stop":
            self._finish("caller_hung_up")
            return []
        log.info("voice.stream.unknown_event", extra={"event": str(event)[:40]})
        return []

    def handle_audio(self, payload: bytes) -> list[dict[str, Any]]:
        """Caller audio in the negotiated encoding (media payloads, or binary frames of raw bridges)."""
        if self.call is None or self.start is None or self.finished:
            return []
        if self.start.encoding == "mulaw":
            pcm = ulaw_to_pcm16(payload).astype("<i2").tobytes()
        elif self.start.encoding == "alaw":
            pcm = alaw_to_pcm16(payload).astype("<i2").tobytes()
        else:
            pcm = payload[: len(payload) - len(payload) % 2]
        return self._render(self.call.on_audio(pcm))

    def close(self, reason: str = "connection_closed") -> CallRecord | None:
        """The transport closed: finish the call record if nobody did."""
        if not self.finished and self.call is not None:
            self._finish(reason)
        return self.record

    # --- Output -------------------------------------------------------------------------------

    def _on_start(self, message: Mapping[str, Any]) -> list[dict[str, Any]]:
        if self.call is not None:
            return []
        try:
            self.start = parse_start(message)
        except ValueError as exc:
            log.warning("voice.stream.bad_start", extra={"error": str(exc)})
            self.finished = True
            return [self._event("hangup", {"reason": "unsupported_media"})]
        self.call = self.call_factory(self.start)
        log.info("voice.stream.start", extra={"call_id": self.start.call_sid})
        return self._render(self.call.start())

    def _render(self, actions: list[Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        # Transcript lines first (a bridge can show the text while the audio plays), the end of the call last.
        for action in sorted(actions, key=_render_order):
            if isinstance(action, Play):
                out += self._media(action.audio)
                out.append(self._event("mark", {"name": action.mark}))
            elif isinstance(action, StopPlayback):
                out.append({"event": "clear", "streamSid": self._sid})
            elif isinstance(action, TranscriptLine):
                if self.extensions:
                    out.append(self._event("transcript", action.entry))
            elif isinstance(action, Transfer | Hangup):
                name = "transfer" if isinstance(action, Transfer) else "hangup"
                out.append(self._event(name, {"reason": action.reason}))
                self._finish(action.reason)
        return out

    def _media(self, pcm: bytes) -> list[dict[str, Any]]:
        if not pcm or self.start is None:
            return []
        samples = np.frombuffer(pcm, dtype="<i2")
        if self.start.encoding == "mulaw":
            encoded, width = pcm16_to_ulaw(samples), 1
        elif self.start.encoding == "alaw":
            encoded, width = pcm16_to_alaw(samples), 1
        else:
            encoded, width = pcm, 2
        step = int(self.start.sample_rate * self.chunk_ms / 1000) * width
        return [
            {
                "event": "media",
                "streamSid": self._sid,
                "media": {"payload": base64.b64encode(encoded[i : i + step]).decode()},
            }
            for i in range(0, len(encoded), step)
        ]

    def _event(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"event": name, "streamSid": self._sid, name: body}

    @property
    def _sid(self) -> str:
        return self.start.stream_sid if self.start else ""

    def _finish(self, reason: str) -> None:
        if self.finished:
            return
        self.finished = True
        if self.call is None:
            return
        self.record = self.call.hangup(reason)
        if self.on_finished is not None:
            try:
                self.on_finished(self.record)
            except Exception:  # storing the record must not break the caller's line
                log.exception("voice.stream.on_finished_failed", extra={"call_id": self.call.call_id})

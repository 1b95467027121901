"""FreeSWITCH ``mod_audio_stream``: L16 audio in binary frames, ``streamAudio`` JSON back.

``uuid_audio_stream <uuid> start wss://.../api/voice/freeswitch mono 8k <metadata>`` opens the
socket with the headers of the ``STREAM_EXTRA_HEADERS`` channel variable (here
``Authorization: Bearer <HOTLINE_VOICE_SHARED_SECRET>``), sends ``<metadata>`` as the first text
frame (here ``{"uuid":"...","caller":"..."}`` from the dialplan), then the caller's audio as binary
frames of 16-bit little-endian PCM. The module plays nothing by itself: every ``streamAudio``
message becomes a file and a ``mod_audio_stream::play`` event, every other JSON message a
``mod_audio_stream::json`` event; the Lua hook of docs/telephony.md plays the files
(``uuid_broadcast``), stops them on ``killAudio`` (``uuid_break``), and acts on ``transfer``
(``uuid_transfer`` to the agents' extension) and ``hangup`` (``uuid_kill``). Keys come back as
``{"dtmf":"5"}`` text frames (``bind_digit_action`` + ``uuid_audio_stream send_text``).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket

from api.routes.telephony.pump import (
    Frame,
    bearer_or_basic_secret,
    dumps,
    parse_json,
    refuse,
    run_call,
    secret_matches,
    start_event,
)
from api.services.phone import PhoneCall
from api.settings import Settings
from voice.stream import MediaStreamHandler

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/voice", tags=["voice"])


def _digit(message: dict[str, Any]) -> str:
    value = message.get("dtmf") if "dtmf" in message else message.get("digit")
    if isinstance(value, dict):  # {"event": "dtmf", "dtmf": {"digit": "5"}}
        value = value.get("digit")
    return str(value or "")


class FreeswitchTranslator:
    """mod_audio_stream frames to the call engine and back."""

    def __init__(self, call: PhoneCall) -> None:
        # 5 s pieces: each streamAudio becomes one file that the hook plays in order.
        self.handler = MediaStreamHandler(
            call.start, on_finished=call.finished, chunk_ms=5000, extensions=False
        )
        self.rate = 8000
        self.refused = False

    @property
    def finished(self) -> bool:
        return self.refused or self.handler.finished

    @property
    def close_code(self) -> int:
        return 1003 if self.refused else 1000

    def on_text(self, raw: str) -> list[Frame]:
        message = parse_json(raw)
        if message is None:
            return []
        if self.handler.call is None:  # the metadata of uuid_audio_stream start
            return self._start(
                str(message.get("uuid") or message.get("call_id") or ""),
                str(message.get("caller") or message.get("caller_id_number") or ""),
                message.get("sampleRate", 8000),
            )
        digit = _digit(message)
        if digit:
            return self._translate(self.handler.handle_message({"event": "dtmf", "dtmf": {"digit": digit}}))
        log.info("voice.freeswitch.unknown_text keys=%s", sorted(message)[:5])
        return []

    def on_bytes(self, data: bytes) -> list[Frame]:
        out: list[Frame] = []
        if self.handler.call is None:  # no metadata was configured: an anonymous call
            out += self._start("", "", 8000)
        return out + self._translate(self.handler.handle_audio(data))

    def close(self) -> None:
        self.handler.close()

    def _start(self, call_id: str, caller: str, rate: Any) -> list[Frame]:
        try:
            self.rate = int(rate)
        except (TypeError, ValueError):
            self.rate = 0
        if self.rate != 8000:  # the IVR runs at the telephone rate: set "8k" in uuid_audio_stream
            log.warning("voice.freeswitch.bad_rate rate=%r", rate)
            self.refused = True
            return []
        call_id = call_id or f"fs-{uuid.uuid4().hex}"
        return self._translate(
            self.handler.handle_message(start_event(call_id, caller or None, rate=self.rate))
        )

    def _translate(self, items: list[dict[str, Any]]) -> list[Frame]:
        out: list[Frame] = []
        for item in items:
            event = item.get("event")
            if event == "media":  # already 16-bit PCM at the stream's rate, base64
                data = {
                    "audioDataType": "raw",
                    "sampleRate": self.rate,
                    "audioData": item["media"]["payload"],
                }
                out.append(dumps({"type": "streamAudio", "data": data}))
            elif event == "clear":
                out.append(dumps({"type": "killAudio"}))
            elif event in ("transfer", "hangup"):
                out.append(dumps({"type": event, "data": {"reason": item[event].get("reason", "")}}))
            # mark: the module has no playback marks; the IVR times playback on the caller's audio clock
        return out


@router.websocket("/freeswitch")
async def freeswitch_stream(websocket: WebSocket) -> None:
    """A call forked by mod_audio_stream (shared secret in the Authorization header)."""
    settings: Settings = websocket.app.state.settings
    if not secret_matches(bearer_or_basic_secret(websocket), settings.voice_shared_secret):
        await refuse(websocket, "bad or missing shared secret")
        return
    await websocket.accept()
    await run_call(websocket, settings, FreeswitchTranslator)

"""jambonz ``listen`` (and drachtio ``mod_audio_fork``, the module under it): the audio-fork protocol.

The platform connects with the subprotocol ``audio.jambonz.org`` (``audio.drachtio.org`` for a bare
mod_audio_fork), authenticated by HTTP basic auth (the verb's ``wsAuth``; the password is
``HOTLINE_VOICE_SHARED_SECRET``). Its first text frame is the call's metadata (``callSid``,
``from``, ``to``, ``sampleRate``, ``mixType``), then the caller's audio comes as binary frames of
16-bit PCM; with ``passDtmf`` keys come as ``{"event":"dtmf","dtmf":"5","duration":...}``.
Back go ``playAudio`` (one per prompt: raw 16-bit PCM, base64, ``id`` = the IVR's mark, queued),
answered by ``playDone`` with that ``id``; ``killAudio`` on barge-in; ``disconnect`` at the end.
jambonz then calls the verb's ``actionHook`` (``POST /api/voice/jambonz/after``), which answers
with a ``dial`` to the agents or a ``hangup``. A bare mod_audio_fork gets a ``transfer`` message
(its ``mod_audio_fork::transfer`` event) before ``disconnect``.
"""

from __future__ import annotations

import base64
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.errors import Forbidden
from api.routes.telephony.decisions import CallDecisions, Kind, call_decisions, decision_for
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
from api.services.calls import recording_name
from api.services.phone import PhoneCall
from api.settings import Settings
from voice.stream import MediaStreamHandler

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/voice", tags=["voice"])

JAMBONZ_SUBPROTOCOL = "audio.jambonz.org"
AUDIO_FORK_SUBPROTOCOL = "audio.drachtio.org"


class AudioForkTranslator:
    """Audio-fork frames to the call engine and back."""

    def __init__(self, call: PhoneCall, decisions: CallDecisions, *, jambonz: bool) -> None:
        self.handler = MediaStreamHandler(
            call.start, on_finished=call.finished, chunk_ms=5000, extensions=False
        )
        self.decisions = decisions
        self.jambonz = jambonz
        self.call_id = ""
        self.refused = False
        self._queued: list[bytes] = []  # the prompt being rendered, until its mark closes it

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
        if self.handler.call is None:
            return self._start(message)
        if message.get("event") == "dtmf":
            event = {"event": "dtmf", "dtmf": {"digit": str(message.get("dtmf") or "")}}
            return self._translate(self.handler.handle_message(event))
        if message.get("type") == "playDone":
            mark = str((message.get("data") or {}).get("id") or "")
            return self._translate(self.handler.handle_message({"event": "mark", "mark": {"name": mark}}))
        return []

    def on_bytes(self, data: bytes) -> list[Frame]:
        out: list[Frame] = []
        if self.handler.call is None:  # a bare fork without metadata: an anonymous call
            out += self._start({})
        return out + self._translate(self.handler.handle_audio(data))

    def close(self) -> None:
        self.handler.close()

    def _start(self, meta: dict[str, Any]) -> list[Frame]:
        rate, mix = meta.get("sampleRate", 8000), meta.get("mixType", "mono")
        if str(rate) != "8000" or mix != "mono":
            log.warning("voice.audiofork.unsupported rate=%r mix=%r", rate, mix)
            self.refused = True
            return []
        call_sid = str(meta.get("callSid") or meta.get("call_sid") or meta.get("callid") or "")
        call_sid = call_sid or f"fork-{uuid.uuid4().hex}"
        self.call_id = recording_name(call_sid)
        caller = str(meta.get("from") or "") or None
        return self._translate(self.handler.handle_message(start_event(call_sid, caller)))

    def _translate(self, items: list[dict[str, Any]]) -> list[Frame]:
        out: list[Frame] = []
        for item in items:
            event = item.get("event")
            if event == "media":
                self._queued.append(base64.b64decode(item["media"]["payload"]))
            elif event == "mark":
                audio, self._queued = b"".join(self._queued), []
                data = {
                    "audioContent": base64.b64encode(audio).decode(),
                    "audioContentType": "raw",
                    "sampleRate": 8000,
                    "id": item["mark"]["name"],
                    "queuePlay": True,
                }
                out.append(dumps({"type": "playAudio", "data": data}))
            elif event == "clear":
                self._queued = []
                out.append(dumps({"type": "killAudio"}))
            elif event in ("transfer", "hangup"):
                reason = str(item[event].get("reason", ""))
                kind: Kind = "transfer" if event == "transfer" or reason == "unsupported_media" else "hangup"
                self.decisions.record(self.call_id, kind, reason)
                if kind == "transfer" and not self.jambonz:
                    out.append(dumps({"type": "transfer", "data": {"reason": reason}}))
                out.append(dumps({"type": "disconnect"}))
        return out


async def _fork_stream(websocket: WebSocket, subprotocol: str, *, jambonz: bool) -> None:
    settings: Settings = websocket.app.state.settings
    offered = websocket.scope.get("subprotocols") or []
    if subprotocol not in offered:
        await refuse(websocket, f"subprotocol {subprotocol} not offered")
        return
    if not secret_matches(bearer_or_basic_secret(websocket), settings.voice_shared_secret):
        await refuse(websocket, "bad or missing shared secret")
        return
    await websocket.accept(subprotocol=subprotocol)
    decisions = call_decisions(websocket.app)
    await run_call(websocket, settings, lambda call: AudioForkTranslator(call, decisions, jambonz=jambonz))


@router.websocket("/jambonz")
async def jambonz_stream(websocket: WebSocket) -> None:
    """A call streamed by the jambonz ``listen`` verb."""
    await _fork_stream(websocket, JAMBONZ_SUBPROTOCOL, jambonz=True)


@router.websocket("/audiofork")
async def audio_fork_stream(websocket: WebSocket) -> None:
    """A call forked by drachtio ``mod_audio_fork`` (``uuid_audio_fork ... start``)."""
    await _fork_stream(websocket, AUDIO_FORK_SUBPROTOCOL, jambonz=False)


@router.post("/jambonz/after")
async def jambonz_after(request: Request) -> JSONResponse:
    """The ``listen`` verb's ``actionHook``: dial the agents after a transfer, else hang up."""
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    try:
        password = (
            base64.b64decode(value, validate=True).decode().partition(":")[2]
            if scheme.lower() == "basic"
            else ""
        )
    except (ValueError, UnicodeDecodeError):
        password = ""
    if not secret_matches(password, settings.voice_shared_secret):
        raise Forbidden("jambonz actionHook without the shared secret")
    body = await request.json()
    call_sid = str(body.get("call_sid") or body.get("callSid") or "") if isinstance(body, dict) else ""
    status = str(body.get("call_status") or body.get("callStatus") or "") if isinstance(body, dict) else ""
    decision = await run_in_threadpool(decision_for, request.app, settings, recording_name(call_sid))
    number = settings.voice_agent_number
    ended = status in ("completed", "failed", "no-answer", "busy")
    if ended or (decision is not None and decision.kind == "hangup") or not number:
        return JSONResponse([{"verb": "hangup"}])
    target = (
        {"type": "sip", "sipUri": number}
        if number.startswith("sip:")
        else {"type": "phone", "number": number}
    )
    return JSONResponse([{"verb": "dial", "target": [target]}])

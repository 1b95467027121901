"""The Twilio phone line: TwiML webhooks and the bidirectional Media Stream, as Twilio documents them.

1. ``POST /api/voice/twilio/incoming`` (the number's voice webhook, signed by Twilio) answers with
   ``<Connect action=".../after"><Stream url="wss://.../api/voice/twilio">`` and two
   ``<Parameter>``s: the caller's number and a stream token minted for this CallSid (Twilio drops
   query strings from stream URLs and cannot sign the socket's messages, so the token carries the
   webhook's authenticity to the socket).
2. ``/api/voice/twilio`` (WebSocket) receives ``connected``, ``start``, ``media``, ``dtmf``,
   ``mark`` and ``stop``; it checks the token on ``start`` and sends only ``media`` (20 ms frames of
   8 kHz mu-law), ``mark`` and ``clear``. When the bot transfers or says goodbye it records the
   decision and closes the socket, which ends ``<Connect>``.
3. ``POST /api/voice/twilio/after`` (the ``<Connect action>``, signed) dials the agents' number for a
   transfer and hangs up otherwise: a caller who hung up never rings the queue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, VoiceResponse

from api.errors import Forbidden, ServiceUnavailable
from api.routes.telephony.decisions import CallDecisions, Kind, call_decisions, decision_for
from api.routes.telephony.pump import Frame, dumps, parse_json, refuse, run_call
from api.services.calls import recording_name
from api.services.phone import PhoneCall
from api.settings import Settings
from voice.ivr import IvrCall
from voice.stream import MediaStreamHandler, StreamStart

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/voice/twilio", tags=["voice"])

FRAME_BYTES = 160  # 20 ms of 8 kHz mu-law: the frame Twilio sends, and the one we send back
_MULAW_SILENCE = b"\xff"
_TOKEN_TTL_S = 300  # the stream must start within five minutes of the signed webhook
_ENDED_STATUSES = frozenset({"completed", "canceled", "failed", "busy", "no-answer"})
_SENDABLE = frozenset({"media", "mark", "clear"})  # all a bidirectional stream accepts from us


# --- Signatures and stream tokens ---------------------------------------------------------------------


def _origin(settings: Settings, url: Any) -> str:
    base = settings.voice_public_url.strip().rstrip("/")
    return base or f"{url.scheme}://{url.netloc}"


def signed_url(settings: Settings, request: Request) -> str:
    """The URL Twilio requested (and signed): the public origin, this path and query."""
    url = request.url
    query = f"?{url.query}" if url.query else ""
    return f"{_origin(settings, url)}{url.path}{query}"


async def verified_form(request: Request, settings: Settings) -> FormData:
    """The webhook's POST parameters once ``X-Twilio-Signature`` checks out (403 otherwise)."""
    if not settings.twilio_auth_token:
        raise Forbidden("HOTLINE_TWILIO_AUTH_TOKEN is not set: Twilio webhooks are refused")
    form = await request.form(max_files=0, max_fields=100)
    signature = request.headers.get("x-twilio-signature", "")
    validator = RequestValidator(settings.twilio_auth_token)
    if not signature or not validator.validate(signed_url(settings, request), form, signature):
        log.warning("voice.twilio.bad_signature path=%s", request.url.path)
        raise Forbidden("X-Twilio-Signature does not match this request")
    return form


def _token_key(settings: Settings) -> bytes:
    return hmac.new(
        settings.twilio_auth_token.encode(), b"hotline/twilio-stream-token", hashlib.sha256
    ).digest()


def _token_mac(settings: Settings, call_sid: str, caller: str, expires: int) -> str:
    message = f"{call_sid}\n{caller}\n{expires}".encode()
    return hmac.new(_token_key(settings), message, hashlib.sha256).hexdigest()


def mint_stream_token(settings: Settings, call_sid: str, caller: str, *, now: float | None = None) -> str:
    """A token binding this CallSid and caller number, valid for five minutes."""
    expires = int((time.time() if now is None else now) + _TOKEN_TTL_S)
    return f"{expires}.{_token_mac(settings, call_sid, caller, expires)}"


def stream_token_valid(settings: Settings, token: str, call_sid: str, caller: str) -> bool:
    expires_text, _, mac = token.partition(".")
    if not settings.twilio_auth_token or not expires_text.isdigit() or int(expires_text) < time.time():
        return False
    return hmac.compare_digest(mac, _token_mac(settings, call_sid, caller, int(expires_text)))


class _StartedCalls:
    """CallSids whose stream has started in this process: a token opens one stream only."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, call_sid: str) -> bool:
        now = time.time()
        with self._lock:
            self._seen = {k: v for k, v in self._seen.items() if now - v < 2 * _TOKEN_TTL_S}
            if call_sid in self._seen:
                return False
            self._seen[call_sid] = now
            return True


_started = _StartedCalls()


# --- The stream ---------------------------------------------------------------------------------------


class TwilioTranslator:
    """Twilio Media Streams messages to the call engine and back (only media, mark, clear go out)."""

    def __init__(self, call: PhoneCall, settings: Settings, decisions: CallDecisions) -> None:
        self.call = call
        self.settings = settings
        self.decisions = decisions
        self.handler = MediaStreamHandler(
            self._start, on_finished=call.finished, chunk_ms=20, extensions=False
        )
        self.refused = False
        self.call_id = ""

    @property
    def finished(self) -> bool:
        return self.refused or self.handler.finished

    @property
    def close_code(self) -> int:
        return 1008 if self.refused else 1000

    def _start(self, start: StreamStart) -> IvrCall:
        self.call_id = recording_name(start.call_sid)
        return self.call.start(start)

    def on_text(self, raw: str) -> list[Frame]:
        message = parse_json(raw)
        if message is None:
            return []
        event = message.get("event")
        if event == "start" and self.handler.call is None and not self._authentic(message):
            self.refused = True
            return []
        out = self._translate(self.handler.handle_message(message))
        if event == "stop" and self.call_id:
            self._decide("hangup", "caller_hung_up")
        return out

    def on_bytes(self, data: bytes) -> list[Frame]:
        log.warning("voice.twilio.binary_frame bytes=%d", len(data))  # Twilio sends JSON text only
        return []

    def close(self) -> None:
        self.handler.close()

    def _authentic(self, message: Mapping[str, Any]) -> bool:
        start = message.get("start")
        start = start if isinstance(start, Mapping) else {}
        params = start.get("customParameters")
        params = params if isinstance(params, Mapping) else {}
        call_sid = str(start.get("callSid") or "")
        token, caller = str(params.get("token") or ""), str(params.get("caller") or "")
        if not (call_sid and stream_token_valid(self.settings, token, call_sid, caller)):
            log.warning("voice.twilio.bad_stream_token")
            return False
        if not _started.claim(call_sid):
            log.warning("voice.twilio.stream_replayed")
            return False
        return True

    def _decide(self, kind: Kind, reason: str) -> None:
        self.decisions.record(self.call_id, kind, reason)

    def _translate(self, items: list[dict[str, Any]]) -> list[Frame]:
        out: list[Frame] = []
        for item in items:
            event = item.get("event")
            if event == "media":
                item = _padded(item)
            if event in _SENDABLE:
                out.append(dumps(item))
            elif event == "transfer":
                self._decide("transfer", str(item["transfer"].get("reason", "")))
            elif event == "hangup":
                reason = str(item["hangup"].get("reason", ""))
                # A stream the engine cannot serve goes to the agents; a goodbye ends the call.
                self._decide("transfer" if reason == "unsupported_media" else "hangup", reason)
        return out


def _padded(item: dict[str, Any]) -> dict[str, Any]:
    """A media message whose payload is whole 20 ms frames (the last one filled with silence)."""
    audio = base64.b64decode(item["media"]["payload"])
    short = -len(audio) % FRAME_BYTES
    if not short:
        return item
    payload = base64.b64encode(audio + _MULAW_SILENCE * short).decode()
    return {**item, "media": {**item["media"], "payload": payload}}


@router.websocket("")
async def twilio_stream(websocket: WebSocket) -> None:
    """The bidirectional Media Stream of ``<Connect><Stream>``."""
    settings: Settings = websocket.app.state.settings
    if not settings.twilio_auth_token:
        await refuse(websocket, "HOTLINE_TWILIO_AUTH_TOKEN unset")
        return
    await websocket.accept()
    decisions = call_decisions(websocket.app)
    await run_call(websocket, settings, lambda call: TwilioTranslator(call, settings, decisions))


# --- TwiML webhooks ----------------------------------------------------------------------------------


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), media_type="application/xml")


@router.post("/incoming")
async def twilio_incoming(request: Request) -> Response:
    """The voice webhook of the hotline number: connect the call to the media stream."""
    settings: Settings = request.app.state.settings
    form = await verified_form(request, settings)
    if not settings.voice_agent_number:
        raise ServiceUnavailable("HOTLINE_VOICE_AGENT_NUMBER is not set: transfers would have nowhere to go")
    call_sid, caller = str(form.get("CallSid") or ""), str(form.get("From") or "")
    if not call_sid:
        raise Forbidden("a Twilio voice webhook without CallSid")
    origin = _origin(settings, request.url)
    stream_url = "ws" + origin.removeprefix("http") + "/api/voice/twilio"
    response = VoiceResponse()
    connect = Connect(action=f"{origin}/api/voice/twilio/after", method="POST")
    stream = connect.stream(url=stream_url)
    stream.parameter(name="caller", value=caller)
    stream.parameter(name="token", value=mint_stream_token(settings, call_sid, caller))
    response.append(connect)
    log.info("voice.twilio.incoming call_sid=%s", call_sid)
    return _twiml(response)


@router.post("/after")
async def twilio_after(request: Request) -> Response:
    """``<Connect action>``: the stream ended; dial the agents for a transfer, else hang up."""
    settings: Settings = request.app.state.settings
    form = await verified_form(request, settings)
    call_sid, status = str(form.get("CallSid") or ""), str(form.get("CallStatus") or "")
    decision = await run_in_threadpool(decision_for, request.app, settings, recording_name(call_sid))
    response = VoiceResponse()
    if status in _ENDED_STATUSES or (decision is not None and decision.kind == "hangup"):
        response.hangup()
    elif not settings.voice_agent_number:
        log.error("voice.twilio.no_agent_number call_sid=%s", call_sid)
        response.say("抱歉，人工坐席暂时无法接通，请稍后再拨。", language="zh-CN")
        response.hangup()
    else:
        if decision is None:  # the stream broke off: a caller is never left without a person
            log.warning("voice.twilio.no_decision call_sid=%s status=%s", call_sid, status)
        response.dial(settings.voice_agent_number)
    return _twiml(response)

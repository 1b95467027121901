"""The Twilio phone line replayed as Twilio drives it: signed webhooks, TwiML, the Media Stream.

The messages are the documented shapes (twilio.com/docs/voice/media-streams/websocket-messages,
/docs/voice/twiml/connect, /docs/usage/security): the app is real, the audio is real 8 kHz mu-law
speech, the dialogue is the only stand-in. Signatures are computed here from the documented
algorithm (HMAC-SHA1 over the URL and the sorted POST parameters, base64), not with the library
the server verifies them with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

import api.main
from api.routes.telephony import twilio as twilio_line
from api.routes.voice import router as voice_router
from api.settings import Settings
from tests.voice.conftest import phone_settings, silence
from tests.voice.test_ivr import SPOKEN_ANSWER, Dialogue
from voice.audio import pcm16_to_ulaw, ulaw_to_pcm16

TOKEN = "auth-token-for-tests"
ORIGIN = "https://hotline.example.org"
AGENTS = "+861012393000"
CALLER = "+8613800001234"
ALLOWED_OUT = {"media", "mark", "clear"}


def twilio_signature(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """The documented algorithm: URL, then each parameter name+value sorted by name; HMAC-SHA1."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def app_state(client: TestClient) -> Any:
    assert isinstance(client.app, FastAPI)
    return client.app.state


@pytest.fixture()
def settings(tmp_path: Path, model_path: str) -> Settings:
    return phone_settings(
        tmp_path,
        model_path,
        twilio_auth_token=TOKEN,
        voice_public_url=ORIGIN,
        voice_agent_number=AGENTS,
    )


@pytest.fixture()
def client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(api.main, "ROUTERS", (voice_router, twilio_line.router))
    with TestClient(api.main.create_app(settings)) as test_client:
        app_state(test_client).voice_respond = Dialogue()  # the dialogue server: the edge of the world
        yield test_client


def post_signed(client: TestClient, path: str, params: dict[str, str], signature: str | None = None) -> Any:
    sig = twilio_signature(ORIGIN + path, params) if signature is None else signature
    return client.post(path, data=params, headers={"X-Twilio-Signature": sig})


def incoming(client: TestClient, call_sid: str) -> dict[str, str]:
    """The voice webhook; returns the stream's <Parameter>s after checking the TwiML's shape."""
    params = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": CALLER, "To": "+8612393"}
    params |= {"CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01"}
    response = post_signed(client, "/api/voice/twilio/incoming", params)
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.text)
    assert root.tag == "Response" and [child.tag for child in root] == ["Connect"]  # no verb after it
    connect = root[0]
    assert connect.get("action") == f"{ORIGIN}/api/voice/twilio/after"
    stream = connect.find("Stream")
    assert stream is not None and stream.get("url") == "wss://hotline.example.org/api/voice/twilio"
    assert "?" not in str(stream.get("url"))  # Twilio drops query strings from stream URLs
    found = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert found["caller"] == CALLER and found["token"]
    return {str(k): str(v) for k, v in found.items()}


class TwilioSide:
    """Twilio's end of the socket: documented inbound messages, a record of everything sent back."""

    def __init__(self, ws: Any, call_sid: str) -> None:
        self.ws, self.call_sid, self.sid = ws, call_sid, "MZ" + call_sid[2:]
        self.seq = 0
        self.chunk = 0
        self.received: list[dict[str, Any]] = []
        self.closed: int | None = None

    def send(self, event: str, **body: Any) -> None:
        self.seq += 1
        self.ws.send_text(json.dumps({"event": event, "sequenceNumber": str(self.seq), **body}))

    def begin(self, parameters: dict[str, str]) -> None:
        self.ws.send_text(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {
            "accountSid": "AC" + "0" * 32,
            "streamSid": self.sid,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": parameters,
        }
        self.send("start", start=start, streamSid=self.sid)

    def speak(self, pcm: bytes) -> None:
        for i in range(0, len(pcm), 320):  # 20 ms frames, as Twilio sends them
            self.chunk += 1
            media = {
                "track": "inbound",
                "chunk": str(self.chunk),
                "timestamp": str(self.chunk * 20),
                "payload": base64.b64encode(pcm16_to_ulaw(pcm[i : i + 320])).decode(),
            }
            self.send("media", media=media, streamSid=self.sid)

    def press(self, digit: str) -> None:
        self.send("dtmf", streamSid=self.sid, dtmf={"track": "inbound_track", "digit": digit})

    def read(self) -> dict[str, Any] | None:
        """The next message from the server, or None once it closed the socket."""
        message = self.ws.receive()
        if message["type"] == "websocket.close":
            self.closed = message.get("code", 1000)
            return None
        item = json.loads(message["text"])
        assert item["event"] in ALLOWED_OUT, item  # Twilio accepts nothing else (warnings 31951/31924)
        assert item["streamSid"] == self.sid
        self.received.append(item)
        return item

    def until_marks(self, count: int = 1, *, echo: bool = True) -> list[str]:
        """Read until ``count`` prompts are queued; echo their marks as Twilio does after playback."""
        marks: list[str] = []
        while len(marks) < count:
            item = self.read()
            assert item is not None, f"socket closed early, marks so far {marks}"
            if item["event"] == "mark":
                marks.append(item["mark"]["name"])
        if echo:
            for mark in marks:
                self.send("mark", streamSid=self.sid, mark={"name": mark})
        return marks

    def until_closed(self) -> None:
        while self.read() is not None:
            pass

    def check_media(self) -> None:
        payloads = [base64.b64decode(m["media"]["payload"]) for m in self.received if m["event"] == "media"]
        assert payloads and all(len(p) == 160 for p in payloads)  # 20 ms of 8 kHz mu-law each
        speech = ulaw_to_pcm16(b"".join(payloads))
        assert speech.std() > 300  # real speech, not silence


def after(client: TestClient, call_sid: str, status: str = "in-progress") -> ET.Element:
    params = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "CallStatus": status, "StreamSid": "MZ1"}
    response = post_signed(client, "/api/voice/twilio/after", params)
    assert response.status_code == 200, response.text
    return ET.fromstring(response.text)


def calls_kept(settings: Settings) -> list[str]:
    folder = settings.data_dir / "calls"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- Webhook authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("signature", ["", "forged", "x"], ids=["unsigned", "forged", "garbage"])
def test_unsigned_or_forged_webhooks_are_refused(client: TestClient, signature: str) -> None:
    params = {"CallSid": "CA-forged", "From": CALLER, "To": "+8612393"}
    for path in ("/api/voice/twilio/incoming", "/api/voice/twilio/after"):
        headers = {"X-Twilio-Signature": signature} if signature else {}
        assert client.post(path, data=params, headers=headers).status_code == 403
    # A genuine signature over other parameters is no signature for these ones.
    other = twilio_signature(ORIGIN + "/api/voice/twilio/incoming", {**params, "From": "+8613900000000"})
    assert post_signed(client, "/api/voice/twilio/incoming", params, other).status_code == 403


def test_without_an_auth_token_every_twilio_request_is_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.main, "ROUTERS", (twilio_line.router,))
    with TestClient(api.main.create_app(settings.model_copy(update={"twilio_auth_token": ""}))) as bare:
        params = {"CallSid": "CA1", "From": CALLER}
        assert post_signed(bare, "/api/voice/twilio/incoming", params).status_code == 403
        with pytest.raises(WebSocketDenialResponse) as denied:
            with bare.websocket_connect("/api/voice/twilio"):
                pass
        assert denied.value.status_code == 403


def test_a_stream_with_a_forged_or_replayed_token_files_nothing(
    client: TestClient, settings: Settings
) -> None:
    good = incoming(client, "CA-token-1")
    for parameters in (
        {**good, "token": good["token"][:-4] + "abcd"},
        {**good, "caller": "+8613999999999"},
        {},
    ):
        with client.websocket_connect("/api/voice/twilio") as ws:
            side = TwilioSide(ws, "CA-token-1")
            side.begin(parameters)
            side.until_closed()
        assert side.closed == 1008 and side.received == []
    with client.websocket_connect("/api/voice/twilio") as ws:  # the genuine token opens the call once
        genuine = TwilioSide(ws, "CA-token-1")
        genuine.begin(good)
        assert genuine.until_marks(1, echo=False)
    with client.websocket_connect("/api/voice/twilio") as ws:  # ... and never again
        replay = TwilioSide(ws, "CA-token-1")
        replay.begin(good)
        replay.until_closed()
    assert replay.closed == 1008 and replay.received == []
    assert app_state(client).voice_call_end.drain(timeout=60)
    assert calls_kept(settings) == ["CA-token-1.json", "CA-token-1.wav"]  # only the genuine stream


# --- Calls ---------------------------------------------------------------------------------------------


@pytest.mark.timeout(240)
def test_whole_call_answer_callback_goodbye_never_dials(
    client: TestClient, settings: Settings, line_speech: bytes
) -> None:
    parameters = incoming(client, "CA-twilio-whole")
    with client.websocket_connect("/api/voice/twilio") as ws:
        side = TwilioSide(ws, "CA-twilio-whole")
        side.begin(parameters)
        assert side.until_marks(1)[0].startswith("welcome")
        side.speak(line_speech + silence(1.0))  # a question
        assert [m.split("-")[0] for m in side.until_marks(2)] == ["reply", "anything_else"]
        side.press("9")  # a callback, please
        assert side.until_marks(1)[0].startswith("callback_ask")
        side.speak(line_speech + silence(1.0))  # the problem, in the caller's words
        assert [m.split("-")[0] for m in side.until_marks(2)] == ["callback_done", "anything_else"]
        side.speak(silence(1.3))  # nothing else
        assert side.until_marks(1)[0].startswith("goodbye")
        side.until_closed()  # the bot ends the stream by closing the socket
    assert side.closed == 1000
    side.check_media()
    assert "clear" not in [m["event"] for m in side.received]

    twiml = after(client, "CA-twilio-whole")
    assert [child.tag for child in twiml] == ["Hangup"]  # a goodbye never rings the agents
    assert app_state(client).voice_call_end.drain(timeout=120)
    stored = json.loads((settings.data_dir / "calls" / "CA-twilio-whole.json").read_text(encoding="utf-8"))
    assert stored["caller"] == CALLER and stored["outcome"] == "callback"  # From of the signed webhook
    assert any(e["text"] == SPOKEN_ANSWER for e in stored["transcript"])
    from api.services.registry import get_session_factory
    from api.services.tickets import get_ticket

    with get_session_factory(settings)() as session:
        ticket = get_ticket(session, number=stored["ticket_ids"][0])
    assert ticket.caller_phone == CALLER.removeprefix("+86")  # the intake keeps national numbers
    assert ticket.conversation_id == "CA-twilio-whole"


@pytest.mark.timeout(120)
def test_key_0_transfers_through_the_connect_action(client: TestClient) -> None:
    parameters = incoming(client, "CA-twilio-transfer")
    with client.websocket_connect("/api/voice/twilio") as ws:
        side = TwilioSide(ws, "CA-twilio-transfer")
        side.begin(parameters)
        side.until_marks(1)
        side.press("0")
        assert side.until_marks(1)[0].startswith("transfer")
        side.until_closed()
    assert side.closed == 1000
    twiml = after(client, "CA-twilio-transfer")
    assert [child.tag for child in twiml] == ["Dial"] and twiml[0].text == AGENTS


@pytest.mark.timeout(120)
def test_barge_in_clears_and_a_caller_hang_up_never_dials(client: TestClient, line_speech: bytes) -> None:
    parameters = incoming(client, "CA-twilio-barge")
    with client.websocket_connect("/api/voice/twilio") as ws:
        side = TwilioSide(ws, "CA-twilio-barge")
        side.begin(parameters)
        side.until_marks(1, echo=False)  # the welcome is still playing
        side.speak(line_speech)  # ... and the caller talks over it
        while (item := side.read()) is not None and item["event"] != "clear":
            pass
        assert item is not None and item == {"event": "clear", "streamSid": side.sid}
        side.send("stop", streamSid=side.sid, stop={"accountSid": "AC" + "0" * 32, "callSid": side.call_sid})
        side.until_closed()
    for status in ("completed", "in-progress"):  # whatever Twilio reports, the caller is gone
        assert [child.tag for child in after(client, "CA-twilio-barge", status)] == ["Hangup"]


def test_a_stream_that_broke_off_is_put_through_to_a_person(client: TestClient) -> None:
    twiml = after(client, "CA-never-streamed")  # no decision recorded: the socket died mid-call
    assert [child.tag for child in twiml] == ["Dial"]
    assert [child.tag for child in after(client, "CA-never-streamed", "completed")] == ["Hangup"]

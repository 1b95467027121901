"""FreeSWITCH mod_audio_stream, jambonz listen and drachtio mod_audio_fork, replayed as documented.

mod_audio_stream (github.com/amigniter/mod_audio_stream): headers from STREAM_EXTRA_HEADERS, the
start metadata as the first text frame, L16 binary frames; ``streamAudio`` back. jambonz listen
(docs.jambonz.org/verbs/verbs/listen): subprotocol ``audio.jambonz.org``, wsAuth basic auth, a
metadata text frame, L16 binary frames, ``{"event":"dtmf"}`` with passDtmf; ``playAudio``,
``killAudio``, ``disconnect`` back and ``playDone`` in. Real app, real 8 kHz audio.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

import api.main
from api.routes.telephony import freeswitch, jambonz
from api.settings import Settings
from tests.voice.conftest import phone_settings, silence
from tests.voice.test_ivr import Dialogue

SECRET = "shared-secret-for-tests"
AGENTS = "+861012393000"


def app_state(client: TestClient) -> Any:
    assert isinstance(client.app, FastAPI)
    return client.app.state


@pytest.fixture()
def settings(tmp_path: Path, model_path: str) -> Settings:
    return phone_settings(
        tmp_path,
        model_path,
        voice_shared_secret=SECRET,
        voice_agent_number=AGENTS,
    )


@pytest.fixture()
def client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(api.main, "ROUTERS", (freeswitch.router, jambonz.router))
    with TestClient(api.main.create_app(settings)) as test_client:
        app_state(test_client).voice_respond = Dialogue()
        yield test_client


def basic(password: str, user: str = "jambonz") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def read(ws: Any) -> dict[str, Any] | None:
    message = ws.receive()
    if message["type"] == "websocket.close":
        return None
    assert message.get("text") is not None, "these platforms take JSON text back, never binary audio"
    return json.loads(message["text"])  # type: ignore[no-any-return]


def pcm_of(b64: str) -> np.ndarray:
    audio = base64.b64decode(b64)
    assert len(audio) % 2 == 0
    return np.frombuffer(audio, dtype="<i2")


def stream_l16(ws: Any, pcm: bytes) -> None:
    for i in range(0, len(pcm), 320):  # 20 ms of 8 kHz L16, FreeSWITCH's frame
        ws.send_bytes(pcm[i : i + 320])


def kept_record(client: TestClient, settings: Settings, call_id: str) -> dict[str, Any]:
    assert app_state(client).voice_call_end.drain(timeout=60)
    return json.loads((settings.data_dir / "calls" / f"{call_id}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# --- FreeSWITCH mod_audio_stream ------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, basic("wrong")])
def test_freeswitch_without_the_secret_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    with pytest.raises(WebSocketDenialResponse) as denied:
        with client.websocket_connect("/api/voice/freeswitch", headers=headers):
            pass
    assert denied.value.status_code == 403


@pytest.mark.timeout(120)
def test_freeswitch_call_plays_stops_and_transfers_the_modules_way(
    client: TestClient, settings: Settings, line_speech: bytes
) -> None:
    headers = {"Authorization": f"Bearer {SECRET}"}  # STREAM_EXTRA_HEADERS
    with client.websocket_connect("/api/voice/freeswitch", headers=headers) as ws:
        ws.send_text(json.dumps({"uuid": "fs-0a1b", "caller": "13800001111"}))  # the start metadata
        first = read(ws)
        assert first is not None and first["type"] == "streamAudio"
        assert set(first["data"]) == {"audioDataType", "sampleRate", "audioData"}
        assert first["data"]["audioDataType"] == "raw" and first["data"]["sampleRate"] == 8000
        assert pcm_of(first["data"]["audioData"]).std() > 300  # the welcome, as 8 kHz L16
        stream_l16(ws, line_speech)  # the caller talks over the welcome
        seen = [read(ws)]
        while seen[-1] is not None and seen[-1]["type"] == "streamAudio":
            seen.append(read(ws))
        assert seen[-1] == {"type": "killAudio"}  # the hook runs uuid_break
        ws.send_text(json.dumps({"dtmf": "0"}))  # bind_digit_action -> uuid_audio_stream send_text
        # No marks on this platform: the IVR times the prompt on the audio the line keeps sending.
        stream_l16(ws, silence(12.0))
        messages: list[dict[str, Any]] = []
        while (item := read(ws)) is not None and item["type"] == "streamAudio":
            messages.append(item)
        assert messages and pcm_of(messages[0]["data"]["audioData"]).std() > 300  # the transfer prompt
        assert item == {"type": "transfer", "data": {"reason": "caller_pressed_0"}}
        assert read(ws) is None  # then the socket closes
    stored = kept_record(client, settings, "fs-0a1b")
    assert stored["caller"] == "13800001111" and stored["outcome"] == "transfer"


# --- jambonz listen -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subprotocols", "headers"),
    [([], basic(SECRET)), (["audio.jambonz.org"], basic("wrong")), (["audio.jambonz.org"], {})],
    ids=["no-subprotocol", "wrong-password", "no-auth"],
)
def test_jambonz_without_subprotocol_or_secret_is_refused(
    client: TestClient, subprotocols: list[str], headers: dict[str, str]
) -> None:
    with pytest.raises(WebSocketDenialResponse) as denied:
        with client.websocket_connect("/api/voice/jambonz", subprotocols=subprotocols, headers=headers):
            pass
    assert denied.value.status_code == 403


def _jambonz_metadata(call_sid: str) -> dict[str, Any]:
    return {
        "callSid": call_sid,
        "direction": "inbound",
        "from": "13900002222",
        "to": "12393",
        "callId": "c0ffee@10.0.0.1",
        "sipStatus": 200,
        "callStatus": "in-progress",
        "accountSid": "a1",
        "applicationSid": "b2",
        "sampleRate": 8000,
        "mixType": "mono",
    }


@pytest.mark.timeout(120)
def test_jambonz_call_plays_marks_and_transfers_through_the_action_hook(
    client: TestClient, settings: Settings
) -> None:
    with client.websocket_connect(
        "/api/voice/jambonz", subprotocols=["audio.jambonz.org"], headers=basic(SECRET)
    ) as ws:
        assert ws.accepted_subprotocol == "audio.jambonz.org"
        ws.send_text(json.dumps(_jambonz_metadata("jz-5f3e")))
        play = read(ws)
        assert play is not None and play["type"] == "playAudio"
        data = play["data"]
        assert data["audioContentType"] == "raw" and data["sampleRate"] == 8000 and data["queuePlay"] is True
        assert data["id"].startswith("welcome") and pcm_of(data["audioContent"]).std() > 300
        ws.send_text(json.dumps({"type": "playDone", "data": {"id": data["id"]}}))  # welcome played
        ws.send_text(json.dumps({"event": "dtmf", "dtmf": "0", "duration": 1600}))  # passDtmf
        play = read(ws)
        assert play is not None and play["type"] == "playAudio" and play["data"]["id"].startswith("transfer")
        ws.send_text(json.dumps({"type": "playDone", "data": {"id": play["data"]["id"]}}))
        assert read(ws) == {"type": "disconnect"}  # ends listen; jambonz calls the actionHook
        assert read(ws) is None
    hook = {"call_sid": "jz-5f3e", "call_status": "in-progress", "from": "13900002222"}
    assert client.post("/api/voice/jambonz/after", json=hook).status_code == 403  # unauthenticated
    reply = client.post("/api/voice/jambonz/after", json=hook, headers=basic(SECRET))
    assert reply.json() == [{"verb": "dial", "target": [{"type": "phone", "number": AGENTS}]}]
    ended = client.post(
        "/api/voice/jambonz/after", json={**hook, "call_status": "completed"}, headers=basic(SECRET)
    )
    assert ended.json() == [{"verb": "hangup"}]  # a caller who hung up never rings the agents
    stored = kept_record(client, settings, "jz-5f3e")
    assert stored["caller"] == "13900002222" and stored["reason"] == "caller_pressed_0"


@pytest.mark.timeout(120)
def test_jambonz_barge_in_kills_audio_and_a_stereo_fork_is_refused(
    client: TestClient, line_speech: bytes
) -> None:
    with client.websocket_connect(
        "/api/voice/jambonz", subprotocols=["audio.jambonz.org"], headers=basic(SECRET)
    ) as ws:
        ws.send_text(json.dumps(_jambonz_metadata("jz-barge")))
        assert (read(ws) or {}).get("type") == "playAudio"
        stream_l16(ws, line_speech)  # no playDone yet: the caller talks over the welcome
        while (item := read(ws)) is not None and item["type"] != "killAudio":
            pass
        assert item == {"type": "killAudio"}
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect(
            "/api/voice/jambonz", subprotocols=["audio.jambonz.org"], headers=basic(SECRET)
        ) as ws:
            ws.send_text(json.dumps({**_jambonz_metadata("jz-stereo"), "mixType": "stereo"}))
            ws.receive_json()  # a stereo fork is refused: closed, no call

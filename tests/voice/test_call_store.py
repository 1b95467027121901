"""api/services/calls.py through the phone line: calls go into the chat's conversation store as they
happen, and are scored by quality inspection when they end.

The dialogue is the real chat service; only Rasa (another process, the edge of the world) is a small
HTTP server here that answers its REST webhook as Rasa does.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.main
from api.routes.voice import router as voice_router
from api.services import calls
from api.services.conversations import handoff, store
from api.services.registry import get_session_factory
from api.settings import Settings
from tests.voice.conftest import phone_settings, silence
from tests.voice.test_api_voice import Line, _qa_result
from tests.voice.test_ivr import ANSWER, Dialogue, Phone, make_call
from voice.recognizer import Recognizer
from voice.tts import EspeakPinyinTTS

CALLER = "13800001234"


class _Rasa(BaseHTTPRequestHandler):
    """Rasa's REST channel: a text message and its custom part, as the dialogue's answer action sends."""

    asked: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).asked.append(body)
        reply = [
            {"recipient_id": body["sender"], "text": ANSWER},
            {"recipient_id": body["sender"], "custom": {"kind": "answer", "sources": []}},
        ]
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def rasa() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Rasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Rasa.asked = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def settings(tmp_path: Path, model_path: str, rasa: str) -> Settings:
    return phone_settings(
        tmp_path,
        model_path,
        rasa_url=rasa,
        rasa_timeout_s=10.0,
    )


@pytest.fixture()
def client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(api.main, "ROUTERS", (voice_router,))
    with TestClient(api.main.create_app(settings)) as test_client:
        yield test_client


@pytest.mark.timeout(180)
def test_call_is_stored_turn_by_turn_and_inspected_at_the_end(
    client: TestClient, settings: Settings, line_speech: bytes
) -> None:
    with client.websocket_connect("/api/voice/stream") as ws:
        line = Line(ws)
        line.send(
            {
                "event": "start",
                "streamSid": "MZ9",
                "start": {
                    "streamSid": "MZ9",
                    "callSid": "CA-store-1",
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    "customParameters": {"from": CALLER},
                },
            }
        )
        line.until_marks(1)
        # Live: the agent workspace already sees the call, the caller's number masked.
        live = store.transcript("CA-store-1", settings=settings)
        assert live.channel == "phone"
        assert [(x.speaker, x.kind) for x in live.turns] == [("system", "event"), ("bot", None)]
        assert "138****1234" in live.turns[0].text

        line.speak(line_speech + silence(1.0))
        line.until_marks(2)  # the answer, then 还有其他问题吗
        live = store.transcript("CA-store-1", settings=settings)
        assert [(x.speaker, x.kind) for x in live.turns][2:] == [
            ("caller", None),
            ("bot", "answer"),
            ("bot", None),
        ]
        assert live.turns[3].text == ANSWER  # the chat service stored the answer as written, once
        assert _Rasa.asked and _Rasa.asked[0]["sender"] == "CA-store-1"
        assert _Rasa.asked[0]["metadata"]["channel"] == "phone"

        line.send({"event": "dtmf", "streamSid": "MZ9", "dtmf": {"digit": "0"}})
        line.until_marks(1)  # 正在为您转接人工客服
        end = ws.receive_json()
        while end["event"] == "transcript":
            end = ws.receive_json()
        assert end["event"] == "transfer"

    assert client.app.state.voice_call_end.drain(timeout=120)
    stored = store.transcript("CA-store-1", settings=settings)
    assert stored.status == "handoff"  # waiting in the agents' queue
    kinds = [(x.speaker, x.kind) for x in stored.turns]
    assert kinds[5:] == [("caller", "dtmf"), ("bot", None), ("system", "event"), ("system", "event")]
    assert stored.turns[5].text == "按键 0"

    with get_session_factory(settings)() as session:
        queued = handoff.queue(session)
        conv = handoff.get_conversation(session, session_id="CA-store-1")
        assert conv is not None
        closing = conv.turns[-1].data or {}
        raw = json.dumps([[x.text, x.data] for x in conv.turns], ensure_ascii=False)
    assert [(q.session_id, q.channel, q.reason) for q in queued] == [
        ("CA-store-1", "phone", "caller_pressed_0")
    ]
    assert queued[0].slots == {"caller": "138****1234"}
    assert CALLER not in raw  # stored turns only ever hold the masked number
    assert closing["outcome"] == "transfer" and closing["recording"] == "calls/CA-store-1.wav"
    assert (settings.data_dir / "calls" / "CA-store-1.wav").stat().st_size > 8000 * 2 * 2

    # The inspection result is stored, linked by the session id, and scored on both timed sides.
    result = _qa_result(settings, "CA-store-1")
    assert closing["qa_result_id"] == result.id and result.channel == "phone"
    turns = (result.transcript or {})["turns"]
    assert {x["speaker"] for x in turns} == {"caller", "bot"}
    assert all(x["end"] >= x["start"] for x in turns)
    assert turns[0]["start"] == 0.0 and turns[1]["speaker"] == "caller" and turns[1]["end"] > 1.0


def test_storage_failures_never_reach_the_line(
    recognizer: Recognizer, tts: EspeakPinyinTTS, line_speech: bytes, tmp_path: Path
) -> None:
    def broken(entry: dict[str, Any]) -> None:
        raise OSError("disk full")

    call = make_call(recognizer, tts, Dialogue())
    call.on_entry = broken
    phone = Phone(call)
    phone.start()
    phone.send(line_speech + silence(1.0))
    phone.press("0")
    assert phone.prompts() == ["welcome", "reply", "anything_else", "transfer"]
    record = call.hangup()

    # A database that cannot be opened: the files are still kept, and nothing is raised.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = Settings(data_dir=tmp_path, database_url=f"postgresql://nobody@127.0.0.1:{port}/none")
    done = calls.finish_call(unreachable, record)
    assert "qa_result_id" not in done and done["recording"] == "CA-test-1.wav"
    kept = json.loads((tmp_path / "calls" / "CA-test-1.json").read_text(encoding="utf-8"))
    assert kept["outcome"] == "transfer" and kept["transcript"]

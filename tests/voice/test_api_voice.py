"""api/routes/voice.py: POST /api/stt and a whole phone call through the WebSocket, greeting to work order."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

import api.main
from api.routes.voice import router as voice_router
from api.schemas import QaResultPublic
from api.services.conversations import store
from api.services.phone import voice_lines
from api.settings import Settings
from tests.faults.procs import wait_for
from tests.voice.conftest import phone_settings, silence
from tests.voice.test_ivr import ANSWER, SPOKEN_ANSWER, Dialogue
from voice.audio import encode_wav, pcm16_to_ulaw


@pytest.fixture()
def settings(tmp_path: Path, model_path: str) -> Settings:
    return phone_settings(
        tmp_path,
        model_path,
        stt_max_upload_mb=1,
        stt_max_seconds=30,
    )


@pytest.fixture()
def client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # Only the voice router: these tests must not depend on the other resources' routers.
    monkeypatch.setattr(api.main, "ROUTERS", (voice_router,))
    app = api.main.create_app(settings)
    with TestClient(app) as test_client:
        yield test_client


def _upload(client: TestClient, data: bytes, name: str = "call.wav", **form: str) -> Any:
    return client.post("/api/stt", files={"file": (name, data, "application/octet-stream")}, data=form)


def test_stt_returns_text_and_word_timings(client: TestClient, sentence_wav: Path) -> None:
    response = _upload(client, sentence_wav.read_bytes())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] and body["raw_text"] and body["sample_rate"] == 16000
    assert body["duration"] == pytest.approx(1.6, abs=0.3)
    assert body["words"] and all(w["start"] < w["end"] <= body["duration"] + 0.1 for w in body["words"])


def test_stt_repairs_a_misheard_county_the_knowledge_base_knows(
    client: TestClient, sentence_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/api/stt gives the same repaired text as the phone line: the knowledge base's counties by sound.

    The recogniser is replaced by one that hears what Whisper heard on the line (VQ023 of the
    project's phone set), so the test is about the route's repair, not about recognition."""
    from voice.recognizer import Transcript

    class Heard:
        sample_rate = 16000

        def transcribe(self, pcm: Any) -> Transcript:
            return Transcript("裂扬线的门诊慢特病在手机上怎么申请", (), 0.0, 1.6, "file")

    monkeypatch.setattr("api.routes.voice.get_recognizer", lambda settings: Heard())
    body = _upload(client, sentence_wav.read_bytes()).json()
    assert body["raw_text"].startswith("裂扬线")
    assert body["text"].startswith("略阳县的门诊")


def test_stt_accepts_raw_telephone_audio(client: TestClient, line_speech: bytes) -> None:
    response = _upload(client, pcm16_to_ulaw(line_speech), "call.ulaw", encoding="mulaw", rate="8000")
    assert response.status_code == 200, response.text
    assert response.json()["words"]


@pytest.mark.parametrize(
    ("data", "form", "status", "fragment"),
    [
        (b"", {}, 400, "没有收到声音内容"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", {}, 400, "文件头不完整"),
        (
            np.random.default_rng(3).integers(0, 256, 40_000, dtype=np.uint8).tobytes(),
            {},
            400,
            "不是支持的音频格式",
        ),
        (bytes(16000), {"encoding": "mulaw", "rate": "16000"}, 400, "采样率不正确"),
        (bytes(16000), {"encoding": "mulaw", "rate": "fast"}, 400, "采样率参数不是数字"),
    ],
    ids=["empty", "truncated-header", "random-bytes", "wrong-rate", "rate-not-a-number"],
)
def test_stt_bad_audio_gets_a_clear_chinese_error(
    client: TestClient, data: bytes, form: dict[str, str], status: int, fragment: str
) -> None:
    response = _upload(client, data, **form)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == "bad_audio" and fragment in body["message"]


def test_stt_two_hours_is_refused_from_the_header(client: TestClient) -> None:
    declared = 8000 * 2 * 7200  # two hours of 8 kHz 16-bit audio; only one second is sent
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + declared,
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        8000,
        16000,
        2,
        16,
        b"data",
        declared,
    )
    response = _upload(client, header + bytes(16000))
    assert response.status_code == 413
    assert response.json()["error"] == "audio_too_long" and "30" in response.json()["message"]


def test_stt_size_limit(client: TestClient) -> None:
    response = _upload(client, encode_wav(bytes(1_200_000), 16000))
    assert response.status_code == 413
    assert response.json()["error"] == "audio_too_large"


def test_stt_without_a_file(client: TestClient) -> None:
    response = client.post("/api/stt", data={"rate": "8000"})
    assert response.status_code == 400 and "file" in response.json()["message"]


def test_stt_missing_model_is_503_naming_the_setting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(api.main, "ROUTERS", (voice_router,))
    broken = settings.model_copy(update={"vosk_model": str(tmp_path / "no-model")})
    with TestClient(api.main.create_app(broken)) as test_client:
        response = _upload(test_client, encode_wav(bytes(3200), 16000))
    assert response.status_code == 503
    assert "HOTLINE_VOSK_MODEL" in response.json()["detail"]


# --- A whole call -------------------------------------------------------------------------------


class Line:
    """The phone side of the WebSocket: sends 20 ms mu-law frames, plays prompts, echoes marks."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.lines: list[dict[str, Any]] = []
        self.events: list[str] = []

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send_text(json.dumps(message))

    def speak(self, pcm: bytes) -> None:
        for i in range(0, len(pcm), 320):
            payload = base64.b64encode(pcm16_to_ulaw(pcm[i : i + 320])).decode()
            self.send(
                {"event": "media", "streamSid": "MZ9", "media": {"track": "inbound", "payload": payload}}
            )

    def until_marks(self, count: int = 1) -> list[str]:
        """Read until ``count`` prompts are fully queued; report them as played (instant playback)."""
        marks: list[str] = []
        while len(marks) < count:
            message = self.ws.receive_json()
            self.events.append(message["event"])
            if message["event"] == "transcript":
                self.lines.append(message["transcript"])
            elif message["event"] == "mark":
                marks.append(message["mark"]["name"])
            elif message["event"] in ("transfer", "hangup"):
                raise AssertionError(f"call ended early: {message}")
        for mark in marks:
            self.send({"event": "mark", "streamSid": "MZ9", "mark": {"name": mark}})
        return marks

    def bot_said(self) -> list[str]:
        return [e["text"] for e in self.lines if e["speaker"] == "bot"]


@pytest.mark.timeout(180)
def test_whole_call_from_greeting_to_work_order(
    client: TestClient, settings: Settings, line_speech: bytes
) -> None:
    dialogue = Dialogue()
    client.app.state.voice_respond = dialogue  # the dialogue server is the edge of the world here
    with client.websocket_connect("/api/voice/stream") as ws:
        line = Line(ws)
        line.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        line.send(
            {
                "event": "start",
                "streamSid": "MZ9",
                "start": {
                    "streamSid": "MZ9",
                    "callSid": "CA-whole-call",
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    "customParameters": {"from": "13800001234"},
                },
            }
        )
        assert line.until_marks(1)[0].startswith("welcome")
        line.speak(line_speech + silence(1.0))  # the caller asks a question
        assert [m.split("-")[0] for m in line.until_marks(2)] == ["reply", "anything_else"]
        assert SPOKEN_ANSWER in line.bot_said() and dialogue.asked[0][0] == "CA-whole-call"
        line.send({"event": "dtmf", "streamSid": "MZ9", "dtmf": {"track": "inbound_track", "digit": "9"}})
        assert line.until_marks(1)[0].startswith("callback_ask")
        line.speak(line_speech + silence(1.0))  # the caller describes the problem
        assert [m.split("-")[0] for m in line.until_marks(2)] == ["callback_done", "anything_else"]
        line.speak(silence(1.3))  # nothing else: goodbye
        assert line.until_marks(1)[0].startswith("goodbye")
        end = ws.receive_json()
        while end["event"] == "transcript":
            end = ws.receive_json()
        assert end == {"event": "hangup", "streamSid": "MZ9", "hangup": {"reason": "no_more_questions"}}
    number = next(e["text"].split()[-1] for e in line.lines if e["text"].startswith("callback_ticket"))
    assert any(number in text for text in line.bot_said())
    assert "clear" not in line.events  # nobody talked over a prompt in this call

    # The work order exists in the database with the caller's number and the call transcript.
    from api.services.registry import get_session_factory
    from api.services.tickets import get_ticket

    with get_session_factory(settings)() as session:
        ticket = get_ticket(session, number=number)
    assert ticket.channel == "phone" and ticket.topic == "回电请求"
    assert ticket.description and ticket.conversation_id == "CA-whole-call"
    assert any(turn.text == SPOKEN_ANSWER for turn in ticket.transcript or [])

    # The end of the call is processed off the line; wait for it, then everything is kept.
    assert client.app.state.voice_call_end.drain(timeout=120)
    conversation = store.transcript("CA-whole-call", settings=settings)
    assert conversation.channel == "phone" and conversation.ticket_id == number
    said = [(turn.speaker, turn.text) for turn in conversation.turns]
    assert ("bot", SPOKEN_ANSWER) in said and ("caller", "按键 9") in said
    assert sum(1 for speaker, _ in said if speaker == "caller") >= 3  # question, key, description
    assert conversation.turns[-1].speaker == "system" and "已登记回电" in conversation.turns[-1].text

    # Recording and transcript are kept for quality inspection.
    stored = json.loads((settings.data_dir / "calls" / "CA-whole-call.json").read_text(encoding="utf-8"))
    assert stored["outcome"] == "callback" and stored["ticket_ids"] == [number]
    assert stored["recording"] == "CA-whole-call.wav"
    assert (settings.data_dir / "calls" / "CA-whole-call.wav").stat().st_size > 8000 * 2 * 2 * 4
    assert ANSWER not in json.dumps(stored, ensure_ascii=False)  # the spoken form is what was said
    assert stored["qa_result_id"] == _qa_result(settings, "CA-whole-call").id
    with get_session_factory(settings)() as session:  # the recording joined the work order at hang-up
        assert get_ticket(session, number=number).recordings == ["calls/CA-whole-call.wav"]


def _qa_result(settings: Settings, call_id: str) -> QaResultPublic:
    """The one stored inspection result of a call, with its transcript."""
    from api.services.inspection import get_result, list_results
    from api.services.registry import get_session_factory

    with get_session_factory(settings)() as session:
        found = list_results(session, transcript_id=f"phone:{call_id}", masked=False)
        assert found.total == 1, found
        return get_result(session, result_id=found.items[0].id, masked=False)


def _start(line: Line, call_sid: str) -> None:
    line.send(
        {
            "event": "start",
            "streamSid": "MZ9",
            "start": {
                "streamSid": "MZ9",
                "callSid": call_sid,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        }
    )


def _until_end(line: Line) -> dict[str, Any]:
    """Read to the end of the call, reporting each prompt as played (the IVR ends after playback)."""
    while True:
        message = line.ws.receive_json()
        line.events.append(message["event"])
        if message["event"] == "transcript":
            line.lines.append(message["transcript"])
        elif message["event"] == "mark":
            line.send({"event": "mark", "streamSid": "MZ9", "mark": message["mark"]})
        elif message["event"] in ("transfer", "hangup"):
            return message


@pytest.mark.timeout(120)
def test_call_beyond_the_voice_lines_is_told_and_transferred(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.main, "ROUTERS", (voice_router,))
    app = api.main.create_app(settings.model_copy(update={"voice_max_calls": 1}))
    with TestClient(app) as client:
        client.app.state.voice_respond = Dialogue()
        with client.websocket_connect("/api/voice/stream") as first:
            held = Line(first)
            _start(held, "CA-line-1")
            assert held.until_marks(1)[0].startswith("welcome")  # the one line is taken
            with client.websocket_connect("/api/voice/stream") as second:
                busy = Line(second)
                _start(busy, "CA-line-2")
                end = _until_end(busy)
                assert end["transfer"] == {"reason": "lines_busy"}
                assert "media" in busy.events  # the caller hears why before the transfer
                assert any("线路已满" in text for text in busy.bot_said())
        # The first call hung up: once the server has seen it go, its line is free for the next caller.
        lines = voice_lines(client.app, settings)
        wait_for(lambda: lines.in_use == 0, "the hung-up call's line to be freed", timeout=30)
        with client.websocket_connect("/api/voice/stream") as third:
            again = Line(third)
            _start(again, "CA-line-3")
            assert again.until_marks(1)[0].startswith("welcome")

"""voice.stream: the Twilio Media Streams protocol around a real IVR call."""

from __future__ import annotations

import base64
import json

import pytest

from tests.voice.conftest import silence
from tests.voice.test_ivr import FAST, Dialogue
from voice.audio import alaw_to_pcm16, pcm16_to_alaw, pcm16_to_ulaw, ulaw_to_pcm16
from voice.ivr import CallRecord, IvrCall
from voice.recognizer import Recognizer
from voice.stream import MediaStreamHandler, StreamStart, parse_start
from voice.tts import EspeakPinyinTTS


def start_event(encoding: str = "audio/x-mulaw", rate: int = 8000) -> dict[str, object]:
    return {
        "event": "start",
        "sequenceNumber": "1",
        "streamSid": "MZ1",
        "start": {
            "streamSid": "MZ1",
            "callSid": "CA1",
            "accountSid": "AC1",
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": encoding, "sampleRate": rate, "channels": 1},
            "customParameters": {"from": "13900001111"},
        },
    }


def media(pcm: bytes, encoder=pcm16_to_ulaw) -> list[str]:  # type: ignore[no-untyped-def]
    frames = []
    for i in range(0, len(pcm), 320):
        payload = base64.b64encode(encoder(pcm[i : i + 320])).decode()
        frames.append(
            json.dumps(
                {"event": "media", "streamSid": "MZ1", "media": {"track": "inbound", "payload": payload}}
            )
        )
    return frames


@pytest.fixture()
def handler(recognizer: Recognizer, tts: EspeakPinyinTTS) -> tuple[MediaStreamHandler, list[CallRecord]]:
    records: list[CallRecord] = []

    def factory(start: StreamStart) -> IvrCall:
        return IvrCall(
            call_id=start.call_sid,
            recognizer=recognizer,
            tts=tts,
            respond=Dialogue(),
            caller=start.caller,
            config=FAST,
        )

    return MediaStreamHandler(factory, on_finished=records.append), records


def test_start_plays_the_welcome_as_mulaw_frames(
    handler: tuple[MediaStreamHandler, list[CallRecord]],
) -> None:
    h, _ = handler
    assert h.handle_text(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})) == []
    out = h.handle_text(json.dumps(start_event()))
    kinds = [m["event"] for m in out]
    assert {"transcript", "media", "mark"} <= set(kinds)
    assert all(m["streamSid"] == "MZ1" for m in out)
    audio = b"".join(base64.b64decode(m["media"]["payload"]) for m in out if m["event"] == "media")
    pcm = ulaw_to_pcm16(audio)
    assert len(audio) > 8000 and abs(pcm).max() > 1000  # seconds of audible 8 kHz speech
    mark = next(m for m in out if m["event"] == "mark")["mark"]["name"]
    assert kinds.index("mark") > max(i for i, k in enumerate(kinds) if k == "media")  # mark after the audio
    assert h.call is not None and h.call.record.caller == "13900001111"
    assert h.handle_text(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": {"name": mark}})) == []


def test_key_0_ends_in_a_transfer_event_and_the_record(
    handler: tuple[MediaStreamHandler, list[CallRecord]],
) -> None:
    h, records = handler
    h.handle_text(json.dumps(start_event()))
    out = h.handle_text(
        json.dumps({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"track": "inbound_track", "digit": "0"}})
    )
    mark = next(m for m in out if m["event"] == "mark")["mark"]["name"]
    assert mark.startswith("transfer")
    out = h.handle_text(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": {"name": mark}}))
    assert [m["event"] for m in out if m["event"] != "transcript"] == ["transfer"]
    assert out[-1]["transfer"]["reason"] == "caller_pressed_0"
    assert h.finished and len(records) == 1 and records[0].outcome == "transfer"
    assert h.handle_text(json.dumps({"event": "stop"})) == []  # nothing after the end
    assert len(records) == 1


def test_caller_speech_during_a_prompt_sends_clear(
    handler: tuple[MediaStreamHandler, list[CallRecord]], line_speech: bytes
) -> None:
    h, _ = handler
    h.handle_text(json.dumps(start_event()))  # the welcome mark is never echoed: it is still playing
    events: list[str] = []
    for frame in media(silence(0.3) + line_speech + silence(0.8)):
        events += [m["event"] for m in h.handle_text(frame)]
    assert "clear" in events
    assert events.index("clear") < events.index("media")  # stop first, then the answer


def test_stop_closes_the_call(handler: tuple[MediaStreamHandler, list[CallRecord]]) -> None:
    h, records = handler
    h.handle_text(json.dumps(start_event()))
    for frame in media(silence(0.2)):
        h.handle_text(frame)
    h.handle_text(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {"callSid": "CA1"}}))
    assert h.finished and records[0].outcome == "hangup"
    assert records[0].transcript[-1]["text"] == "caller_hung_up"


def test_alaw_lines_get_alaw_back(handler: tuple[MediaStreamHandler, list[CallRecord]]) -> None:
    h, _ = handler
    out = h.handle_text(json.dumps(start_event("audio/x-alaw")))
    audio = b"".join(base64.b64decode(m["media"]["payload"]) for m in out if m["event"] == "media")
    assert abs(alaw_to_pcm16(audio)).max() > 1000
    assert h.handle_text(media(silence(0.1), pcm16_to_alaw)[0]) == []


def test_garbage_is_skipped_never_fatal(handler: tuple[MediaStreamHandler, list[CallRecord]]) -> None:
    h, _ = handler
    assert h.handle_text("{not json") == []
    assert h.handle_text("[1, 2]") == []
    assert h.handle_text(media(silence(0.1))[0]) == []  # media before start
    h.handle_text(json.dumps(start_event()))
    assert h.handle_text(json.dumps({"event": "media", "media": {"payload": "%%%not base64"}})) == []
    assert h.handle_text(json.dumps({"event": "dtmf", "dtmf": {"digit": "12"}})) == []
    assert h.handle_text(json.dumps({"event": "whatever"})) == []
    assert not h.finished


def test_unsupported_media_format_hangs_up(handler: tuple[MediaStreamHandler, list[CallRecord]]) -> None:
    h, _ = handler
    out = h.handle_text(json.dumps(start_event("audio/opus", 48000)))
    assert out == [{"event": "hangup", "streamSid": "", "hangup": {"reason": "unsupported_media"}}]
    assert h.finished


def test_parse_start_reads_the_format() -> None:
    start = parse_start(start_event("audio/l16", 16000))
    assert (start.encoding, start.sample_rate, start.call_sid, start.caller) == (
        "pcm16",
        16000,
        "CA1",
        "13900001111",
    )
    with pytest.raises(ValueError, match="sample rate"):
        parse_start(start_event("audio/x-mulaw", 16000))
    with pytest.raises(ValueError, match="start"):
        parse_start({"event": "start"})


def test_extension_events_can_be_turned_off(recognizer: Recognizer, tts: EspeakPinyinTTS) -> None:
    h = MediaStreamHandler(
        lambda s: IvrCall(
            call_id=s.call_sid, recognizer=recognizer, tts=tts, respond=Dialogue(), config=FAST
        ),
        extensions=False,
    )
    out = h.handle_text(json.dumps(start_event()))
    assert {m["event"] for m in out} == {"media", "mark"}

"""voice.ivr: whole calls with the real recogniser and TTS; only the dialogue server and the work-order
desk (the edge of the world) are stand-ins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from tests.voice.conftest import silence
from voice.audio import read_wav_header
from voice.dtmf import dtmf_tone
from voice.ivr import (
    CallbackRequest,
    Hangup,
    IvrCall,
    IvrConfig,
    Play,
    Reply,
    State,
    StopPlayback,
    TranscriptLine,
    Transfer,
    load_prompts,
)
from voice.recognizer import Recognizer
from voice.tts import EspeakPinyinTTS

ANSWER = "异地就医备案可以在国家医保服务平台APP办理（全国通用），详见 https://fuwu.nhsa.gov.cn 。"
SPOKEN_ANSWER = "异地就医备案可以在国家医保服务平台APP办理。"
FAST = IvrConfig(no_input_s=1.0, endpoint_silence_s=0.6)


@dataclass
class Dialogue:
    """Stands in for the chat service: records what it was asked, answers from a script."""

    replies: list[Reply] = field(default_factory=lambda: [Reply([ANSWER], "answer")])
    asked: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, session_id: str, text: str) -> Reply:
        self.asked.append((session_id, text))
        return self.replies[min(len(self.asked), len(self.replies)) - 1]


@dataclass
class Desk:
    """Stands in for the work-order service."""

    requests: list[CallbackRequest] = field(default_factory=list)

    def __call__(self, request: CallbackRequest) -> str:
        self.requests.append(request)
        return f"GD2026112300{len(self.requests)}"


class Phone:
    """Plays the caller's side: sends 20 ms frames, plays prompts and reports marks.

    ``instant`` phones finish each prompt at once (keeps flow tests short); otherwise a prompt takes its
    real length on the call clock, so the caller can talk over it.
    """

    def __init__(self, call: IvrCall, *, instant: bool = True) -> None:
        self.call = call
        self.instant = instant
        self.actions: list[object] = []
        self.queue: list[tuple[str, float]] = []  # (mark, end time on the call clock)

    def take(self, actions: Sequence[object]) -> None:
        for action in actions:
            self.actions.append(action)
            if isinstance(action, Play):
                start = max([self.call.time] + [end for _, end in self.queue])
                self.queue.append((action.mark, start + action.duration))
            elif isinstance(action, StopPlayback):
                self.queue.clear()
        if self.instant:
            while self.queue:
                mark, _ = self.queue.pop(0)
                self.take(self.call.on_mark(mark))

    def start(self) -> None:
        self.take(self.call.start())

    def send(self, pcm: bytes) -> None:
        for i in range(0, len(pcm), 320):
            self.take(self.call.on_audio(pcm[i : i + 320]))
            while self.queue and self.queue[0][1] <= self.call.time:
                mark, _ = self.queue.pop(0)
                self.take(self.call.on_mark(mark))

    def press(self, digit: str) -> None:
        self.take(self.call.on_dtmf(digit))

    def plays(self) -> list[Play]:
        return [a for a in self.actions if isinstance(a, Play)]

    def prompts(self) -> list[str]:
        return [p.prompt for p in self.plays()]

    def ended(self) -> Transfer | Hangup | None:
        finals = [a for a in self.actions if isinstance(a, Transfer | Hangup)]
        assert len(finals) <= 1
        return finals[0] if finals else None


def make_call(
    recognizer: Recognizer,
    tts: EspeakPinyinTTS,
    respond: Dialogue,
    desk: Desk | None = None,
    config: IvrConfig = FAST,
) -> IvrCall:
    return IvrCall(
        call_id="CA-test-1",
        recognizer=recognizer,
        tts=tts,
        respond=respond,
        create_callback=desk,
        caller="13800001234",
        config=config,
    )


def test_question_answer_repeat_goodbye(
    recognizer: Recognizer, tts: EspeakPinyinTTS, line_speech: bytes
) -> None:
    dialogue = Dialogue()
    phone = Phone(make_call(recognizer, tts, dialogue))
    phone.start()
    assert phone.prompts() == ["welcome"] and phone.call.state is State.LISTEN
    phone.send(line_speech + silence(1.0))
    assert len(dialogue.asked) == 1
    session_id, text = dialogue.asked[0]
    assert session_id == "CA-test-1" and text and "[" not in text  # recogniser tags removed
    assert phone.prompts()[1:] == ["reply", "anything_else"]
    reply = phone.plays()[1]
    assert reply.text == SPOKEN_ANSWER  # no URL, no aside in brackets
    assert reply.duration > 1.0 and len(reply.audio) == int(reply.duration * 8000) * 2
    phone.press("1")
    assert phone.prompts()[3:] == ["repeat", "anything_else"] and phone.plays()[3].text == SPOKEN_ANSWER
    phone.send(silence(1.2))  # nothing more to ask
    assert phone.prompts()[-1] == "goodbye"
    assert isinstance(phone.ended(), Hangup) and phone.call.state is State.ENDED
    record = phone.call.hangup()
    assert record.outcome == "goodbye" and record.turns == 1
    speakers = [(e["speaker"], e["kind"]) for e in record.transcript]
    assert (
        ("caller", "speech") in speakers and ("caller", "dtmf") in speakers and ("bot", "answer") in speakers
    )
    caller_times = [e["t"] for e in record.transcript if e["speaker"] == "caller"]
    assert caller_times == sorted(caller_times)
    caller_line = next(e for e in record.transcript if e["kind"] == "speech")
    answer_line = next(e for e in record.transcript if e["kind"] == "answer")
    assert answer_line["t"] > caller_line["t"] and answer_line["text"] == SPOKEN_ANSWER
    assert caller_line["words"] and caller_line["t"] < 0.6
    # The recording has the caller on the left and the bot on the right, both audible.
    info = read_wav_header(record.recording_wav or b"")
    assert (info.channels, info.rate) == (2, 8000)
    stereo = np.frombuffer(record.recording_wav[info.data_offset :], "<i2").reshape(-1, 2).astype(np.float64)
    assert np.abs(stereo[:, 0]).max() > 1000 and np.abs(stereo[:, 1]).max() > 1000


def test_key_0_transfers_to_a_human(recognizer: Recognizer, tts: EspeakPinyinTTS) -> None:
    phone = Phone(make_call(recognizer, tts, Dialogue()))
    phone.start()
    phone.press("0")
    assert phone.prompts()[-1] == "transfer"
    assert phone.ended() == Transfer("caller_pressed_0")
    assert phone.call.hangup().outcome == "transfer"


def test_key_9_files_a_callback_with_the_description(
    recognizer: Recognizer, tts: EspeakPinyinTTS, line_speech: bytes
) -> None:
    desk = Desk()
    phone = Phone(make_call(recognizer, tts, Dialogue(), desk))
    phone.start()
    phone.press("9")
    assert phone.prompts()[-1] == "callback_ask" and phone.call.state is State.CALLBACK
    phone.send(line_speech + silence(1.0))
    assert len(desk.requests) == 1
    request = desk.requests[0]
    assert request.caller == "13800001234" and request.call_id == "CA-test-1"
    assert request.description  # what the caller said, recognised
    assert any(e["kind"] == "dtmf" and e["text"] == "9" for e in request.transcript)
    done = next(p for p in phone.plays() if p.prompt == "callback_done")
    assert "GD20261123001" in done.text and "24小时" in done.text
    phone.send(silence(1.2))
    record = phone.call.hangup()
    assert record.outcome == "callback" and record.ticket_ids == ["GD20261123001"]


def test_silent_call_key_9_without_words_still_files(recognizer: Recognizer, tts: EspeakPinyinTTS) -> None:
    desk = Desk()
    phone = Phone(make_call(recognizer, tts, Dialogue(), desk))
    phone.start()
    phone.press("9")
    phone.send(silence(1.3))
    assert len(desk.requests) == 1 and desk.requests[0].description == ""


def test_two_misrecognitions_in_a_row_transfer_to_a_human(
    recognizer: Recognizer, tts: EspeakPinyinTTS
) -> None:
    phone = Phone(make_call(recognizer, tts, Dialogue()))
    phone.start()
    phone.send(silence(1.2))
    assert phone.prompts()[-1] == "not_heard" and phone.ended() is None
    phone.send(silence(1.2))
    assert phone.prompts()[-1] == "transfer_after_failures"
    assert phone.ended() == Transfer("misrecognised")


def test_not_understood_replies_count_as_misrecognitions(
    recognizer: Recognizer, tts: EspeakPinyinTTS, line_speech: bytes
) -> None:
    dialogue = Dialogue([Reply(["没听懂。"], "nlu_fallback")])
    phone = Phone(make_call(recognizer, tts, dialogue))
    phone.start()
    phone.send(line_speech + silence(0.8))
    assert phone.prompts()[-2:] == ["reply", "after_abstain"]  # no 还有其他问题吗 after a miss
    phone.send(silence(1.2))
    assert phone.prompts()[-1] == "transfer_after_failures"
    assert phone.ended() == Transfer("misrecognised")


def test_barge_in_stops_the_prompt_and_is_recognised(
    recognizer: Recognizer, tts: EspeakPinyinTTS, line_speech: bytes
) -> None:
    dialogue = Dialogue()
    phone = Phone(make_call(recognizer, tts, dialogue), instant=False)
    phone.start()
    welcome = phone.plays()[0]
    assert welcome.duration > 3.0
    phone.send(silence(0.5) + line_speech + silence(1.0))
    stops = [i for i, a in enumerate(phone.actions) if isinstance(a, StopPlayback)]
    assert stops, "caller speech during the welcome must stop it"
    barge = next(e for e in phone.call.record.transcript if e["text"] == "barge_in")
    assert barge["t"] < welcome.duration
    assert len(dialogue.asked) == 1  # and what was said was recognised and answered
    replies = [i for i, a in enumerate(phone.actions) if isinstance(a, Play) and a.prompt == "reply"]
    assert replies and replies[0] > stops[0]
    # What the caller did not hear is not in the recording either.
    record = phone.call.hangup()
    wav = record.recording_wav or b""
    info = read_wav_header(wav)
    bot = np.frombuffer(wav[info.data_offset :], "<i2").reshape(-1, 2)[:, 1]
    start, end = int((barge["t"] + 0.1) * 8000), int(welcome.duration * 8000)
    reply_start = next(e["t"] for e in record.transcript if e["kind"] == "answer")
    end = min(end, int(reply_start * 8000))
    assert end > start and np.abs(bot[start:end]).max() == 0


def test_dialogue_failure_transfers(recognizer: Recognizer, tts: EspeakPinyinTTS, line_speech: bytes) -> None:
    def broken(session_id: str, text: str) -> Reply:
        raise TimeoutError("rasa did not answer")

    phone = Phone(make_call(recognizer, tts, broken))  # type: ignore[arg-type]
    phone.start()
    phone.send(line_speech + silence(0.8))
    assert phone.prompts()[-1] == "transfer_on_error"
    assert phone.ended() == Transfer("dialogue_error")


def test_handoff_reply_is_spoken_then_transferred(
    recognizer: Recognizer, tts: EspeakPinyinTTS, line_speech: bytes
) -> None:
    dialogue = Dialogue([Reply(["好的，马上为您转接。"], "answer", handoff=True, ticket_id="GD1")])
    phone = Phone(make_call(recognizer, tts, dialogue))
    phone.start()
    phone.send(line_speech + silence(0.8))
    assert phone.prompts()[-2:] == ["reply", "transfer"]
    assert phone.ended() == Transfer("dialogue_handoff")
    assert phone.call.hangup().ticket_ids == ["GD1"]


def test_in_band_dtmf_tones_work_without_events(recognizer: Recognizer, tts: EspeakPinyinTTS) -> None:
    config = IvrConfig(no_input_s=5.0, inband_dtmf=True)
    phone = Phone(make_call(recognizer, tts, Dialogue(), config=config))
    phone.start()
    phone.send(silence(0.2) + dtmf_tone("0", duration_s=0.1) + silence(0.2))
    assert phone.ended() == Transfer("caller_pressed_0")


def test_transcript_lines_are_streamed(recognizer: Recognizer, tts: EspeakPinyinTTS) -> None:
    phone = Phone(make_call(recognizer, tts, Dialogue()))
    phone.start()
    lines = [a.entry for a in phone.actions if isinstance(a, TranscriptLine)]
    assert [(e["speaker"], e["kind"]) for e in lines] == [("system", "event"), ("bot", "prompt")]
    with pytest.raises(ValueError, match="digit"):
        phone.call.on_dtmf("x")


def test_prompts_file_is_checked(tmp_path: Path) -> None:
    prompts = load_prompts()
    assert "没有了" in prompts["no_more_phrases"]
    broken = tmp_path / "prompts.yaml"
    broken.write_text("welcome: 你好\n", encoding="utf-8")
    with pytest.raises(ValueError, match="goodbye"):
        load_prompts(broken)


def test_a_question_from_the_dialogue_is_not_followed_by_anything_else(
    recognizer: Recognizer, tts: EspeakPinyinTTS, line_speech: bytes
) -> None:
    asks_region = Reply(["请问您是在哪个城市参保的？"], "clarify_region")
    dialogue = Dialogue([asks_region, Reply([ANSWER], "answer")])
    phone = Phone(make_call(recognizer, tts, dialogue))
    phone.start()
    phone.send(line_speech + silence(0.8))
    assert phone.prompts() == ["welcome", "reply"]  # waits for the region, no 还有其他问题吗
    phone.send(silence(1.2))  # silence after a question is "not heard", not the end of the call
    assert phone.prompts()[-1] == "not_heard" and phone.ended() is None
    phone.send(line_speech + silence(0.8))
    assert phone.prompts()[-2:] == ["reply", "anything_else"] and len(dialogue.asked) == 2

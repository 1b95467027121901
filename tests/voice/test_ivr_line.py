"""voice.ivr_line.CallLine: a long answer plays sentence by sentence while the rest renders (real espeak-ng
voice behind the phone line's PhoneVoice)."""

from __future__ import annotations

import pytest

from voice.ivr_line import STREAM_MIN_CHARS, CallLine, now
from voice.ivr_state import CallRecord, IvrConfig, Play, StopPlayback
from voice.tts import EspeakPinyinTTS, split_sentences
from voice.tts_voice import PhoneVoice

ANSWER = (
    "异地就医备案可以通过国家医保服务平台办理，也可以到参保地医保经办窗口办理。"
    "备案后在就医地直接结算，报销比例按参保地规定执行。"
    "如有疑问，请拨打医保服务热线咨询。"
)
SHORT = "请问您还有其他问题吗？"


@pytest.fixture(scope="module")
def voice() -> PhoneVoice:
    return PhoneVoice(EspeakPinyinTTS())


def _line(tts: object) -> CallLine:
    record = CallRecord("line-1", None, now())
    return CallLine(call_id="line-1", tts=tts, config=IvrConfig(), record=record)  # type: ignore[arg-type]


def _plays(actions: list) -> list[Play]:
    return [a for a in actions if isinstance(a, Play)]


def test_a_long_answer_plays_its_first_sentence_and_the_rest_follows_in_order(voice: PhoneVoice) -> None:
    assert len(ANSWER) >= STREAM_MIN_CHARS and len(split_sentences(ANSWER)) == 3
    line = _line(voice)
    first = _plays(line.say("reply", ANSWER))
    assert len(first) == 1
    whole = voice.synthesize(ANSWER, sample_rate=8000)
    assert whole.startswith(first[0].audio) and len(first[0].audio) < len(whole) / 2
    assert line.playing and not line.settle()
    line.wait_rendered(timeout=30)
    rest = _plays(line.drain())
    assert len(rest) == 2 and not line.rendering
    assert b"".join(p.audio for p in first + rest) == whole
    # queued back to back on the call's clock, each with its own mark
    assert line.play_until == pytest.approx(len(whole) / 2 / 8000)
    assert len(set(line.pending_marks)) == 3
    transcript = [e for e in line.record.transcript if e["speaker"] == "bot"]
    assert [e["text"] for e in transcript] == [ANSWER]  # one line for the whole answer


def test_a_text_said_while_an_answer_renders_waits_behind_it(voice: PhoneVoice) -> None:
    line = _line(voice)
    actions = line.say("reply", ANSWER) + line.say("anything_else", SHORT, remember=False)
    line.wait_rendered(timeout=30)
    actions += line.drain()
    plays = _plays(actions)
    assert [p.prompt for p in plays] == ["reply", "reply", "reply", "anything_else"]
    assert plays[-1].audio == voice.synthesize(SHORT, sample_rate=8000)
    ends = sorted(line.pending_marks.values())
    assert ends[-1] == pytest.approx(line.play_until)


def test_barge_in_drops_the_sentences_not_yet_played(voice: PhoneVoice) -> None:
    line = _line(voice)
    line.say("reply", ANSWER)
    assert isinstance(line.stop()[0], StopPlayback)
    assert not line.playing and not line.rendering
    line.wait_rendered(timeout=30)
    assert _plays(line.drain()) == []
    assert line.settle()


def test_short_texts_and_plain_engines_play_whole() -> None:
    espeak = EspeakPinyinTTS()  # no sentence stream: the whole text at once
    line = _line(espeak)
    plays = _plays(line.say("reply", ANSWER))
    assert len(plays) == 1 and plays[0].audio == espeak.synthesize(ANSWER, sample_rate=8000)
    assert not line.rendering
    phone = _line(PhoneVoice(espeak))
    short = _plays(phone.say("anything_else", SHORT))
    assert len(short) == 1 and not phone.rendering

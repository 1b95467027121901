"""voice.recognizer with the real Vosk engine: streaming, endpointing, timeouts, grammar, model errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.voice.conftest import silence
from voice.audio import Pcm, decode_audio, encode_wav
from voice.recognizer import (
    Final,
    ModelNotFoundError,
    NoInput,
    Partial,
    Recognizer,
    SpeechStarted,
    load_model,
)


@pytest.fixture(scope="module")
def speech16(sentence_wav: Path) -> Pcm:
    return decode_audio(sentence_wav.read_bytes(), target_rate=16000)


def stream(recognizer: Recognizer, pcm: bytes, chunk_ms: int = 20, **options: object) -> list[object]:
    session = recognizer.session(**options)
    step = 16000 * chunk_ms // 1000 * 2
    events: list[object] = []
    for i in range(0, len(pcm), step):
        events += session.feed(pcm[i : i + step])
    return events + session.finish()


def finals(events: list[object]) -> list[Final]:
    return [e for e in events if isinstance(e, Final)]


def test_missing_model_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="HOTLINE_VOSK_MODEL"):
        Recognizer(tmp_path / "nowhere")
    with pytest.raises(ModelNotFoundError, match="HOTLINE_VOSK_MODEL"):
        Recognizer(None)
    (tmp_path / "empty-model").mkdir()
    with pytest.raises(ModelNotFoundError, match="HOTLINE_VOSK_MODEL"):
        load_model(tmp_path / "empty-model")


def test_model_is_loaded_once(recognizer: Recognizer, model_path: str) -> None:
    assert load_model(model_path) is recognizer.model
    assert Recognizer(model_path).model is recognizer.model
    assert recognizer.sample_rate == 16000


def test_streaming_equals_whole_file(recognizer: Recognizer, speech16: Pcm) -> None:
    """20 ms and 40 ms streams and the file path give one and the same text.

    Vosk's result depends on how audio is chunked (online i-vector adaptation, endpoint flushing), so
    the product re-frames every input into the same 20 ms steps: stream and file agree exactly.
    """
    audio = speech16.data + silence(1.2, 16000)
    streamed = finals(stream(recognizer, audio, 20))
    assert len(streamed) == 1 and streamed[0].transcript.text
    text = streamed[0].transcript.text
    assert [f.transcript.text for f in finals(stream(recognizer, audio, 40))] == [text]
    assert recognizer.transcribe(Pcm(audio, 16000)).text == text


def test_partials_grow_and_words_have_timings(recognizer: Recognizer, speech16: Pcm) -> None:
    events = stream(recognizer, speech16.data + silence(1.5, 16000))
    partials = [e for e in events if isinstance(e, Partial)]
    assert partials and partials[0].at < speech16.duration
    final = finals(events)[0].transcript
    assert final.reason in ("endpoint", "silence")
    starts = [w.start for w in final.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start < w.end <= speech16.duration + 0.2 for w in final.words)
    assert all(0 <= w.conf <= 1 for w in final.words)
    started = [e for e in events if isinstance(e, SpeechStarted)]
    assert len(started) == 1 and started[0].at < 0.5


def test_endpointing_splits_utterances_at_pauses(recognizer: Recognizer, speech16: Pcm) -> None:
    audio = speech16.data + silence(1.5, 16000) + speech16.data + silence(1.5, 16000)
    results = finals(stream(recognizer, audio, endpoint_silence_s=0.6))
    assert len(results) == 2
    first, second = (f.transcript for f in results)
    speech_end = speech16.duration - 0.3  # espeak leaves a little silence at the end
    # Each utterance ends soon after its speech: within the silence setting plus a little slack.
    assert results[0].at < speech16.duration + 0.6 + 0.5
    assert second.words[0].start > speech_end + 1.0  # word times count from the stream start
    assert first.text and second.text


def test_no_input_timeout(recognizer: Recognizer) -> None:
    session = recognizer.session(no_input_s=1.0)
    session.listen()
    events = session.feed(silence(3.0, 16000))
    no_input = [e for e in events if isinstance(e, NoInput)]
    assert len(no_input) == 1 and 1.0 <= no_input[0].at < 1.1
    assert not finals(events)
    assert not session.listening


def test_no_input_timer_only_runs_while_listening(recognizer: Recognizer) -> None:
    session = recognizer.session(no_input_s=0.5)
    assert not [e for e in session.feed(silence(1.5, 16000)) if isinstance(e, NoInput)]


def test_max_utterance_cuts_long_speech(recognizer: Recognizer, speech16: Pcm) -> None:
    audio = speech16.data * 3
    results = finals(stream(recognizer, audio, max_utterance_s=2.0, endpoint_silence_s=1.5))
    assert results[0].transcript.reason == "max_utterance"
    assert results[0].at == pytest.approx(2.0, abs=0.6)


def test_noise_alone_is_not_an_utterance(recognizer: Recognizer) -> None:
    events = stream(recognizer, silence(2.0, 16000))
    assert not [e for e in events if isinstance(e, SpeechStarted | Final)]


def test_grammar_restricts_the_vocabulary(model_path: str, speech16: Pcm, recognizer: Recognizer) -> None:
    reference = recognizer.transcribe(Pcm(speech16.data + silence(1.0, 16000), 16000))
    known = sorted({w.word for w in reference.words if not w.word.startswith("[")})[:2]
    assert known
    limited = Recognizer(model_path, phrases=known)
    result = limited.transcribe(Pcm(speech16.data + silence(1.0, 16000), 16000))
    assert result.words
    assert {w.word for w in result.words} <= set(known) | {"[unk]"}
    with pytest.raises(ValueError, match="phrases"):
        Recognizer(model_path, phrases=["医保 备案 异地"])  # Chinese words are not in the Korean model
    with pytest.raises(TypeError, match="phrases"):
        Recognizer(model_path, phrases="one string")  # type: ignore[arg-type]


def test_wrong_rate_is_what_resampling_prevents(
    recognizer: Recognizer, speak: Callable[[str, str], Path]
) -> None:
    """8 kHz audio declared as 16 kHz plays at double speed: the words land at half their times."""
    wav = speak("보험 신청 방법을 알려 주세요", "ko").read_bytes()  # 3.4 s: long enough to tell
    right = recognizer.transcribe(decode_audio(wav, target_rate=16000))
    line = decode_audio(wav, target_rate=8000).data
    wrong = recognizer.transcribe(decode_audio(encode_wav(line, 16000), target_rate=16000))
    duration = len(line) / 2 / 8000
    assert right.words and right.words[-1].end > 0.5 * duration
    assert not wrong.words or wrong.words[-1].end < right.words[-1].end * 0.7


@pytest.mark.parametrize("fmt", ["mulaw8k", "alaw8k", "pcm44k1_stereo", "mp3"])
def test_recognition_runs_on_telephone_and_file_formats(
    fmt: str, recognizer: Recognizer, sentence_wav: Path, audio_dir: Path
) -> None:
    from tests.voice.conftest import run_tool

    options = {
        "mulaw8k": ["-r", "8000", "-e", "u-law"],
        "alaw8k": ["-r", "8000", "-e", "a-law"],
        "pcm44k1_stereo": ["-r", "44100", "-c", "2"],
    }
    target = audio_dir / f"rec-{fmt}.{'mp3' if fmt == 'mp3' else 'wav'}"
    if fmt == "mp3":
        run_tool("ffmpeg", "-loglevel", "error", "-y", "-i", sentence_wav, "-b:a", "64k", target)
    else:
        run_tool("sox", sentence_wav, *options[fmt], target)
    pcm = decode_audio(target.read_bytes(), target_rate=recognizer.sample_rate)
    result = recognizer.transcribe(pcm)
    assert result.text
    # The words cover the spoken part of the clip, at the right speed.
    assert result.words[0].start < 0.5
    assert pcm.duration - 1.0 < result.words[-1].end <= pcm.duration + 0.1


def test_session_argument_checks(recognizer: Recognizer) -> None:
    with pytest.raises(ValueError, match="endpoint_silence_s"):
        recognizer.session(endpoint_silence_s=0)
    with pytest.raises(ValueError, match="frame_ms"):
        recognizer.session(frame_ms=5)
    with pytest.raises(TypeError, match="chunk"):
        recognizer.session().feed("text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rate"):
        recognizer.transcribe(Pcm(b"\x00\x00" * 800, 8000))

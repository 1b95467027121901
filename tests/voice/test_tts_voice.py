"""voice/tts_voice.py without a model: the line processing (``phone_band``) and an audio cache that
never serves audio made with another rate, pause, phrase list or processing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import voice.tts_neural as tts_neural
from api.settings import Settings
from voice.tts_neural import VOICE_ID, NeuralTTS
from voice.tts_voice import AudioCache, PhoneVoice, make_tts, phone_band

URL = "http://127.0.0.1:9"  # never contacted: these voices only name themselves


def _gain_db(lift_db: float, hz: float, rate: int = 8000) -> float:
    tone = (np.sin(2 * np.pi * hz * np.arange(rate) / rate) * 8000).astype("<i2")
    out = np.frombuffer(phone_band(tone.tobytes(), rate, lift_db=lift_db), "<i2").astype(np.float64)
    return float(20 * np.log10(out[rate // 4 :].std() / tone[rate // 4 :].astype(np.float64).std()))


def test_the_lift_raises_consonants_and_leaves_the_voice_body() -> None:
    assert abs(_gain_db(6.0, 200)) < 0.3
    assert 2.0 < _gain_db(6.0, 1500) < 4.0  # half way up the shelf at LIFT_HZ
    assert 5.5 < _gain_db(6.0, 3500) < 6.5
    pcm = (np.arange(800) % 50 * 100).astype("<i2").tobytes()
    assert phone_band(pcm, 8000, lift_db=0.0) == pcm


class _Recording:
    """Stands in for a synthesis engine (the edge): a fixed tone per call, counting calls."""

    name = "recording"

    def __init__(self, voice_id: str) -> None:
        self.voice_id = voice_id
        self.calls = 0

    def synthesize(self, text: str, *, sample_rate: int) -> bytes:
        self.calls += 1
        t = np.arange(sample_rate // 2) / sample_rate
        return (np.sin(2 * np.pi * 440 * t) * 3000).astype("<i2").tobytes()


def test_the_cache_key_holds_rate_pause_prosody_phrases_and_processing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = NeuralTTS(URL)
    assert base.voice_id.startswith(VOICE_ID + "-rate1-pause0.12-words-pinyin")
    ids = {
        base.voice_id,
        NeuralTTS(URL, rate=1.2).voice_id,
        NeuralTTS(URL, pause=0.25).voice_id,
        NeuralTTS(URL, prosody=not base.prosody).voice_id,
        make_tts("neural", worker_url=URL, check=False, lift=6.0).voice_id,
    }
    assert len(ids) == 5
    phrases = tmp_path / "phrases.json"
    phrases.write_text('{"还款": "huan2 kuan3"}', encoding="utf-8")
    monkeypatch.setattr(tts_neural, "PHRASES_PATH", phrases)
    assert NeuralTTS(URL).voice_id != base.voice_id  # another phrase list, other audio
    with pytest.raises(ValueError, match="rate must be 0.5-2.0"):
        NeuralTTS(URL, rate=3.0)


def test_a_changed_rate_is_synthesised_again_not_served_from_the_cache(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    slow, fast = _Recording(NeuralTTS(URL, rate=1.2).voice_id), _Recording(NeuralTTS(URL).voice_id)
    PhoneVoice(slow, cache=cache).synthesize("您好。", sample_rate=8000)
    PhoneVoice(slow, cache=cache).synthesize("您好。", sample_rate=8000)
    assert slow.calls == 1  # the second time from the cache
    PhoneVoice(fast, cache=cache).synthesize("您好。", sample_rate=8000)
    assert fast.calls == 1
    flat = PhoneVoice(fast, cache=cache, lift=0.0)  # the same voice without the line's lift
    flat.synthesize("您好。", sample_rate=8000)
    assert fast.calls == 2 and PhoneVoice(fast).voice_id == flat.voice_id + "-lift6"


def test_the_rate_setting_reaches_both_voices(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOTLINE_TTS_RATE", "1.2")
    assert Settings(data_dir=tmp_path).tts_options["rate"] == 1.2
    with pytest.raises(ValidationError, match="tts_rate"):
        Settings(data_dir=tmp_path, tts_rate=3.0)
    assert make_tts("neural", worker_url=URL, rate=1.2, check=False).engine.rate == 1.2  # type: ignore[attr-defined]
    espeak = make_tts("espeak", rate=1.25, check=False)
    assert espeak.engine.speed == 120  # type: ignore[attr-defined]  # 150 words a minute / 1.25

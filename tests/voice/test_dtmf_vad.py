"""voice.dtmf and voice.vad: key presses from events and tones; speech versus line noise."""

from __future__ import annotations

import numpy as np
import pytest

from tests.voice.conftest import silence
from voice.dtmf import DTMF_DIGITS, GoertzelDetector, dtmf_tone, parse_dtmf_event
from voice.vad import EnergyVAD, frame_level_db


def test_dtmf_event_digits() -> None:
    assert parse_dtmf_event({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": "9"}}) == "9"
    assert parse_dtmf_event({"dtmf": {"digit": "#"}}) == "#"
    for bad in ({"dtmf": {"digit": "12"}}, {"dtmf": {}}, {"event": "dtmf"}, {"dtmf": {"digit": "x"}}):
        with pytest.raises(ValueError, match="digit"):
            parse_dtmf_event(bad)
    with pytest.raises(TypeError, match="event"):
        parse_dtmf_event("9")  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [8000, 16000])
def test_goertzel_finds_every_key_once(rate: int) -> None:
    detector = GoertzelDetector(sample_rate=rate)
    gap = bytes(int(0.08 * rate) * 2)
    audio = b"".join(dtmf_tone(d, duration_s=0.08, sample_rate=rate) + gap for d in DTMF_DIGITS)
    found: list[str] = []
    for i in range(0, len(audio), rate // 50 * 2):  # 20 ms chunks, as a phone line sends them
        found += detector.feed(audio[i : i + rate // 50 * 2])
    assert "".join(found) == DTMF_DIGITS


def test_goertzel_ignores_speech_noise_and_short_blips(line_speech: bytes) -> None:
    detector = GoertzelDetector()
    assert detector.feed(line_speech) == []
    assert detector.feed(np.random.default_rng(0).normal(0, 4000, 16000).astype("<i2").tobytes()) == []
    assert detector.feed(dtmf_tone("5", duration_s=0.02) + silence(0.1)) == []  # too short to be a key
    quiet = (np.frombuffer(dtmf_tone("5"), "<i2") // 200).astype("<i2").tobytes()
    assert detector.feed(quiet + silence(0.1)) == []


def test_vad_separates_speech_from_line_noise(line_speech: bytes) -> None:
    vad = EnergyVAD()
    noise = [vad.is_speech(silence(0.02)) for _ in range(50)]
    assert not any(noise) and not vad.in_speech
    frames = [line_speech[i : i + 320] for i in range(0, len(line_speech), 320)]
    decisions = [vad.is_speech(f) for f in frames]
    assert sum(decisions) > len(frames) * 0.4
    assert frame_level_db(b"") == -100.0 and frame_level_db(bytes(320)) == -100.0
    with pytest.raises(ValueError, match="onset_frames"):
        EnergyVAD(onset_frames=0)

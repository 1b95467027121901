"""The caller's place across the real phone line: the neural voice through its worker, 8 kHz G.711,
Whisper-base with the knowledge base's hotwords, and the phone line's repair (voice/heard.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import Settings
from bench.voice_asr import TranscriptCache, recognise
from bench.voice_set import clips, load_set, phone_voice
from voice.tts import EspeakPinyinTTS
from voice.whisper_asr import WhisperRecognizer

pytestmark = [pytest.mark.integration, pytest.mark.slow]


# Questions of the set's tune half whose place Whisper-base mishears on this line (bench voice).
PLACE_IDS = ("VQ001", "VQ015", "VQ021", "VQ023", "VQ037", "VQ049")


def test_the_callers_place_survives_the_line(worker: Settings, whisper_model: str, tmp_path: Path) -> None:
    """The neural voice says questions naming a place; Whisper-base with the knowledge base's hotwords,
    then the phone line's repair (voice.normalize), must give the region the typed question has."""
    import ctranslate2

    from knowledge.regions import extract_region
    from voice.heard import hotwords, rule_places
    from voice.normalize import normalize_transcript

    ctranslate2.set_random_seed(7)
    items = [i for i in load_set() if i["id"] in PLACE_IDS]
    with phone_voice("neural", worker, tmp_path / "tts", [i["question"] for i in items]) as voice:
        line = clips(items, voice, "neural", (None,))
    entries = str(worker.kb_entries_dir)
    # One thread: a repeatable decode.
    recognizer = WhisperRecognizer(whisper_model, hotwords=hotwords(entries), threads=1)
    cache = TranscriptCache(tmp_path / "transcripts.json")
    heard = recognise([c.audio for c in line], recognizer, cache)
    places = rule_places(entries)
    wanted = [extract_region(c.item["question"]) for c in line]
    raw = [extract_region(h) == w for h, w in zip(heard, wanted, strict=True)]
    repaired = [extract_region(normalize_transcript(h, places=places)) for h in heard]
    found = [r == w for r, w in zip(repaired, wanted, strict=True)]
    evidence = list(zip(heard, raw, found, strict=True))
    # Whisper's decode differs between CPUs (6/6 repaired here on 2026-12-06, 4/6 on the CI machine
    # on 2026-12-07, where 略阳县 came back as 莉儿阳线 and 昌吉 as the everyday word 长期): what holds on
    # every machine is that the repair never loses a place the raw text had, that it recovers some
    # the recogniser lost, and that two thirds come through.
    assert not any(r and not f for _, r, f in evidence), evidence
    assert sum(found) > sum(raw) or all(raw), evidence
    assert sum(found) >= 2 * len(items) // 3, evidence


def test_a_long_utterance_with_hotwords_still_decodes(whisper_model: str, tts: EspeakPinyinTTS) -> None:
    """Hotwords and text share Whisper's 448 tokens: 20 s of speech (the IVR's longest utterance)
    with the knowledge base's hotwords once failed with "exceeds the max_length". (On espeak-ng's
    garbled speech Whisper writes hotwords it did not hear, or nothing: only that it decodes is
    asserted.)"""
    from api.settings import PROJECT_ROOT
    from voice.audio import Pcm
    from voice.heard import hotwords

    text = "异地就医备案可以在网上办理，办好以后就能直接结算，参保人在就医地看病。"
    speech = tts.synthesize(text, sample_rate=8000)
    audio = speech * -(-20 * 16000 // len(speech))  # 20 s of 8 kHz int16 without a pause: one utterance
    recognizer = WhisperRecognizer(
        whisper_model, hotwords=hotwords(str(PROJECT_ROOT / "knowledge" / "entries"))
    )
    assert len(audio) / 16000 >= 18
    transcript = recognizer.transcribe(Pcm(audio, 8000), max_utterance_s=28.0)  # raised ValueError
    assert transcript.end >= 18 and isinstance(transcript.text, str)

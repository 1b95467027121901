"""The project's phone test set for real (a spread of 20 utterances): the neural voice through its worker,
an 8 kHz G.711 line with telephone noise, Whisper-base as the IVR configures it. CI's floor on what
``python -m bench voice`` measures on the whole set (docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import Settings
from bench.voice_asr import TranscriptCache, recognise
from bench.voice_set import Clip, clips, corpus_cer, load_set, phone_voice
from voice.whisper_asr import WhisperRecognizer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUBSET = 20
# On the whole set (bench voice, 2026-12-06) the neural voice's CER is 24 % clean and 33 % at 10 dB,
# this subset 28 % and 35 % (with the domain prompt then in use; without it, the default now, the
# test half was 5-7 points lower). The floors leave room for thread timing in the decode; a broken
# voice, line, clean-up or recogniser is far above them (espeak-ng's voice: about 72 %).
FLOOR = {None: 0.35, 10.0: 0.45}


@pytest.fixture(scope="module")
def line(worker: Settings, tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    items = load_set(limit=SUBSET)
    cache = tmp_path_factory.mktemp("set-tts")
    with phone_voice("neural", worker, cache, [i["question"] for i in items]) as voice:
        return clips(items, voice, "neural", tuple(FLOOR))


@pytest.fixture(scope="module")
def heard(line: list[Clip], whisper_model: str, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    import ctranslate2

    ctranslate2.set_random_seed(7)  # a retried decode samples; fixed so results repeat
    cache = TranscriptCache(Path(tmp_path_factory.mktemp("set-asr")) / "transcripts.json")
    return recognise([c.audio for c in line], WhisperRecognizer(whisper_model), cache)


@pytest.mark.parametrize("snr", list(FLOOR))
def test_caller_utterances_are_recognised_on_the_phone_line(
    line: list[Clip], heard: list[str], snr: float | None
) -> None:
    pairs = [(c.item["question"], h) for c, h in zip(line, heard, strict=True) if c.snr == snr]
    assert len(pairs) == SUBSET
    cer = corpus_cer(pairs)
    assert cer <= FLOOR[snr], (cer, pairs)


def test_phone_numbers_come_back_as_the_digits_said(line: list[Clip], heard: list[str]) -> None:
    pairs = zip(line, heard, strict=True)
    digits = [(c.item["question"], h) for c, h in pairs if c.item["category"] == "phone"]
    assert digits and corpus_cer(digits) <= 0.30, digits  # 13-16 % on this subset

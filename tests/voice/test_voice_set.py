"""The phone test set (tests/data/voice) and the line it is played through (bench/voice_set.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from bench.voice_set import (
    SET_PATH,
    active_rms,
    char_errors,
    corpus_cer,
    halves,
    line_audio,
    load_set,
    spoken_form,
    telephone_noise,
)
from devtools.evaluation import load_items
from knowledge.catalog import load_entries
from voice.audio import pcm16_to_ulaw, ulaw_to_pcm16

HELDOUT = SET_PATH.parent.parent / "heldout"
ENTRIES = Path(__file__).resolve().parents[2] / "knowledge" / "entries"


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return load_set()


# --- The set ----------------------------------------------------------------------------------------


def test_set_has_every_kind_of_caller_utterance(items: list[dict]) -> None:
    assert len(items) >= 200
    assert len({i["id"] for i in items}) == len(items)
    assert len({i["question"] for i in items}) == len(items)
    counts = Counter(i["category"] for i in items)
    assert set(counts) == {"policy", "complaint", "region", "name", "phone", "yesno"}
    assert min(counts.values()) >= 20
    kinds = Counter(i["kind"] for i in items if "kind" in i)
    assert kinds["answer"] >= 60 and kinds["clarify_region"] >= 10 and kinds["abstain"] >= 10
    assert kinds["ticket"] == counts["complaint"]


def test_expected_facts_are_in_the_cited_answer(items: list[dict]) -> None:
    answers = {e.id: e.answer for e in load_entries(ENTRIES)}
    cited = [i for i in items if i.get("kind") == "answer"]
    assert cited and all(i["expect_any"] for i in cited)
    for item in cited:
        answer = answers[item["source"]]
        for group in item["expect_any"]:
            assert any(v in answer for v in group), (item["id"], group)


def test_no_utterance_copies_the_held_out_test_half(items: list[dict]) -> None:
    held = []
    for path in HELDOUT.glob("*_test.jsonl"):
        for item in load_items(path):
            held += [t["user"] for t in item["turns"]] if "turns" in item else [item["question"]]
    assert held
    for item in items:
        if item["category"] in ("policy", "complaint"):
            match = process.extractOne(item["question"], held, scorer=fuzz.ratio)
            assert match is not None and match[1] < 75, (item["id"], match)


def test_halves_alternate_and_share_categories(items: list[dict]) -> None:
    tune, test = halves(items)
    assert len(tune) + len(test) == len(items) and not {i["id"] for i in tune} & {i["id"] for i in test}
    assert {i["category"] for i in tune} == {i["category"] for i in test}


def test_limit_takes_a_spread(items: list[dict]) -> None:
    small = load_set(limit=20)
    assert len(small) == 20
    assert len({i["category"] for i in small}) == 6


# --- Scoring text -----------------------------------------------------------------------------------


def test_numbers_compare_as_digits_whichever_way_they_are_written() -> None:
    assert spoken_form("我的电话是13912345678。") == spoken_form("我的电话是幺三九一二三四五六七八")
    assert spoken_form("一次花了两千多块") == spoken_form("一次花了2000多块")
    assert char_errors("我叫陈志强", "我叫承志强") == (1, 5)
    assert corpus_cer([("好的", "好的"), ("是的啊", "")]) == pytest.approx(3 / 5)


# --- The line ---------------------------------------------------------------------------------------


def _tone(seconds: float = 1.0, rate: int = 8000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (6000 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


def test_noise_is_telephone_band_and_seeded() -> None:
    noise = telephone_noise(8000, np.random.default_rng(3))
    assert np.sqrt(np.mean(noise**2)) == pytest.approx(1.0)
    spectrum = np.abs(np.fft.rfft(noise)) ** 2
    freqs = np.fft.rfftfreq(8000, 1 / 8000)
    assert spectrum[(freqs < 300) | (freqs > 3400)].sum() < 1e-9 * spectrum.sum()
    assert spectrum[(freqs >= 300) & (freqs < 600)].sum() > spectrum[(freqs >= 3000) & (freqs <= 3400)].sum()
    assert np.array_equal(noise, telephone_noise(8000, np.random.default_rng(3)))


@pytest.mark.parametrize("snr", [20.0, 10.0])
def test_line_noise_sits_at_the_asked_ratio_below_the_speech(snr: float) -> None:
    speech = _tone()
    line = np.frombuffer(line_audio(speech, snr, seed=1), dtype="<i2").astype(np.float64)
    assert line.size == (0.5 + 1.0 + 1.0) * 8000  # 0.5 s before, 1 s after
    noise_only = line[:4000]  # the lead-in carries only the line's noise
    level = active_rms(np.frombuffer(speech, dtype="<i2"))
    measured = 20 * np.log10(level / np.sqrt(np.mean(noise_only**2)))
    assert measured == pytest.approx(snr, abs=1.5)
    assert line_audio(speech, snr, seed=1) == line_audio(speech, snr, seed=1)
    assert line_audio(speech, snr, seed=1) != line_audio(speech, snr, seed=2)


def test_clean_line_is_the_g711_round_trip_padded() -> None:
    speech = _tone(0.2)
    line = line_audio(speech, None, seed=0)
    expected = ulaw_to_pcm16(pcm16_to_ulaw(np.frombuffer(speech, dtype="<i2"))).astype("<i2").tobytes()
    assert line[4000 * 2 : 4000 * 2 + len(speech)] == expected
    assert set(line[: 4000 * 2]) == {0}

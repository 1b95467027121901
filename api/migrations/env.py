"""Alembic environment: upgrade through the caller's connection when given, else from the URL.

``api.db.init_db`` passes its open connection in ``config.attributes["connection"]`` so the
upgrade runs inside the application's engine (same SQLite pragmas, same PostgreSQL pool);
the ``alembic`` command line falls back to ``sqlalchemy.url``.
"""

from __future__ import annotations

import logging

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

import api.models  # noqa: F401  (registers every table on Base.metadata)
from api.models.base import Base

log = logging.getLogger("alembic.env")

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    """Configure the context on ``connection`` and apply the pending revisions."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables where needed.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade --sql``) without a database."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Upgrade through the given connection, or open one from ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {})
        or {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

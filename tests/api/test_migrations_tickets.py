"""Alembic revision 0001_tickets: matches the models, runs from the URL, downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect

import api.models  # noqa: F401  (registers every table)
from api.models.base import Base

MIGRATIONS = Path(__file__).resolve().parents[2] / "api" / "migrations"
TICKET_TABLES = {
    "departments",
    "tickets",
    "ticket_events",
    "ticket_attachments",
    "ticket_callbacks",
    "ticket_links",
    "ticket_notifications",
    "ticket_counters",
}


def _table_of(diff: object) -> str:
    """The table of a compare_metadata entry: (kind, Table|Index|Constraint) or (kind, schema, table, ...)."""
    entry = diff[0] if isinstance(diff, list) else diff
    kind, first, *rest = entry  # type: ignore[misc]
    if kind.endswith("_table"):
        return str(first.name)
    if hasattr(first, "table"):
        return str(first.table.name)
    return str(rest[0])


def test_migration_matches_the_models(engine: Engine) -> None:
    """The migrated schema of both backends equals what the models declare, for our tables."""
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diffs if _table_of(d) in TICKET_TABLES]
    assert ours == []
    assert TICKET_TABLES <= set(inspect(engine).get_table_names())


def test_upgrade_from_url_and_downgrade(tmp_path: Path) -> None:
    """Without a connection in config.attributes, env.py opens one from sqlalchemy.url."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0001_tickets")
    check = create_engine(url)
    try:
        assert TICKET_TABLES <= set(inspect(check).get_table_names())
        command.downgrade(cfg, "base")
        check.dispose()
        assert not TICKET_TABLES & set(inspect(check).get_table_names())
    finally:
        check.dispose()

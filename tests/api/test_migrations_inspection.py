"""Alembic revision 0002_inspection: matches the models on both backends, upgrades and downgrades."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect

import api.models  # noqa: F401  (registers every table)
from api.models.base import Base
from tests.api.test_migrations_tickets import MIGRATIONS, _table_of

QA_TABLES = {"qa_results", "qa_findings", "qa_reviews"}


def test_migration_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if _table_of(d) in QA_TABLES] == []
    assert QA_TABLES <= set(inspect(engine).get_table_names())


def test_upgrade_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0002_inspection")
    check = create_engine(url)
    try:
        assert QA_TABLES <= set(inspect(check).get_table_names())
        command.downgrade(cfg, "0001_tickets")
        check.dispose()
        tables = set(inspect(check).get_table_names())
        assert not QA_TABLES & tables and "tickets" in tables
    finally:
        check.dispose()

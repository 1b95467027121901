"""Process-wide database handles: one engine and one session factory per database URL.

Routes, the CLI and the Rasa action server all call ``get_session_factory(settings)``; the
first call builds the engine and upgrades the schema (``api.db.init_db``), later calls return
the cached factory. The registry knows no service: what a service needs at start-up (the work
orders' departments, ``tickets.sync_configured_departments``) is run by whoever starts it.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from api.db import init_db, make_engine, make_session_factory
from api.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["dispose_all", "get_engine", "get_session_factory"]

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}
_INIT_ATTEMPTS = 3


def _prepare(engine: Engine) -> None:
    """Upgrade the schema, retrying when another process is migrating the same database."""
    for attempt in range(1, _INIT_ATTEMPTS + 1):
        try:
            init_db(engine)
            return
        except DBAPIError as exc:
            if attempt == _INIT_ATTEMPTS:
                raise
            log.warning("registry.init_db.retry attempt=%d error=%s", attempt, type(exc.orig).__name__)
            time.sleep(0.5 * attempt)


def get_engine(settings: Settings) -> Engine:
    """The engine of the configured database, created and migrated once per process."""
    get_session_factory(settings)
    return _engines[settings.effective_database_url]


def get_session_factory(settings: Settings) -> sessionmaker[Session]:
    """The cached session factory for ``settings.effective_database_url``."""
    url = settings.effective_database_url
    factory = _factories.get(url)
    if factory is not None:
        return factory
    with _lock:
        factory = _factories.get(url)
        if factory is None:
            engine = make_engine(url)
            try:
                _prepare(engine)
            except BaseException:
                engine.dispose()
                raise
            factory = make_session_factory(engine)
            _engines[url] = engine
            _factories[url] = factory
            log.info("registry.ready dialect=%s", engine.dialect.name)
    return factory


def dispose_all() -> None:
    """Close every pooled connection and forget the factories (tests, shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()

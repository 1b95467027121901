"""Health: which components work, so a load balancer and an operator see what is degraded.

Each component (database, rasa, actions, knowledge, outbox) is reported with ``ok``; the
outbox shows how many acknowledged writes wait for the database; the outbox replay job
(``api/jobs.py``) lands them once the database is back. ``speech`` describes each recogniser
(name, language, model path, found, loaded) without loading one; ``calendar`` says whether this
year's and next year's holidays are known (``missing_years``, ``message``); neither changes ``status``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text as sql

from api.deps import SettingsDep
from api.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

_warned: list[bool] = []  # the durability warning is logged once per process


def _database(settings: Settings) -> dict[str, Any]:
    """Reachable, and whether its settings keep committed writes through a crash."""
    from api.db import durability_warnings
    from api.services.registry import get_session_factory

    try:
        with get_session_factory(settings)() as session:
            session.execute(sql("SELECT 1"))
            warnings = durability_warnings(session)
    except Exception as exc:  # any driver error means the database is unusable
        log.warning("health.database.failure: %s", type(exc).__name__)
        return {"ok": False, "error": type(exc).__name__}
    if warnings and not _warned:
        _warned.append(True)
        log.warning("health.database.not_durable: %s", "; ".join(warnings))
    # Reachable is what "ok" means; an unsafe setting is shown, not failed (the service still works).
    return {"ok": True, "durable": not warnings, "warnings": warnings}


def _knowledge(settings: Settings) -> dict[str, Any]:
    from api.services.knowledge import get_knowledge_base

    try:
        kb = get_knowledge_base(settings)
        return {"ok": True, "documents": len(kb.docs)}
    except Exception as exc:  # a missing model or a damaged index
        log.warning("health.knowledge.failure: %s", exc)
        return {"ok": False, "error": str(exc)}


def _dialogue(settings: Settings) -> dict[str, dict[str, Any]]:
    from api.services.conversations import rasa

    status = rasa.status(settings)
    return {name: {"ok": status.get(name) == "up"} for name in ("rasa", "actions")}


def _outbox(settings: Settings) -> dict[str, Any]:
    from api.services import outbox

    try:
        counts = outbox.get_outbox(settings).counts()
    except Exception as exc:  # an unreadable outbox file
        log.warning("health.outbox.failure: %s", type(exc).__name__)
        return {"ok": False, "error": type(exc).__name__}
    return {
        "ok": counts["pending"] == 0 and counts["dead"] == 0,
        "pending": counts["pending"],
        "dead": counts["dead"],
    }


def _calendar(settings: Settings) -> dict[str, Any]:
    """Whether this year's and next year's holidays are known (package or the centre's file)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from api.services import workdays

    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    return workdays.calendar_status(today, path=settings.holidays_file)


def _speech(settings: Settings) -> dict[str, Any]:
    from voice.asr import engine_status

    return engine_status(**settings.asr_options)


@router.get("/api/health")
async def health(settings: SettingsDep) -> dict[str, Any]:
    """``status`` is ok, degraded (answers still flow from the knowledge base) or down.

    Degraded names the components that are not ok: while the database is down, writes wait in
    the outbox (``outbox.pending``); while Rasa or the actions are down, the knowledge base answers.
    """
    components = {
        "database": await run_in_threadpool(_database, settings),
        **await run_in_threadpool(_dialogue, settings),
        "knowledge": await run_in_threadpool(_knowledge, settings),
        "outbox": await run_in_threadpool(_outbox, settings),
    }
    if all(c.get("ok") for c in components.values()):
        status = "ok"
    elif components["knowledge"].get("ok"):
        status = "degraded"
    else:
        status = "down"
    degraded = sorted(name for name, c in components.items() if not c.get("ok"))
    speech = _speech(settings)
    # A missing holiday year makes deadlines approximate, not the service unusable: shown, not failed.
    calendar = await run_in_threadpool(_calendar, settings)
    return {
        "status": status,
        "degraded": degraded,
        "components": components,
        "speech": speech,
        "calendar": calendar,
    }

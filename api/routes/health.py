"""Health: which components work, so a load balancer and an operator see what is degraded."""

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


def _database(settings: Settings) -> dict[str, Any]:
    from api.services.registry import get_session_factory

    try:
        with get_session_factory(settings)() as session:
            session.execute(sql("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # any driver error means the database is unusable
        log.warning("health.database.failure: %s", type(exc).__name__)
        return {"ok": False, "error": type(exc).__name__}


def _knowledge(settings: Settings) -> dict[str, Any]:
    from api.services.knowledge import get_knowledge_base

    try:
        kb = get_knowledge_base(settings)
        return {"ok": True, "documents": len(kb.docs)}
    except Exception as exc:  # a missing model or a damaged index
        log.warning("health.knowledge.failure: %s", exc)
        return {"ok": False, "error": str(exc)}


def _dialogue(settings: Settings) -> dict[str, Any]:
    try:
        from api.services import chat
    except ImportError:
        return {"ok": False, "error": "not installed"}
    status = getattr(chat, "status", None)
    return status(settings) if callable(status) else {"ok": False, "error": "no status"}


@router.get("/api/health")
async def health(settings: SettingsDep) -> dict[str, Any]:
    """``status`` is ok, degraded (answers still flow from the knowledge base) or down."""
    components = {
        "database": await run_in_threadpool(_database, settings),
        "knowledge": await run_in_threadpool(_knowledge, settings),
        "dialogue": await run_in_threadpool(_dialogue, settings),
    }
    if all(c.get("ok") for c in components.values()):
        status = "ok"
    elif components["knowledge"].get("ok"):
        status = "degraded"
    else:
        status = "down"
    return {"status": status, "components": components}

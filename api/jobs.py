"""Background jobs of the API process: started with the app, cancelled when it stops.

Every job is listed in ``JOBS``; ``lifespan`` (passed to ``FastAPI`` by ``create_app``) starts the
enabled ones and keeps each task on ``app.state.<job.state_name>`` (``None`` when the job is
switched off by its setting), so tests and operators can see what runs.

- ``ticket_escalation_task``: ``tickets.run_escalation`` every ``ticket_escalation_interval_s``
  seconds (overdue work orders raised and supervisors notified);
- ``outbox_replay_task``: ``outbox.replay_loop`` (writes queued during a database outage land
  once it is back), every ``outbox_replay_interval_s`` seconds;
- ``retention_task``: ``retention.run_purge`` every ``retention_interval_s`` seconds, the first
  pass within a minute of the start so that daily restarts still purge (off when
  ``retention_days`` is 0);
- ``kb_clusters_task``: ``kb_clusters.refresh`` every ``kb_cluster_interval_s`` seconds (daily by
  default): the declined and handed-over questions grouped by meaning for the dashboard and editor.

At start-up the ticket rules' departments are synced once. The work itself stays in its service;
this module only schedules it. A failed pass is logged and the next pass retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from api.services import kb_clusters, outbox, retention, tickets
from api.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["JOBS", "Job", "every", "lifespan"]


async def every(
    interval: float, step: Callable[[Settings], Any], settings: Settings, *, event: str, first: float
) -> None:
    """Run the blocking ``step(settings)`` in a worker thread ``first`` seconds from now, then every
    ``interval`` seconds, until cancelled; a failure is logged as ``<event>.failed``."""
    await asyncio.sleep(first)
    while True:
        try:
            await asyncio.to_thread(step, settings)
        except Exception:  # keep the job alive; the next pass retries
            log.exception("%s.failed", event)
        await asyncio.sleep(interval)


async def _escalation(settings: Settings) -> None:
    interval = settings.ticket_escalation_interval_s
    await every(interval, tickets.run_escalation, settings, event="tickets.escalation", first=interval)


async def _retention(settings: Settings) -> None:
    interval = settings.retention_interval_s
    first = min(interval, 60.0)  # soon after start, so daily restarts still purge
    await every(interval, retention.run_purge, settings, event="retention.purge", first=first)


async def _kb_clusters(settings: Settings) -> None:
    interval = settings.kb_cluster_interval_s
    first = min(interval, 600.0)  # not at start-up, while the knowledge base loads
    await every(interval, kb_clusters.refresh, settings, event="kb_clusters.refresh", first=first)


@dataclass(frozen=True)
class Job:
    """One background job: where its task is kept, when it runs, and the coroutine that runs it."""

    state_name: str
    enabled: Callable[[Settings], bool]
    run: Callable[[Settings], Coroutine[Any, Any, None]]


JOBS: tuple[Job, ...] = (
    Job("ticket_escalation_task", lambda s: s.ticket_escalation_interval_s > 0, _escalation),
    Job("outbox_replay_task", lambda s: s.outbox_replay_interval_s > 0, outbox.replay_loop),
    Job("retention_task", lambda s: s.retention_interval_s > 0 and s.retention_days > 0, _retention),
    Job("kb_clusters_task", lambda s: s.kb_cluster_interval_s > 0, _kb_clusters),
)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start every enabled job with ``app`` (settings from ``app.state.settings``); cancel them on exit."""
    settings: Settings = app.state.settings
    try:  # the departments of the ticket rules, so orders can be assigned from the first minute
        await asyncio.to_thread(tickets.sync_configured_departments, settings)
    except Exception:  # a database still starting: creating and assigning orders add them as needed
        log.exception("tickets.departments.sync_failed")
    started: list[asyncio.Task[None]] = []
    for job in JOBS:
        task = asyncio.create_task(job.run(settings)) if job.enabled(settings) else None
        setattr(app.state, job.state_name, task)
        if task is not None:
            started.append(task)
    try:
        yield
    finally:
        for task in started:
            task.cancel()
        for task in started:
            with contextlib.suppress(asyncio.CancelledError):
                await task

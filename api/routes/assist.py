"""Agent assist endpoints: suggestions for a conversation, a live stream of them, feedback.

- ``GET /api/assist/sessions/{id}``: top suggested answers with sources and the 一次性告知
  checklist for the conversation as it stands.
- ``GET /api/assist/sessions/{id}/conversation``: transcript, collected slots and a work-order
  draft (numbers masked unless the agent holds the conversation); the view is audited.
- ``GET /api/assist/sessions/{id}/stream``: server-sent events; an ``assist`` event with both of
  the above whenever the stored transcript grows or the hand-off state changes. The server
  polls the database every ``assist_poll_s``, so turns written by any API process or the IVR
  show up. The stream ends after ``_STREAM_MAX_S``; the browser's EventSource reconnects.
- ``POST /api/assist/sessions/{id}/feedback``: 有用/没用 on a suggested entry.
- ``GET /api/assist/feedback``: votes per entry, for supervisors and knowledge editors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import Principal, SessionDep, SettingsDep, require_role
from api.errors import DomainError
from api.schemas import SESSION_ID_PATTERN
from api.services import assist, assist_feedback, audit
from api.settings import Settings
from api.texts import text

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/assist", tags=["assist"])

SessionId = Annotated[str, PathParam(pattern=SESSION_ID_PATTERN)]
AgentDep = Annotated[Principal, Depends(require_role("agent"))]
SupervisorDep = Annotated[Principal, Depends(require_role("supervisor"))]

_STREAM_MAX_S = 300.0  # a stream lives this long, then the EventSource reconnects (and is audited again)
_KEEPALIVE_S = 15.0


@router.get("/feedback", response_model=list[assist_feedback.FeedbackCount])
def feedback_counts(
    session: SessionDep,
    settings: SettingsDep,
    principal: SupervisorDep,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[assist_feedback.FeedbackCount]:
    """Useful / not useful votes per knowledge-base entry, most voted first."""
    from knowledge.catalog import load_entries

    titles = {e.id: e.display_title for e in load_entries(settings.kb_entries_dir)}
    return assist_feedback.feedback_counts(session, since=_aware(since), until=_aware(until), titles=titles)


@router.get("/sessions/{session_id}", response_model=assist.AssistView)
def suggestions(session_id: SessionId, settings: SettingsDep, principal: AgentDep) -> assist.AssistView:
    """Top 3 suggested answers with sources and the 一次性告知 checklist, for the transcript now."""
    return assist.suggest(session_id, settings=settings)


@router.get("/sessions/{session_id}/conversation", response_model=assist.ConversationView)
def conversation(
    session_id: SessionId, request: Request, session: SessionDep, settings: SettingsDep, principal: AgentDep
) -> assist.ConversationView:
    """The conversation for the agent workspace: transcript, slots, work-order draft."""
    view = _conversation(session_id, principal, settings)
    audit.record(session, principal, audit.TRANSCRIPT_VIEW, "conversation", session_id, request)
    return view


@router.post("/sessions/{session_id}/feedback", response_model=assist_feedback.FeedbackCount)
def feedback(
    session_id: SessionId, body: assist_feedback.FeedbackIn, session: SessionDep, principal: AgentDep
) -> assist_feedback.FeedbackCount:
    """An agent marks a suggested entry useful or not; returns the entry's counts."""
    return assist_feedback.record_feedback(
        session, session_id=session_id, entry_id=body.entry_id, useful=body.useful, agent=principal.name
    )


@router.get("/sessions/{session_id}/stream")
async def stream(
    session_id: SessionId, request: Request, session: SessionDep, settings: SettingsDep, principal: AgentDep
) -> StreamingResponse:
    """Server-sent events: ``assist`` {assist, conversation} each time the conversation changes."""
    # Fail before streaming when the conversation does not exist (a 404 the page can show).
    await run_in_threadpool(assist.signature, session_id, settings=settings)
    audit.record(session, principal, audit.TRANSCRIPT_VIEW, "conversation", session_id, request)
    return StreamingResponse(
        _events(session_id, request, principal, settings),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    session_id: str, request: Request, principal: Principal, settings: Settings
) -> AsyncIterator[str]:
    started = last_sent = time.monotonic()
    seen: tuple[int, str, str | None] | None = None
    yield "retry: 1000\n\n"
    while time.monotonic() - started < _STREAM_MAX_S:
        if await request.is_disconnected():
            return
        try:
            now = await run_in_threadpool(assist.signature, session_id, settings=settings)
            if now != seen:
                view = await run_in_threadpool(assist.suggest, session_id, settings=settings)
                conv = await run_in_threadpool(_conversation, session_id, principal, settings)
                payload = {
                    "assist": view.model_dump(mode="json"),
                    "conversation": conv.model_dump(mode="json"),
                }
                yield f"event: assist\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
                seen, last_sent = now, time.monotonic()
        except DomainError as exc:
            failure = {"error": exc.key, "message": text(exc.key, **exc.fmt)}
            yield f"event: failure\ndata: {json.dumps(failure, ensure_ascii=False)}\n\n"
            return
        if time.monotonic() - last_sent >= _KEEPALIVE_S:
            yield ": keepalive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(settings.assist_poll_s)


def _conversation(session_id: str, principal: Principal, settings: Settings) -> assist.ConversationView:
    return assist.conversation_view(session_id, viewer=principal.name, role=principal.role, settings=settings)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Query datetimes without an offset are read as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value

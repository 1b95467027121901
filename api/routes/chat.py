"""Chat endpoints: one message in, the bot's reply out (HTTP and WebSocket), transcripts,
the hand-off queue for agents, and the embeddable web widget's files."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, ValidationError

from api.db import unit_of_work
from api.deps import Principal, SettingsDep, principal_from_request, require_role
from api.errors import DomainError
from api.limits import check_ip, check_session, limit_caller_ip
from api.schemas import (
    SESSION_ID_PATTERN,
    ChatReply,
    ChatRequest,
    HandoffPublic,
    TranscriptPublic,
    TurnPublic,
)
from api.services import audit
from api.services.conversations import handoff, rasa, store
from api.services.conversations.respond import respond
from api.services.registry import get_session_factory
from api.texts import text

log = logging.getLogger(__name__)

router = APIRouter(tags=["chat"])

STATIC = Path(__file__).resolve().parent.parent / "static"


class AgentMessage(BaseModel):
    text: str = Field(max_length=20000)


# A widget message is a session id and at most a few thousand characters of text.
_WS_MAX_MESSAGE = 64 * 1024

SessionId = Annotated[str, PathParam(pattern=SESSION_ID_PATTERN)]
Agent = Annotated[Principal, Depends(require_role("agent"))]


@router.post("/api/chat", response_model=ChatReply, dependencies=[Depends(limit_caller_ip)])
def post_message(body: ChatRequest, settings: SettingsDep, request: Request) -> ChatReply:
    """Send one caller message; the reply lists the bot's messages, their kind and sources."""
    check_session(request.app, body.session_id)
    return respond(body.session_id, body.text, channel="web", metadata=body.metadata, settings=settings)


@router.get("/api/chat/health")
def chat_health(settings: SettingsDep) -> dict[str, Any]:
    """Rasa and action-server reachability; ``mode: degraded`` means knowledge-base-only answers."""
    return rasa.status(settings)


@router.get("/api/chat/handoffs", response_model=list[HandoffPublic])
def handoff_queue(settings: SettingsDep, agent: Agent) -> list[HandoffPublic]:
    """Conversations waiting for (or held by) a human agent, oldest first."""
    with unit_of_work(get_session_factory(settings)) as db:
        return handoff.queue(db)


@router.post("/api/chat/{session_id}/accept", response_model=HandoffPublic)
def accept_handoff(
    session_id: SessionId, settings: SettingsDep, agent: Agent, request: Request
) -> HandoffPublic:
    """An agent takes a handed-off conversation (audited: the agent now sees the caller's data)."""
    with unit_of_work(get_session_factory(settings)) as db:
        taken = handoff.accept(db, session_id=session_id, agent=agent.name)
        store.note_handoff(db, session_id, "joined", agent.display_name or agent.name)
        audit.record(db, agent, audit.HANDOFF_ACCEPT, "conversation", session_id, request)
        return taken


@router.post("/api/chat/{session_id}/release", response_model=HandoffPublic)
def release_handoff(session_id: SessionId, settings: SettingsDep, agent: Agent) -> HandoffPublic:
    """Give a conversation back to the bot."""
    with unit_of_work(get_session_factory(settings)) as db:
        given = handoff.release(db, session_id=session_id, agent=agent.name)
        store.note_handoff(db, session_id, "left", agent.display_name or agent.name)
        return given


@router.post("/api/chat/{session_id}/agent-message", status_code=204)
def agent_message(session_id: SessionId, body: AgentMessage, settings: SettingsDep, agent: Agent) -> None:
    """An agent's reply in a handed-off conversation; the widget shows it on its next poll."""
    store.add_agent_turn(
        session_id, body.text, agent=agent.name, display=agent.display_name, settings=settings
    )


@router.get("/api/chat/{session_id}/transcript", response_model=TranscriptPublic)
def get_transcript(session_id: SessionId, settings: SettingsDep, request: Request) -> TranscriptPublic:
    """The stored conversation, phone and ID numbers masked; a staff member's view is audited."""
    result = store.transcript(session_id, settings=settings)
    staff = principal_from_request(request, settings)
    if staff is not None:
        with unit_of_work(get_session_factory(settings)) as db:
            audit.record(db, staff, audit.TRANSCRIPT_VIEW, "conversation", session_id, request)
    return result


@router.websocket("/api/chat/ws")
async def chat_socket(ws: WebSocket) -> None:
    """The widget's channel: send {session_id, text}, receive a ChatReply (or {error, message}).

    While the conversation is with a human, what the agent side writes is pushed on the same socket
    as soon as it is stored: ``{"type": "agent", "seq", "text", "agent"}`` for an agent's message,
    ``{"type": "event", "seq", "event": "joined"|"left", "text", "agent"}`` when an agent joins or
    leaves, and ``{"type": "handoff_end"}`` when the bot has the conversation again. A page that was
    reloaded during a hand-off sends ``{"type": "watch", "session_id", "after": <last seq shown>}``.
    """
    settings = ws.app.state.settings
    await ws.accept()
    lock = asyncio.Lock()
    watch: dict[str, Any] = {"session_id": None, "seq": None}
    pusher = asyncio.create_task(_push_agent_side(ws, settings, watch, lock))
    try:
        while True:
            raw = await ws.receive_text()
            try:
                if len(raw) > _WS_MAX_MESSAGE:
                    raise ValueError("message too large")
                message = json.loads(raw)
                if isinstance(message, dict) and message.get("type") == "watch":
                    _watch(watch, message)
                    continue
                body = ChatRequest.model_validate(message)
                check_ip(ws.app, ws.client, ws.headers.get("authorization"))
                check_session(ws.app, body.session_id)
                reply = await run_in_threadpool(
                    respond, body.session_id, body.text, "web", body.metadata, settings=settings
                )
            except (ValueError, ValidationError):
                async with lock:
                    await ws.send_json({"error": "invalid_request", "message": text("invalid_request")})
                continue
            except DomainError as exc:
                async with lock:
                    await ws.send_json({"error": exc.key, "message": text(exc.key, **exc.fmt)})
                continue
            handed = reply.handoff is not None and reply.handoff.status != "offline"
            if handed and watch["session_id"] != body.session_id:
                # Push what the agent side writes from the caller's and the bot's last turn on: an
                # agent who joined meanwhile is pushed too; the rest is on the caller's screen.
                _, _, turns = await run_in_threadpool(
                    store.turns_since, body.session_id, 0, settings=settings
                )
                watch["seq"] = max((t.seq for t in turns if _pushed(t) is None), default=0)
                watch["session_id"] = body.session_id
            async with lock:
                await ws.send_json(reply.model_dump(mode="json"))
    except WebSocketDisconnect:
        return
    finally:
        pusher.cancel()


def _watch(watch: dict[str, Any], message: dict[str, Any]) -> None:
    """Follow a conversation from the turn after ``after`` (a reloaded page resuming a hand-off)."""
    session_id = store.check_session_id(str(message.get("session_id") or ""))
    after = message.get("after")
    if not isinstance(after, int) or after < 0:
        raise ValueError("after must be a turn number")
    watch["session_id"], watch["seq"] = session_id, after


def _pushed(turn: TurnPublic) -> dict[str, Any] | None:
    """The socket message for a turn written on the agent side, or None for the caller's own."""
    if turn.speaker == "agent":
        return {"type": "agent", "seq": turn.seq, "text": turn.text, "agent": turn.agent}
    if turn.event is not None:
        return {"type": "event", "seq": turn.seq, "event": turn.event, "text": turn.text, "agent": turn.agent}
    return None


async def _push_agent_side(ws: WebSocket, settings: Any, watch: dict[str, Any], lock: asyncio.Lock) -> None:
    """Poll the stored transcript (works across API processes) and push what the agent side wrote."""
    try:
        while True:
            await asyncio.sleep(settings.assist_poll_s)
            session_id = watch["session_id"]
            if session_id is None:
                continue
            try:
                status, last, turns = await run_in_threadpool(
                    store.turns_since, session_id, watch["seq"] or 0, settings=settings
                )
            except DomainError:
                watch["session_id"] = None
                continue
            if watch["session_id"] != session_id:
                continue  # the caller started another conversation meanwhile
            watch["seq"] = last
            async with lock:
                for turn in turns:
                    pushed = _pushed(turn)
                    if pushed is not None:
                        await ws.send_json(pushed)
                if status != "handoff":
                    await ws.send_json({"type": "handoff_end"})
            if status != "handoff":
                watch["session_id"], watch["seq"] = None, None
    except (WebSocketDisconnect, RuntimeError):
        return  # the caller went away; the receive loop ends the socket


def _static(name: str, media_type: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/chat/widget.js", include_in_schema=False)
def widget_js() -> FileResponse:
    return _static("widget.js", "application/javascript; charset=utf-8")


@router.get("/chat/widget.css", include_in_schema=False)
def widget_css() -> FileResponse:
    return _static("widget.css", "text/css; charset=utf-8")


@router.get("/chat/demo", include_in_schema=False)
def widget_demo() -> FileResponse:
    return _static("demo.html", "text/html; charset=utf-8")

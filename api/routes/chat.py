"""Chat endpoints: one message in, the bot's reply out (HTTP and WebSocket), transcripts,
the hand-off queue for agents, and the embeddable web widget's files."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, ValidationError

from api.db import unit_of_work
from api.deps import Principal, SettingsDep, require_role
from api.errors import DomainError
from api.schemas import SESSION_ID_PATTERN, ChatReply, ChatRequest, HandoffPublic, TranscriptPublic
from api.services import chat, handoff
from api.services.registry import get_session_factory
from api.texts import text

log = logging.getLogger(__name__)

router = APIRouter(tags=["chat"])

STATIC = Path(__file__).resolve().parent.parent / "static"


class AgentMessage(BaseModel):
    text: str = Field(max_length=20000)


SessionId = Annotated[str, PathParam(pattern=SESSION_ID_PATTERN)]
Agent = Annotated[Principal, Depends(require_role("agent"))]


@router.post("/api/chat", response_model=ChatReply)
def post_message(body: ChatRequest, settings: SettingsDep) -> ChatReply:
    """Send one caller message; the reply lists the bot's messages, their kind and sources."""
    return chat.respond(body.session_id, body.text, channel="web", metadata=body.metadata, settings=settings)


@router.get("/api/chat/health")
def chat_health(settings: SettingsDep) -> dict[str, Any]:
    """Rasa and action-server reachability; ``mode: degraded`` means knowledge-base-only answers."""
    return chat.status(settings)


@router.get("/api/chat/handoffs", response_model=list[HandoffPublic])
def handoff_queue(settings: SettingsDep, agent: Agent) -> list[HandoffPublic]:
    """Conversations waiting for (or held by) a human agent, oldest first."""
    with unit_of_work(get_session_factory(settings)) as db:
        return handoff.queue(db)


@router.post("/api/chat/{session_id}/accept", response_model=HandoffPublic)
def accept_handoff(session_id: SessionId, settings: SettingsDep, agent: Agent) -> HandoffPublic:
    """An agent takes a handed-off conversation."""
    with unit_of_work(get_session_factory(settings)) as db:
        return handoff.accept(db, session_id=session_id, agent=agent.name)


@router.post("/api/chat/{session_id}/release", response_model=HandoffPublic)
def release_handoff(session_id: SessionId, settings: SettingsDep, agent: Agent) -> HandoffPublic:
    """Give a conversation back to the bot."""
    with unit_of_work(get_session_factory(settings)) as db:
        return handoff.release(db, session_id=session_id, agent=agent.name)


@router.post("/api/chat/{session_id}/agent-message", status_code=204)
def agent_message(session_id: SessionId, body: AgentMessage, settings: SettingsDep, agent: Agent) -> None:
    """An agent's reply in a handed-off conversation; the widget shows it on its next poll."""
    chat.add_agent_turn(session_id, body.text, agent=agent.name, settings=settings)


@router.get("/api/chat/{session_id}/transcript", response_model=TranscriptPublic)
def get_transcript(session_id: SessionId, settings: SettingsDep) -> TranscriptPublic:
    """The stored conversation, phone and ID numbers masked."""
    return chat.transcript(session_id, settings=settings)


@router.websocket("/api/chat/ws")
async def chat_socket(ws: WebSocket) -> None:
    """The widget's channel: send {session_id, text}, receive a ChatReply (or {error, message})."""
    settings = ws.app.state.settings
    await ws.accept()
    try:
        while True:
            raw = await ws.receive_text()
            try:
                body = ChatRequest.model_validate(json.loads(raw))
                reply = await run_in_threadpool(
                    chat.respond, body.session_id, body.text, "web", body.metadata, settings=settings
                )
            except (ValueError, ValidationError):
                await ws.send_json({"error": "invalid_request", "message": text("invalid_request")})
                continue
            except DomainError as exc:
                await ws.send_json({"error": exc.key, "message": text(exc.key, **exc.fmt)})
                continue
            await ws.send_json(reply.model_dump(mode="json"))
    except WebSocketDisconnect:
        return


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

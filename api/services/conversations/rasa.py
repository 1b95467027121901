"""The dialogue's side of a turn: Rasa's REST webhook, its messages rendered as a reply, its health.

The ``custom`` payload of each Rasa message carries its kind, sources, work-order number, hand-off
or rating; ``render`` turns the messages into a ``ChatReply`` plus the details the store keeps.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import httpx

from api.schemas import ChatMessage, ChatReply, HandoffInfo, QuickReply, SourcePublic
from api.settings import Settings, get_settings
from api.texts import text as t
from vocab.terms import REPLY_KINDS

__all__ = ["RasaUnavailable", "ask", "render", "status"]


class RasaUnavailable(RuntimeError):
    """Rasa (or its action server) gave no usable reply."""


_clients: dict[int, httpx.Client] = {}
_clients_lock = threading.Lock()


def _client() -> httpx.Client:
    """One pooled client per process (keep-alive connections to Rasa instead of one per turn)."""
    pid = os.getpid()  # a forked worker must not share its parent's sockets
    with _clients_lock:
        client = _clients.get(pid)
        if client is None:
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
            client = _clients[pid] = httpx.Client(limits=limits)
        return client


def ask(settings: Settings, session_id: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """POST the message to Rasa's REST channel; any failure becomes RasaUnavailable."""
    url = settings.rasa_url.rstrip("/") + "/webhooks/rest/webhook"
    try:
        resp = _client().post(
            url,
            json={"sender": session_id, "message": text, "metadata": metadata},
            timeout=settings.rasa_timeout_s,
        )
        resp.raise_for_status()
        messages = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RasaUnavailable(type(exc).__name__) from exc
    if not isinstance(messages, list) or not messages:
        # Rasa answers [] when a custom action failed (action server down): treat it as down.
        raise RasaUnavailable("empty reply")
    return messages


def render(session_id: str, messages: Sequence[dict[str, Any]]) -> tuple[ChatReply, dict[str, Any]]:
    """Turn Rasa's REST messages into a reply, plus the payload details the service persists.

    Rasa sends a response's text (with buttons) and its ``custom`` part as two messages; the
    custom part belongs to the text just before it. The reply's kind is the kind of its last
    message that has one.
    """
    replies: list[ChatMessage] = []
    attached: list[bool] = []
    extra: dict[str, Any] = {}
    sources: list[SourcePublic] = []
    reply = ChatReply(session_id=session_id, replies=[], kind="abstain")
    for raw in messages:
        if not isinstance(raw, dict):
            continue
        if raw.get("text") or raw.get("buttons"):
            buttons = [
                QuickReply(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
                for b in raw.get("buttons") or []
                if isinstance(b, dict)
            ]
            replies.append(ChatMessage(text=str(raw.get("text") or ""), buttons=buttons))
            attached.append(False)
        custom = raw.get("custom")
        if not isinstance(custom, dict):
            continue
        if not replies or attached[-1]:
            replies.append(ChatMessage(text=""))
            attached.append(False)
        attached[-1] = True
        msg = replies[-1]
        if custom.get("kind") in REPLY_KINDS:
            msg.kind = custom["kind"]
        msg.sources = [SourcePublic(**s) for s in custom.get("sources") or [] if isinstance(s, dict)]
        sources += msg.sources
        if custom.get("ticket_id"):
            reply.ticket_id = str(custom["ticket_id"])
        if isinstance(custom.get("handoff"), dict):
            info = custom["handoff"]
            reply.handoff = HandoffInfo(status=info.get("status", "waiting"), reason=info.get("reason"))
            extra["handoff_slots"] = info.get("slots") or {}
        if custom.get("rating"):
            extra["rating"] = str(custom["rating"])
        if custom.get("rating_request"):
            reply.rating_requested = True
    reply.replies = [m for m in replies if m.text or m.buttons]
    kinds = [m.kind for m in replies if m.kind]
    reply.kind = kinds[-1] if kinds else "abstain"
    reply.sources = sources
    if not reply.replies:
        reply.replies = [ChatMessage(text=t("chat_empty_reply"), kind=reply.kind, speaker="system")]
    return reply, extra


def status(settings: Settings | None = None, *, timeout: float = 1.5) -> dict[str, Any]:
    """Whether Rasa and the action server answer; ``mode`` is degraded (and ``ok`` false) when either is down.

    The API's /api/health reads this; while degraded the knowledge base still answers.
    """
    settings = settings or get_settings()
    checks = {
        "rasa": settings.rasa_url.rstrip("/") + "/",
        "actions": settings.action_health_url,
    }
    result: dict[str, Any] = {}
    for name, url in checks.items():
        try:
            result[name] = "up" if httpx.get(url, timeout=timeout).status_code == 200 else "down"
        except httpx.HTTPError:
            result[name] = "down"
    result["mode"] = "full" if all(v == "up" for v in result.values()) else "degraded"
    result["ok"] = result["mode"] == "full"
    return result

"""One caller message in, the reply out: validate -> store -> dialogue -> store.

The caller's turn is stored first (one transaction, or the outbox while the database is down),
then the dialogue answers: Rasa, or the fallback when Rasa or its actions are down. A conversation
handed to a human is not forwarded: the bot stays silent until an agent releases it. The bot's
turns are stored in a second transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from api.schemas import ChatMessage, ChatReply, HandoffInfo
from api.services.conversations import durable, fallback, rasa, store
from api.services.provisional import provisional_reference
from api.settings import Settings, get_settings
from api.texts import text as t
from knowledge.heard import recover
from knowledge.regions import extract_region
from vocab.terms import channel_or_default
from voice.heard import rule_places

log = logging.getLogger(__name__)

__all__ = ["respond"]


def _turn_of(msg: ChatMessage) -> dict[str, Any]:
    data: dict[str, Any] = (
        {"sources": [s.model_dump(mode="json") for s in msg.sources]} if msg.sources else {}
    )
    if msg.buttons:
        data["buttons"] = [b.model_dump() for b in msg.buttons]
    return {"speaker": msg.speaker, "text": msg.text, "kind": msg.kind, "data": data}


def _waiting(session_id: str, state: store.State) -> ChatReply:
    """The reply while a human has the conversation: no bot message (the agent answers), only the
    hand-off state, so the caller's screen shows who has the conversation."""
    return ChatReply(
        session_id=session_id,
        kind="abstain",
        handoff=HandoffInfo(status="active" if state.held_by_agent else "waiting", agent=state.agent),
        replies=[],
    )


def respond(
    session_id: str,
    text: str,
    channel: str = "web",
    metadata: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
) -> ChatReply:
    """Handle one caller message of ``session_id`` and return what to show or say."""
    settings = settings or get_settings()
    session_id = store.check_session_id(session_id)
    text = store.check_message(text, settings.chat_max_chars)
    line = channel_or_default(channel)
    # What the dialogue reads: place names and terms mistyped or misheard by sound put back (验太 ->
    # 烟台); the store keeps the caller's own words.
    meant = recover(text, places=rule_places(str(settings.kb_entries_dir)), strict=True)
    named = extract_region(meant)
    # A button press is stored as what the caller saw on the button, not the payload.
    display = str((metadata or {}).get("display") or "")[:200] if text.startswith("/") else ""
    caller_turn = {
        "speaker": "caller",
        "text": display or text,
        "data": {"payload": text} if display else None,
    }
    said = durable.write(
        settings, {"session_id": session_id, "channel": line, "turns": [caller_turn], "region": named}
    )
    state = said.state

    extra: dict[str, Any] = {}
    if state.handed:
        reply = _waiting(session_id, state)
    else:
        try:
            messages = rasa.ask(settings, session_id, meant, {**(metadata or {}), "channel": line})
            reply, extra = rasa.render(session_id, messages)
        except rasa.RasaUnavailable as exc:
            log.warning("chat.rasa.unavailable session=%s error=%s", session_id, exc)
            reply = fallback.reply(settings, session_id, meant, line, state, named)

    write: dict[str, Any] = {
        "session_id": session_id,
        "channel": line,
        "ticket_number": reply.ticket_id,
        "rating": extra.get("rating"),
    }
    if reply.handoff is not None and reply.handoff.status == "waiting" and not state.handed:
        slots = {**extra.get("handoff_slots", {}), "region": state.region}
        write["handoff"] = {"reason": reply.handoff.reason or "caller_request", "slots": slots}

    def bot_turns(key: str | None) -> None:
        """The bot's turns; a queued hand-off also tells the caller it is noted and will be served."""
        if key is not None and write.get("handoff"):
            ref = provisional_reference(key)
            reply.replies.append(ChatMessage(text=t("chat_queued_handoff", ref=ref), speaker="system"))
        write["turns"] = [_turn_of(msg) for msg in reply.replies]

    bot_turns(None)
    durable.write(settings, write, after=said, before_queue=bot_turns)
    log.info(
        "chat.reply session=%s kind=%s degraded=%s handoff=%s",
        session_id,
        reply.kind,
        reply.degraded,
        reply.handoff.status if reply.handoff else None,
    )
    return reply

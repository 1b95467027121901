"""The dialogue when Rasa or its action server is down: a human on request, a work order when the
caller leaves a phone number, else the knowledge base answers directly.
"""

from __future__ import annotations

import logging
import re
from zoneinfo import ZoneInfo

from api.privacy import mask_phone
from api.schemas import ChatMessage, ChatReply, HandoffInfo, TicketCreate
from api.services import tickets
from api.services.conversations import handoff
from api.services.conversations.store import State
from api.services.knowledge import answer
from api.services.provisional import queued_ticket_text
from api.settings import Settings
from api.texts import text as t
from knowledge.regions import region_table
from vocab.patterns import MOBILE_RE
from vocab.terms import Channel

log = logging.getLogger(__name__)

__all__ = ["reply"]

_HUMAN_RE = re.compile(r"转人工|人工服务|人工客服|找人工|真人|转接人工|^/request_human")


def reply(
    settings: Settings, session_id: str, text: str, channel: Channel, state: State, named: str | None
) -> ChatReply:
    """Answer without Rasa: ``named`` is the region said in ``text``; ``state`` the conversation so far."""
    out = ChatReply(session_id=session_id, replies=[], kind="abstain", degraded=True)
    if _HUMAN_RE.search(text):
        return _human(settings, out)
    phone = MOBILE_RE.search(text)
    if phone and state.history:
        try:
            return _order(settings, out, phone.group(0), text, state, channel)
        except Exception:
            log.exception("chat.degraded.ticket_failed session=%s", session_id)
    question = text
    if named and state.last_kind == "clarify_region" and state.history:
        question = state.history[-1]  # the question that waited for the region
    try:
        result = answer(question, region=named or state.region, audience="public", history=state.history)
    except Exception:
        log.exception("chat.degraded.kb_failed session=%s", session_id)
        out.replies = [ChatMessage(text=t("chat_degraded_failed"), kind="abstain", speaker="system")]
        return out
    out.kind = result.kind
    out.sources = list(result.sources)
    out.replies = [
        ChatMessage(text=result.text, kind=result.kind, sources=list(result.sources)),
        ChatMessage(text=t("chat_degraded_note"), speaker="system"),
    ]
    return out


def _human(settings: Settings, out: ChatReply) -> ChatReply:
    if handoff.staffed_now(settings):
        out.handoff = HandoffInfo(status="waiting", reason="caller_request")
        out.replies = [ChatMessage(text=t("chat_handoff_waiting"), kind="abstain", speaker="system")]
        return out
    out.handoff = HandoffInfo(status="offline", reason="caller_request")
    offline = t(
        "chat_degraded_offline", hours=settings.staffed_hours, promise_hours=settings.callback_promise_hours
    )
    out.replies = [ChatMessage(text=offline, kind="abstain", speaker="system")]
    return out


def _name_in(text: str) -> str:
    """What is left of a 'name + number' message once the number and the filler words are gone."""
    return re.sub(r"[\d\s，,。：:、]|我叫|我是|电话|手机|号码|是", "", text)[:8]


def _order(
    settings: Settings, out: ChatReply, phone: str, text: str, state: State, channel: Channel
) -> ChatReply:
    data = TicketCreate(
        category="咨询",
        topic="智能助手不可用时留言",
        caller_name=_name_in(text),
        caller_phone=phone,
        region=region_table().display(state.region) if state.region else "",
        description="智能对话服务不可用期间来电人所述：" + "；".join(state.history[-3:])[-3000:],
        channel=channel,
        conversation_id=out.session_id,
    )
    result = tickets.open_order(settings, data, actor="bot", channel="api")
    out.kind, out.ticket_id = "ticket", result.number
    if result.ticket is None:  # the database is down too: the order waits in the outbox
        said = queued_ticket_text(settings, result.number, phone)
    else:
        due = result.ticket.due_at.astimezone(ZoneInfo(settings.timezone)).strftime("%m月%d日%H:%M")
        said = t("chat_degraded_ticket", number=result.number, phone=mask_phone(phone), due=due)
    out.replies = [ChatMessage(text=said, kind="ticket", speaker="system")]
    return out

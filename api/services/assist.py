"""Live agent assist (智能坐席助手): suggested answers, the 一次性告知 checklist, and feedback.

Works on any stored conversation (web chat, phone calls written by the IVR, agent chats) by
its session id. Retrieval is the knowledge service's: ``answer`` (with its 参保地 and
follow-up handling) decides the best answer to the caller's latest words, ``search_entries``
fills the other places. The checklist is the inspection library's one-time-notice rule turned
around: the points the rule will later check (``notice_points`` of the rule set) for the
entry of the detected topic, each marked told once an agent's turn covers it.

Agents mark a suggestion useful or not (one vote per conversation, entry and agent); the
counts per entry tell supervisors and editors which answers help and which need rework.
The conversation view for the agent masks phone and ID numbers unless the viewer holds the
conversation or is a supervisor, as work orders do for their assignee.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from api.db import unit_of_work
from api.models.conversations import Conversation, Turn
from api.privacy import mask_phone, mask_text
from api.schemas import HandoffPublic, SourcePublic, TranscriptTurn, TurnPublic
from api.services.conversations import store
from api.services.registry import get_session_factory
from api.settings import Settings, get_settings
from vocab.patterns import MOBILE_RE

log = logging.getLogger(__name__)

__all__ = [
    "AssistView",
    "ChecklistItem",
    "ConversationView",
    "Suggestion",
    "TicketDraft",
    "conversation_view",
    "signature",
    "suggest",
]

RECENT_CALLER_TURNS = 4  # the caller's last few utterances drive the suggestions
MAX_SUGGESTIONS = 3
_REGION_BONUS = 0.05  # dense-score bonus of a rule that applies to the caller's 参保地
_PRIVILEGED_ROLES = ("supervisor", "admin")
_HUMAN_ONLY_RE = re.compile(
    r"\s*(请|我要|帮我)?(转接人工|转人工|找人工|人工服务|人工客服|人工|真人)[。！!，,吧]*\s*"
)


# --- Schemas (assist only; kept beside the service that fills them) -------------------------------


class Suggestion(BaseModel):
    """One suggested answer: a curated entry, its text for the caller and where it comes from."""

    entry_id: str
    title: str
    answer: str
    topic: str | None = None
    region: str | None = None
    region_name: str = "全国"
    applies: bool = True  # the entry's region covers the caller's 参保地 (or either is unknown)
    score: float = 0.0
    decided: bool = False  # the knowledge service itself would give this answer
    source: str = ""
    sources: list[SourcePublic] = Field(default_factory=list)


class ChecklistItem(BaseModel):
    """One point of 一次性告知 (materials, channel, time limit ...) and whether an agent told it."""

    key: str
    label: str
    value: str
    required: bool  # checked by the inspection rule set (``notice_points``)
    told: bool


class AssistView(BaseModel):
    """What the assist panel shows for a conversation at transcript position ``last_seq``."""

    session_id: str
    channel: str
    status: str
    last_seq: int
    query: str = ""
    region: str | None = None
    region_name: str = ""
    topic: str | None = None
    suggestions: list[Suggestion] = Field(default_factory=list)
    checklist_entry: str | None = None
    checklist: list[ChecklistItem] = Field(default_factory=list)


class TicketDraft(BaseModel):
    """A work order pre-filled from the conversation (fields of ``TicketCreate``)."""

    category: str = "咨询"
    topic: str
    region: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    description: str
    channel: str = "web"
    conversation_id: str
    transcript: list[TranscriptTurn] = Field(default_factory=list)


class ConversationView(HandoffPublic):
    """A conversation as the agent workspace shows it: the queue entry plus transcript and a
    work-order draft."""

    held_by_viewer: bool = False
    unmasked: bool = False
    region: str | None = None
    region_name: str = ""
    ticket_id: str | None = None
    turns: list[TurnPublic] = Field(default_factory=list)
    draft: TicketDraft


# --- Reading the conversation ----------------------------------------------------------------------


def signature(session_id: str, *, settings: Settings | None = None) -> tuple[int, str, str | None]:
    """(last turn, status, agent) of a conversation: cheap to poll, changes whenever the view would."""
    settings = settings or get_settings()
    with unit_of_work(get_session_factory(settings)) as db:
        conv = store.load(db, session_id)
        return store.last_seq(db, conv), conv.status, conv.agent


def _caller_texts(turns: Sequence[Turn]) -> list[str]:
    """What the caller said, in order: button presses and bare 转人工 requests carry no question."""
    return [
        t.text
        for t in turns
        if t.speaker == "caller"
        and t.text
        and not t.text.startswith("/")
        and not (t.data or {}).get("payload")
        and not _HUMAN_ONLY_RE.fullmatch(t.text)
    ]


def _caller_region(conv: Conversation, caller: Sequence[str]) -> str | None:
    """The 参保地: the latest one the caller named, else the one the chat service stored."""
    from knowledge.regions import extract_region

    for said in reversed(caller):
        found = extract_region(said)
        if found:
            return found
    return conv.region


# --- Suggestions and the checklist -----------------------------------------------------------------


def _suggestion_from_doc(doc: Any, score: float, region: str | None) -> Suggestion:
    from knowledge.regions import region_table

    table = region_table()
    entry_id = doc.key.split(":", 1)[1]
    return Suggestion(
        entry_id=entry_id,
        title=doc.title,
        answer=doc.answer,
        topic=doc.topic or None,
        region=doc.region,
        region_name=table.display(doc.region) if doc.region else "全国",
        applies=region is None or doc.region is None or table.applies(doc.region, region),
        score=round(float(score), 4),
        source=doc.source,
        sources=[
            SourcePublic(
                id=entry_id,
                title=doc.title,
                region=doc.region,
                score=round(float(score), 4),
                source=doc.source,
            )
        ],
    )


def _rank(
    question: str, history: Sequence[str], region: str | None, settings: Settings
) -> tuple[list[Suggestion], str | None, str]:
    """Top suggestions for the caller's latest words, the detected topic, and the text searched."""
    from api.services.knowledge import answer, get_answerer, get_knowledge_base, search_entries

    decided = answer(question, region=region, audience="agent", history=history, settings=settings)
    query = get_answerer(settings).search_text(question, history)
    found: list[Suggestion] = []
    if decided.kind == "answer" and decided.entry_id:
        doc = get_knowledge_base(settings).docs.get(f"entry:{decided.entry_id}")
        if doc is not None:
            first = _suggestion_from_doc(doc, decided.confidence, region)
            first.answer, first.decided, first.sources = decided.text, True, list(decided.sources)
            found.append(first)
    hits = search_entries(query, k=MAX_SUGGESTIONS * 4, audience="agent", settings=settings)
    others = [
        _suggestion_from_doc(doc, score, region)
        for doc, score in hits
        if score >= settings.assist_min_score and all(doc.key != f"entry:{s.entry_id}" for s in found)
    ]
    # Rules of the caller's 参保地 (or national ones) go ahead of other regions' equally close rules.
    others.sort(key=lambda s: -(s.score + (_REGION_BONUS if s.applies else 0.0)))
    found += others
    topic = decided.topic or (found[0].topic if found else None)
    return found[:MAX_SUGGESTIONS], topic, query


def _checklist(doc_points: dict[str, str], agent_said: str, settings: Settings) -> list[ChecklistItem]:
    """The one-time-notice points of an entry, the rule set's required ones first, each told or not."""
    from api.services.inspection import get_inspector
    from inspection.rules.one_time_notice import POINT_LABELS, covered

    wanted = [str(k) for k in get_inspector(settings).ruleset.param("notice_points")]
    keys = [k for k in wanted if doc_points.get(k)] + [
        k for k in doc_points if k not in wanted and doc_points[k]
    ]
    return [
        ChecklistItem(
            key=k,
            label=POINT_LABELS.get(k, k),
            value=str(doc_points[k]),
            required=k in wanted,
            told=bool(agent_said) and covered(k, str(doc_points[k]), agent_said),
        )
        for k in keys
    ]


def suggest(session_id: str, *, settings: Settings | None = None) -> AssistView:
    """Top suggested answers with sources and the 一次性告知 checklist for a conversation now."""
    from knowledge.regions import region_table

    settings = settings or get_settings()
    with unit_of_work(get_session_factory(settings)) as db:
        conv = store.load(db, session_id)
        turns = list(conv.turns)
        view = AssistView(
            session_id=conv.session_id,
            channel=conv.channel,
            status=conv.status,
            last_seq=turns[-1].seq if turns else 0,
        )
        caller = _caller_texts(turns)[-RECENT_CALLER_TURNS:]
        region = _caller_region(conv, _caller_texts(turns))
        agent_said = "".join(t.text for t in turns if t.speaker == "agent")
    view.region = region
    view.region_name = region_table().display(region) if region else ""
    if not caller:
        return view
    # The latest words first; when they hold no question (a name, a thank-you), the ones before.
    for i in range(len(caller) - 1, -1, -1):
        suggestions, topic, query = _rank(caller[i], caller[:i], region, settings)
        if suggestions:
            break
    view.suggestions, view.topic, view.query = suggestions, topic, query
    if suggestions:
        from api.services.knowledge import get_knowledge_base

        doc = get_knowledge_base(settings).docs.get(f"entry:{suggestions[0].entry_id}")
        if doc is not None and doc.points:
            view.checklist_entry = suggestions[0].entry_id
            view.checklist = _checklist(dict(doc.points), agent_said, settings)
    log.info(
        "assist.suggest session=%s seq=%s entries=%s",
        view.session_id,
        view.last_seq,
        ",".join(s.entry_id for s in suggestions),
    )
    return view


# --- The conversation as the agent sees it -----------------------------------------------------------


def _draft(
    conv: Conversation, turns: Sequence[Turn], slots: dict[str, Any], region: str | None
) -> TicketDraft:
    """A work order pre-filled from the hand-off slots and the matter's turns (phone masked later if
    needed): the phone number may come from anywhere in the conversation, the description and the
    transcript only from the matter that was handed over."""
    from knowledge.regions import region_table

    everything = _caller_texts(turns)
    phone = str(slots.get("ticket_phone") or "")
    if not phone:
        found = next((m.group(0) for said in reversed(everything) if (m := MOBILE_RE.search(said))), "")
        phone = found
    turns = _matter(conv, turns)
    caller = _caller_texts(turns)
    asked = [str(slots["pending_question"])] if slots.get("pending_question") else []
    said = [c for c in caller if c not in asked]
    description = "；".join([*asked, *said])[-1500:] or "来电人转人工咨询"
    return TicketDraft(
        topic=str(slots.get("topic") or "人工坐席转办")[:64],
        region=region_table().display(region) if region else "",
        caller_name=str(slots.get("ticket_name") or "")[:64],
        caller_phone=phone,
        description="来电人诉求：" + description,
        channel=conv.channel if conv.channel in ("phone", "web") else "web",
        conversation_id=conv.session_id,
        transcript=[
            TranscriptTurn(speaker=t.speaker, text=t.text[:5000], time=t.created_at.isoformat())
            for t in turns[-200:]
        ],
    )


def _matter(conv: Conversation, turns: Sequence[Turn]) -> Sequence[Turn]:
    """The turns about the matter handed over: what follows the bot's last settled answer before the
    latest hand-off request (an answered question was settled; the whole conversation when the bot
    answered nothing before it, or when it was never handed over)."""
    if conv.handoff_at is None:
        return turns
    handed = conv.handoff_at.replace(tzinfo=None)
    settled = [
        i
        for i, t in enumerate(turns)
        if t.speaker == "bot" and t.kind == "answer" and t.created_at.replace(tzinfo=None) <= handed
    ]
    return turns[settled[-1] + 1 :] if settled else turns


def conversation_view(
    session_id: str, *, viewer: str, role: str, settings: Settings | None = None
) -> ConversationView:
    """Transcript, slots and a work-order draft; numbers masked unless the viewer holds the conversation."""
    from knowledge.regions import region_table

    settings = settings or get_settings()
    with unit_of_work(get_session_factory(settings)) as db:
        conv = store.load(db, session_id)
        turns = list(conv.turns)
        slots = dict(conv.handoff_slots or {})
        region = _caller_region(conv, _caller_texts(turns)) or slots.get("region")
        held = conv.agent is not None and conv.agent == viewer
        unmasked = held or role in _PRIVILEGED_ROLES
        draft = _draft(conv, turns, slots, region)
        view = ConversationView(
            session_id=conv.session_id,
            channel=conv.channel,
            status=conv.status,
            reason=conv.handoff_reason,
            requested_at=conv.handoff_at,
            agent=conv.agent,
            held_by_viewer=held,
            unmasked=unmasked,
            region=region,
            region_name=region_table().display(region) if region else "",
            ticket_id=conv.ticket_number,
            slots=slots,
            turns=store.public_turns(turns, masked=not unmasked),
            draft=draft,
        )
    if not unmasked:
        view.slots = {k: mask_phone(str(v)) if k == "ticket_phone" else v for k, v in slots.items()}
        view.draft = draft.model_copy(
            update={
                "caller_phone": mask_phone(draft.caller_phone),
                "description": mask_text(draft.description),
                "transcript": [t.model_copy(update={"text": mask_text(t.text)}) for t in draft.transcript],
            }
        )
    return view

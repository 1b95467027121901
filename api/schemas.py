"""Pydantic schemas of the service layer and the API (apart from storage models)."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vocab.terms import AnswerKind, Channel, Rating, ReplyKind


class SourcePublic(BaseModel):
    """Where an answer comes from, shown to the caller beside it."""

    id: str
    title: str
    region: str | None = None
    score: float = 0.0
    source: str = ""


class AnswerPublic(BaseModel):
    """The result of ``api.services.knowledge.answer``."""

    kind: AnswerKind
    text: str
    sources: list[SourcePublic] = Field(default_factory=list)
    confidence: float = 0.0
    topic: str | None = None
    region: str | None = None
    entry_id: str | None = None
    points: dict[str, str] = Field(default_factory=dict)


# --- Work orders (工单) -------------------------------------------------------------------------
# Statuses, categories and priorities are the Chinese words stored in the database; see
# api/services/tickets/states.py for the state machine.

TicketCategory = Literal["咨询", "求助", "投诉", "举报", "建议", "表扬"]
TicketChannel = Channel
TicketPriority = Literal["一般", "紧急", "特急"]
Satisfaction = Rating


class TicketStatus(StrEnum):
    """Where a work order stands; the value is the word stored in the database and shown to people."""

    NEW = "新建"
    ASSIGNED = "已分派"
    IN_PROGRESS = "处理中"
    RESOLVED = "已办结"
    CALLED_BACK = "已回访"
    ARCHIVED = "已归档"
    ON_HOLD = "挂起"
    RETURNED = "退回"
    REOPENED = "重开"


class TranscriptTurn(BaseModel):
    """One turn of the conversation a work order came from."""

    speaker: str = Field(min_length=1, max_length=32)
    text: str = Field(max_length=5000)
    time: str | None = Field(default=None, max_length=40)


class TicketCreate(BaseModel):
    """What the bot, the widget or an agent submits to open a work order.

    The phone number is stored as digits only (a leading +86 of a mobile dropped), so the
    duplicate check and the caller's last-four-digits lookup do not depend on formatting.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    category: TicketCategory
    topic: str = Field(min_length=1, max_length=64)
    region: str = Field(default="", max_length=64)
    caller_name: str = Field(default="", max_length=64)
    caller_phone: str = Field(min_length=3, max_length=32, pattern=r"^[0-9+\-() ]+$")
    description: str = Field(min_length=1, max_length=5000)
    channel: TicketChannel = "web"
    priority: TicketPriority | None = None
    transcript: list[TranscriptTurn] | None = Field(default=None, max_length=500)
    conversation_id: str | None = Field(default=None, max_length=64)
    related: list[str] | None = Field(default=None, max_length=20)
    # The order this one follows up (a 不满意 rating of the service that order came from).
    follow_up_of: str | None = Field(default=None, max_length=20)

    @field_validator("caller_phone")
    @classmethod
    def _phone_digits(cls, value: str) -> str:
        digits = re.sub(r"\D", "", value)
        if len(digits) == 13 and digits.startswith("861"):
            digits = digits[2:]
        if not 7 <= len(digits) <= 15:
            raise ValueError("caller_phone must have 7 to 15 digits")
        return digits


class TicketUpdate(BaseModel):
    """A status change requested by an agent, always with a comment in the history."""

    status: TicketStatus
    comment: str = Field(default="", max_length=2000)


class TicketAssign(BaseModel):
    """Dispatch (派单) to a department, optionally to a named person there."""

    department: str = Field(min_length=1, max_length=64)
    assignee: str | None = Field(default=None, max_length=64)
    comment: str = Field(default="", max_length=2000)


class CallbackCreate(BaseModel):
    """The result of a 回访; no satisfaction means the caller could not be reached."""

    result: str = Field(min_length=1, max_length=2000)
    satisfaction: Satisfaction | None = None


class EventPublic(BaseModel):
    """One entry of a work order's history."""

    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    kind: str
    actor: str
    channel: str
    from_status: str | None = None
    to_status: str | None = None
    comment: str = ""
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("data", mode="before")
    @classmethod
    def _no_data(cls, value: Any) -> Any:
        return {} if value is None else value


class CallbackPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    actor: str
    result: str
    satisfaction: Satisfaction | None = None


class TicketSummary(BaseModel):
    """A work order as listed and exported (no history); read from the stored row as it is.

    ``conversation_id`` is the session id of the conversation (chat session or phone call) the
    order came from, so the console can open that conversation beside it.
    """

    model_config = ConfigDict(from_attributes=True)

    number: str
    category: TicketCategory
    topic: str
    region: str
    caller_name: str
    caller_phone: str
    description: str
    channel: str
    priority: TicketPriority
    department: str | None = None
    assignee: str | None = None
    status: TicketStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    due_at: dt.datetime
    closed_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    satisfaction: Satisfaction | None = None
    overdue: bool = False
    conversation_id: str | None = None


class TicketPublic(TicketSummary):
    """A work order with its history, callbacks, transcript and related orders.

    ``duplicate`` is true only in the answer to a creation that was linked to an open order
    of the same caller and topic instead of opening a new one.
    """

    events: list[EventPublic] = Field(default_factory=list)
    callbacks: list[CallbackPublic] = Field(default_factory=list)
    # Only the turns about this order's matter (from where its intake started), per conversation.
    transcript: list[TranscriptTurn] = Field(default_factory=list)
    # Call recordings (paths under the data directory) of the phone calls behind the order.
    recordings: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    duplicate: bool = False


class TicketList(BaseModel):
    items: list[TicketSummary]
    total: int
    limit: int
    offset: int


class ProgressStep(BaseModel):
    """One status change as the caller sees it (no internal comments)."""

    at: dt.datetime
    status: TicketStatus


class TicketMasked(BaseModel):
    """What a caller sees of their own order: progress, not other people's notes."""

    model_config = ConfigDict(from_attributes=True)

    number: str
    category: TicketCategory
    topic: str
    status: TicketStatus
    department: str | None = None
    caller_name: str
    caller_phone: str
    created_at: dt.datetime
    due_at: dt.datetime
    closed_at: dt.datetime | None = None
    progress: list[ProgressStep] = Field(default_factory=list)
    duplicate: bool = False


# --- Chat (api/services/conversations) ------------------------------------------------------------
# Reply kinds the evaluator and the widget read; see docs/dialogue.md for how each arises.
ChatKind = ReplyKind
SESSION_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"


class ChatRequest(BaseModel):
    """One message from a channel adapter; the length limit is checked by the service."""

    session_id: str = Field(pattern=SESSION_ID_PATTERN)
    text: str = Field(max_length=20000)
    metadata: dict[str, Any] | None = None


class QuickReply(BaseModel):
    title: str
    payload: str


class ChatMessage(BaseModel):
    """One bot (or system) message: text, optional buttons, its kind and sources."""

    text: str = ""
    buttons: list[QuickReply] = Field(default_factory=list)
    kind: ChatKind | None = None
    sources: list[SourcePublic] = Field(default_factory=list)
    speaker: Literal["bot", "system", "agent"] = "bot"


class HandoffInfo(BaseModel):
    """Hand-off state in a reply: waiting for an agent, or offline (callback offered)."""

    status: Literal["waiting", "active", "offline"]
    reason: str | None = None
    agent: str | None = None  # the display name of the agent who has joined


class ChatReply(BaseModel):
    """What a channel adapter renders for one caller message."""

    session_id: str
    replies: list[ChatMessage]
    kind: ChatKind
    sources: list[SourcePublic] = Field(default_factory=list)
    ticket_id: str | None = None
    handoff: HandoffInfo | None = None
    rating_requested: bool = False
    degraded: bool = False  # True when Rasa was unreachable and the knowledge base answered alone


class TurnPublic(BaseModel):
    seq: int
    speaker: str
    text: str
    kind: str | None = None
    at: dt.datetime
    agent: str | None = None  # the agent's display name on an agent's turn or a hand-off event
    event: Literal["joined", "left"] | None = None  # on a hand-off event: an agent joined or left
    sources: list[SourcePublic] = Field(default_factory=list)  # a bot answer's sources
    buttons: list[QuickReply] = Field(default_factory=list)  # the quick replies a bot turn offered


class TranscriptPublic(BaseModel):
    """A conversation as shown back to its caller (numbers masked)."""

    session_id: str
    channel: str
    status: str
    region: str | None = None
    rating: str | None = None
    ticket_id: str | None = None
    agent: str | None = None  # the agent holding a handed-off conversation
    turns: list[TurnPublic]


class HandoffPublic(BaseModel):
    """A conversation handed to a human, as the agent workspace lists it."""

    session_id: str
    channel: str
    status: str
    reason: str | None = None
    reason_label: str | None = None  # the reason in Chinese, for the queue (api.texts handoff_reason_*)
    requested_at: dt.datetime | None = None
    waiting_s: int | None = None  # seconds since the hand-off was requested, when this was read
    agent: str | None = None
    slots: dict[str, Any] = Field(default_factory=dict)
    preview: str | None = None  # the caller's last message, numbers masked (queue listings only)


class SttWord(BaseModel):
    """One recognised word with its time in the recording (seconds) and the recogniser's confidence."""

    word: str
    start: float
    end: float
    conf: float


class SttResult(BaseModel):
    """What ``POST /api/stt`` returns: normalised text, the recogniser's own text, word timings."""

    text: str
    raw_text: str
    words: list[SttWord] = Field(default_factory=list)
    duration: float
    sample_rate: int


# Quality inspection (智能质检): input transcripts, results, reviews and team reports.
QaSpeaker = Literal["agent", "caller", "bot"]
QaSeverity = Literal["致命", "严重", "一般"]
QaReviewAction = Literal["confirm", "overrule"]
QaReportGroup = Literal["agent", "rule", "day"]


class QaTurnIn(BaseModel):
    """One utterance of a transcript; times in seconds from the start (absent for chat)."""

    speaker: QaSpeaker
    text: str = Field(max_length=5000)
    start: float | None = Field(default=None, ge=0)
    end: float | None = Field(default=None, ge=0)


class QaTranscriptIn(BaseModel):
    """The inspection input format; ``date`` (the call's day) is optional, default: today."""

    id: str = Field(min_length=1, max_length=128)
    channel: str = Field(default="phone", min_length=1, max_length=16)
    agent_id: str | None = Field(default=None, max_length=64)
    turns: list[QaTurnIn] = Field(max_length=2000)
    date: dt.date | None = None


class QaFindingPublic(BaseModel):
    """A finding as stored: the ``--json`` fields plus its id and review state."""

    id: int | None = None
    rule: str
    category: str
    severity: QaSeverity
    points: float
    turns: list[int]
    evidence: list[str]
    detail: str = ""
    kb_entry: str | None = None
    review_status: str = "pending"
    reviewed_by: str | None = None
    review_comment: str | None = None


class QaResultPublic(BaseModel):
    """One scoring of a transcript; ``reviewed_*`` leave out the findings a supervisor overruled."""

    id: int | None = None
    transcript_id: str
    channel: str
    agent_id: str | None = None
    call_date: dt.date
    score: float
    passed: bool
    reviewed_score: float
    reviewed_passed: bool
    ruleset_version: str
    kb_checked: bool
    scored_at: dt.datetime
    findings: list[QaFindingPublic] = Field(default_factory=list)
    transcript: dict[str, Any] | None = None


class QaResultList(BaseModel):
    items: list[QaResultPublic]
    total: int


class QaReviewIn(BaseModel):
    """A supervisor's decision on one finding; the comment says why."""

    action: QaReviewAction
    comment: str = Field(min_length=1, max_length=1000)


class QaCategoryScore(BaseModel):
    """Precision and recall of one category on the labelled calls, with the current and the new thresholds."""

    category: str
    support: int
    before_precision: float | None = None
    before_recall: float | None = None
    after_precision: float | None = None
    after_recall: float | None = None


class QaCalibrationProposal(BaseModel):
    """A recalibration computed but not yet applied: ``apply`` with its ``id`` makes it current."""

    id: str
    before: dict[str, float]
    after: dict[str, float]
    categories: list[QaCategoryScore]
    labelled_calls: int
    reviewed_sentences: int
    source: str


class QaCalibrationApplyIn(BaseModel):
    id: str = Field(min_length=8, max_length=64)


class QaRuleOverrules(BaseModel):
    """How often a rule's findings were confirmed or overruled (a bad rule shows here)."""

    rule: str
    category: str
    findings: int
    confirmed: int
    overruled: int
    overrule_rate: float


class QaReportRow(BaseModel):
    """One line of a team report: an agent, a rule or a day."""

    key: str
    results: int
    average_score: float
    pass_rate: float
    findings: int
    points: float


class QaReport(BaseModel):
    group_by: QaReportGroup
    since: dt.date | None = None
    until: dt.date | None = None
    rows: list[QaReportRow]


# --- Supervisor dashboard and call-volume forecast (api/services/dashboard.py, forecast.py) ---------


class CountRow(BaseModel):
    """One bar of a count chart: a key (channel, status, topic, rating) and how many."""

    key: str
    count: int


class HourRow(BaseModel):
    """Contacts in one local hour of the day (0-23), split by channel."""

    hour: int
    total: int
    channels: dict[str, int] = Field(default_factory=dict)


class DayRow(BaseModel):
    day: dt.date
    count: int


class ContainmentStats(BaseModel):
    """How many conversations the bot settled alone (no hand-off, no work order)."""

    conversations: int
    contained: int
    handoff: int
    ticket: int
    containment_rate: float
    handoff_rate: float
    ticket_rate: float


class GapQuestion(BaseModel):
    """A caller question the knowledge base could not answer, grouped by normalised text."""

    question: str
    count: int
    kinds: dict[str, int] = Field(default_factory=dict)
    last_at: dt.datetime
    kb_url: str


class TicketStats(BaseModel):
    total: int
    open: int
    overdue: int
    closed_late: int
    by_status: list[CountRow] = Field(default_factory=list)


class SatisfactionStats(BaseModel):
    """Ratings at the end of chats and at 回访 (满意 / 基本满意 / 不满意)."""

    chat: list[CountRow] = Field(default_factory=list)
    callback: list[CountRow] = Field(default_factory=list)
    total: int
    satisfied_rate: float


class QaStats(BaseModel):
    results: int
    average_score: float
    pass_rate: float
    by_agent: list[QaReportRow] = Field(default_factory=list)
    by_rule: list[QaReportRow] = Field(default_factory=list)


class DashboardSummary(BaseModel):
    """Everything the supervisor dashboard shows for local dates [start, end)."""

    start: dt.date
    end: dt.date
    timezone: str
    contacts: int
    channels: list[CountRow]
    hourly: list[HourRow]
    daily: list[DayRow]
    containment: ContainmentStats
    topics: list[CountRow]
    gaps: list[GapQuestion]
    tickets: TicketStats
    satisfaction: SatisfactionStats
    qa: QaStats


class ForecastPoint(BaseModel):
    """One local hour: the forecast (None when withheld) and, once it has passed, the actual contacts."""

    at: dt.datetime
    weekday: int
    hour: int
    forecast: float | None = None
    actual: int | None = None


class ForecastAccuracy(BaseModel):
    """Errors over the hours with an actual value; MAPE only over hours with contacts."""

    hours: int
    mape: float | None = None
    wape: float | None = None
    mae: float | None = None


class ForecastPeak(BaseModel):
    weekday: int
    hour: int
    forecast: float


class ForecastPublic(BaseModel):
    """Forecast vs actual per hour for [start, end), its accuracy, a backtest and the peak hours.

    ``history_days``: days of history the forecast could use (from the first recorded contact on,
    at most ``weeks`` weeks); below ``min_history_days`` no forecast is made (``enough_history``).
    """

    start: dt.date
    end: dt.date
    timezone: str
    weeks: int
    method: str
    history_days: int
    min_history_days: int
    enough_history: bool
    points: list[ForecastPoint]
    accuracy: ForecastAccuracy
    backtest: ForecastAccuracy
    peaks: list[ForecastPeak]

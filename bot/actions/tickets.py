"""Work orders (工单): the collection form, its checks, the creation, and status queries.

The form asks for name, phone and a description (the description prompt also asks where it
happened, and the 参保地 is taken from it or from earlier turns, so no call is held up by a
missing region). The phone is checked and read back masked; a name or number said again
("不对，电话是...") corrects the earlier one at any point of the form. Creation goes through the
work-order intake (``api.services.tickets.open_order``, in a worker thread so the action server
keeps serving); the caller hears the number, or a provisional one while the database is down,
never an invented one.

An order holds only what is about its matter: the caller's words from the message that started
the form (and, for an unanswered question or a callback, the question just before it), not the
whole conversation. A 不满意 rating opens its own follow-up order, linked to the order of the
conversation when there is one.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from api.privacy import mask_phone
from api.schemas import TicketCreate
from api.services import tickets
from api.services.provisional import is_provisional, queued_ticket_text
from api.texts import text as t
from bot.actions import common, names
from bot.actions.base import ThreadedAction
from bot.actions.parse import extract_name, extract_phone, is_correction, to_ascii_digits

log = logging.getLogger(__name__)

FOLLOW_UP_TOPIC = "服务不满意回访"
# Why the form runs -> (category, default topic).
REASONS: dict[str, tuple[str, str]] = {
    "complaint": ("投诉", "投诉"),
    "report": ("举报", "举报欺诈骗保"),
    "callback": ("咨询", "预约回电"),
    "unresolved": ("咨询", "问题未解决"),
    "followup": ("投诉", FOLLOW_UP_TOPIC),
    "chase": ("求助", "催办"),
    "stolen_card": ("举报", "医保卡盗刷"),
}
# Reasons whose first words only point back ("没用", "好的，回电吧"): the caller's question just
# before them is part of the matter.
LOOKS_BACK = frozenset({"unresolved", "callback"})
INTENT_REASON = {
    names.COMPLAIN: "complaint",
    names.REPORT_FRAUD: "report",
    names.REQUEST_CALLBACK: "callback",
    names.NOT_HELPFUL: "unresolved",
}
_TICKET_ID_RE = re.compile(r"[Gg][Dd]\s*\d{12,14}")
MIN_DESCRIPTION_CHARS = 4


def matter_texts(tracker: Tracker, reason: str) -> list[str]:
    """The caller's words about the order being started: this message, and the one before it when
    ``reason`` looks back; never the unrelated questions earlier in the conversation."""
    latest = common.latest_text(tracker)
    earlier = common.user_texts(tracker, limit=1) if reason in LOOKS_BACK else []
    return [*earlier, *([latest] if latest else [])]


def matter_tracker(tracker: Tracker) -> Tracker:
    """``tracker`` cut to the events about the order's matter: from the caller message that started
    the form (the one before the form's first slot event), or one earlier when the form's context
    quotes it. Without a form start (the slots were set some other way) the whole session."""
    events = list(tracker.events or [])
    starts = [
        i
        for i, e in enumerate(events)
        if e.get("event") == "slot" and e.get("name") == names.TICKET_CATEGORY and e.get("value")
    ]
    if not starts:
        return tracker
    said = [i for i in range(starts[-1]) if events[i].get("event") == "user"]
    if not said:
        return tracker
    first = said[-1]
    context = str(tracker.get_slot(names.TICKET_CONTEXT) or "")
    before = str(events[said[-2]].get("text") or "").strip() if len(said) > 1 else ""
    if before and before in context:
        first = said[-2]
    matter = tracker.copy()
    matter.events = events[first:]
    return matter


def start_ticket_events(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, reason: str
) -> list[EventType]:
    """Introduce the work order and preset what is already known (category, context, description)."""
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {sorted(REASONS)}, got {reason!r}")
    category, topic = REASONS[reason]
    cfg = common.settings()
    dispatcher.utter_message(
        response=names.UTTER_TICKET_INTRO[reason], promise_hours=cfg.callback_promise_hours
    )
    context = "；".join(matter_texts(tracker, reason))[-1000:]
    # A follow-up is about the service, not about the topic of the last question.
    topic = topic if reason == "followup" else tracker.get_slot(names.TOPIC) or topic
    events: list[EventType] = [
        SlotSet(names.TICKET_CATEGORY, category),
        SlotSet(names.TICKET_TOPIC, topic),
        SlotSet(names.TICKET_CONTEXT, context),
        SlotSet(names.TICKET_DESCRIPTION, None),
        SlotSet(names.FAILURES, 0.0),
    ]
    if reason != "followup":  # a follow-up keeps the conversation's order: it is linked to it
        events.append(SlotSet(names.TICKET_NUMBER, None))
    # Complaints and reports need the caller's own account; for the rest the earlier turns
    # already say what it is about, so the form does not ask again.
    if reason in ("callback", "unresolved", "followup", "chase") and context:
        events.append(SlotSet(names.TICKET_DESCRIPTION, context))
    return events


def open_form(dispatcher: CollectingDispatcher, tracker: Tracker, *, reason: str) -> list[EventType]:
    """Introduce the work order and start its form."""
    return [*start_ticket_events(dispatcher, tracker, reason=reason), FollowupAction(names.TICKET_FORM)]


def confirm_events(dispatcher: CollectingDispatcher, tracker: Tracker, question: str) -> list[EventType]:
    """A real tie between a complaint and a policy question: ask which, keeping the question."""
    dispatcher.utter_message(response=names.UTTER_CONFIRM_TICKET)
    return [
        SlotSet(names.PENDING_OFFER, names.OFFER_TICKET),
        SlotSet(names.PENDING_QUESTION, question or tracker.get_slot(names.PENDING_QUESTION)),
        SlotSet(names.PENDING_TOPIC, None),
    ]


class ValidateTicketForm(FormValidationAction):
    """One check per slot; a bad value sets the slot to None so the form asks again."""

    def name(self) -> str:
        return names.VALIDATE_TICKET_FORM

    def validate_ticket_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        text = common.latest_text(tracker)
        name = extract_name(text) if text else None
        if name is None and isinstance(value, str) and value != text:
            name = extract_name(value)  # the entity value found by the regex extractor
        if name is None:
            if tracker.get_slot(names.REQUESTED_SLOT) == names.TICKET_NAME:
                dispatcher.utter_message(response=names.UTTER_NAME_INVALID)
            return {names.TICKET_NAME: None}
        return {names.TICKET_NAME: name}

    def validate_ticket_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        phone = extract_phone(str(value or "")) or extract_phone(common.latest_text(tracker))
        if phone is None:
            if tracker.get_slot(names.REQUESTED_SLOT) == names.TICKET_PHONE:
                dispatcher.utter_message(response=names.UTTER_PHONE_INVALID)
            return {names.TICKET_PHONE: None}
        dispatcher.utter_message(response=names.UTTER_PHONE_NOTED, phone_masked=mask_phone(phone))
        return {names.TICKET_PHONE: phone}

    def validate_ticket_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form starts: nothing to check yet
            return {}
        text = str(value).strip()
        intent, _ = common.latest_intent(tracker)
        context = str(tracker.get_slot(names.TICKET_CONTEXT) or "")
        if (
            intent in (names.GOODBYE, names.THANK)
            and len(re.sub(r"\W", "", context)) >= 2 * MIN_DESCRIPTION_CHARS
        ):
            # "好，那我等电话，再见" at the last question: what they said before is the account.
            return {names.TICKET_DESCRIPTION: context[:4000]}
        corrected = extract_name(text) is not None or extract_phone(text) is not None
        if is_correction(text) and corrected:
            dispatcher.utter_message(response=names.UTTER_CORRECTED)
            return {names.TICKET_DESCRIPTION: None}
        if len(re.sub(r"\W", "", text)) < MIN_DESCRIPTION_CHARS:
            dispatcher.utter_message(response=names.UTTER_DESCRIPTION_TOO_SHORT)
            return {names.TICKET_DESCRIPTION: None}
        result: dict[str, Any] = {names.TICKET_DESCRIPTION: text[:4000]}
        if not tracker.get_slot(names.REGION):
            region = common.region_in(text)
            if region:
                result[names.REGION] = region
        return result


def order_request(tracker: Tracker) -> TicketCreate:
    """The work order the form collected, with only the turns about its matter."""
    context = tracker.get_slot(names.TICKET_CONTEXT) or ""
    description = tracker.get_slot(names.TICKET_DESCRIPTION) or ""
    if context and context not in description:
        description = f"来电人所述：{context}\n补充情况：{description}"
    region = tracker.get_slot(names.REGION)
    topic = (tracker.get_slot(names.TICKET_TOPIC) or "其他")[:64]
    earlier = tracker.get_slot(names.TICKET_NUMBER)
    follow_up_of = earlier if topic == FOLLOW_UP_TOPIC and earlier and not is_provisional(earlier) else None
    return TicketCreate.model_validate(
        {
            "category": tracker.get_slot(names.TICKET_CATEGORY) or "咨询",
            "topic": topic,
            "region": common.region_display(region) if region else "",
            "caller_name": tracker.get_slot(names.TICKET_NAME) or "",
            "caller_phone": tracker.get_slot(names.TICKET_PHONE) or "",
            "description": description[:5000] or "（来电人未说明）",
            "channel": common.channel_of(tracker),
            "transcript": common.transcript(matter_tracker(tracker)),
            "conversation_id": tracker.sender_id[:64] if tracker.sender_id else None,
            "follow_up_of": follow_up_of,
        }
    )


class ActionCreateTicket(ThreadedAction):
    """Submit the collected work order and tell the caller its number."""

    def name(self) -> str:
        return names.ACTION_CREATE_TICKET

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cfg = common.settings()
        try:
            data = order_request(tracker)
            result = tickets.open_order(cfg, data, actor="bot", channel="rasa")
        except Exception:  # bad data or a store failure: say so and offer a human, never a made-up number
            log.exception("action.create_ticket.failed")
            dispatcher.utter_message(response=names.UTTER_TICKET_FAILED)
            return [SlotSet(names.PENDING_OFFER, names.OFFER_HANDOFF)]
        if result.ticket is None:  # the database is down: the outbox keeps it
            dispatcher.utter_message(
                text=queued_ticket_text(cfg, result.number, data.caller_phone),
                json_message=common.payload("ticket", ticket_id=result.number, queued=True),
            )
        else:
            ticket = result.ticket
            due = ticket.due_at.astimezone(ZoneInfo(cfg.timezone)).strftime("%m月%d日%H:%M")
            payload = common.payload("ticket", ticket_id=ticket.number, duplicate=ticket.duplicate or None)
            if ticket.duplicate:  # the same caller's open order on the same matter: added to it
                merged = t(
                    "chat_ticket_merged", number=ticket.number, due=due, phone=mask_phone(ticket.caller_phone)
                )
                dispatcher.utter_message(text=merged, json_message=payload)
            else:
                dispatcher.utter_message(
                    response=names.UTTER_TICKET_CREATED,
                    ticket_number=ticket.number,
                    name=ticket.caller_name or "您",
                    phone_masked=mask_phone(ticket.caller_phone),
                    due=due,
                    json_message=payload,
                )
            if common.latest_intent(tracker)[0] in (names.GOODBYE, names.THANK):
                dispatcher.utter_message(response=names.UTTER_GOODBYE)  # the caller is leaving
        return [
            SlotSet(names.TICKET_NUMBER, result.number),
            SlotSet(names.TICKET_DESCRIPTION, None),
            SlotSet(names.TICKET_CONTEXT, None),
            SlotSet(names.PENDING_OFFER, None),
        ]


class ValidateStatusForm(FormValidationAction):
    """Checks of the status query: a GD number and four digits."""

    def name(self) -> str:
        return names.VALIDATE_STATUS_FORM

    def validate_ticket_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        match = _TICKET_ID_RE.search(to_ascii_digits(str(value or "")))
        if not match:
            dispatcher.utter_message(response=names.UTTER_TICKET_ID_INVALID)
            return {names.TICKET_ID: None}
        return {names.TICKET_ID: re.sub(r"\s", "", match.group(0)).upper()}

    def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        digits = re.sub(r"\D", "", to_ascii_digits(str(value or "")))
        if len(digits) != 4:
            dispatcher.utter_message(response=names.UTTER_LAST4_INVALID)
            return {names.PHONE_LAST4: None}
        return {names.PHONE_LAST4: digits}


class ActionTicketStatus(ThreadedAction):
    """Tell the caller the status of their own work order (number + last four phone digits)."""

    def name(self) -> str:
        return names.ACTION_TICKET_STATUS

    def work(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cfg = common.settings()
        number = tracker.get_slot(names.TICKET_ID) or ""
        last4 = tracker.get_slot(names.PHONE_LAST4) or ""
        reset = [SlotSet(names.TICKET_ID, None), SlotSet(names.PHONE_LAST4, None)]
        try:
            view = tickets.lookup_order(cfg, number=number, phone_last4=last4)
        except tickets.TicketNotFound:
            dispatcher.utter_message(response=names.UTTER_TICKET_NOT_FOUND)
            return reset
        except Exception:
            log.exception("action.ticket_status.failed")
            dispatcher.utter_message(response=names.UTTER_TICKET_FAILED)
            return reset
        dispatcher.utter_message(
            response=names.UTTER_TICKET_STATUS,
            ticket_number=view.number,
            status=view.status,
            department=view.department or "待分派",
            due=view.due_at.astimezone(ZoneInfo(cfg.timezone)).strftime("%m月%d日"),
        )
        return reset

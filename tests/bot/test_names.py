"""Every name the actions use exists in the domain (a rename cannot silently break an action)."""

from __future__ import annotations

from typing import Any

from bot.actions import names


def _constants(prefix: str) -> list[str]:
    values: list[str] = []
    for key, value in vars(names).items():
        if key.startswith(prefix):
            values += list(value.values()) if isinstance(value, dict) else [value]
    return values


def test_intents_exist(domain: dict[str, Any]) -> None:
    used = [
        names.GREET, names.GOODBYE, names.THANK, names.AFFIRM, names.DENY, names.ASK_POLICY,
        names.INFORM_REGION, names.REQUEST_HUMAN, names.COMPLAIN, names.REPORT_FRAUD, names.REQUEST_CALLBACK,
        names.QUERY_PERSONAL_RECORD, names.TICKET_STATUS, names.NOT_HELPFUL, names.RATE_SERVICE,
        names.OUT_OF_SCOPE, names.CHITCHAT,
    ]  # fmt: skip
    assert [i for i in used if i not in domain["intents"]] == []
    assert len(set(domain["intents"])) >= 17


def test_responses_exist(domain: dict[str, Any]) -> None:
    missing = [r for r in _constants("UTTER_") if r not in domain["responses"]]
    assert missing == []


def test_actions_and_forms_exist(domain: dict[str, Any]) -> None:
    declared = set(domain["actions"]) | set(domain["forms"])
    missing = [
        a
        for a in _constants("ACTION_") + _constants("VALIDATE_") + [names.TICKET_FORM, names.STATUS_FORM]
        if a not in declared
    ]
    assert missing == []


def test_slots_exist(domain: dict[str, Any]) -> None:
    slot_names = [
        names.REGION, names.TOPIC, names.INSURED_TYPE, names.PERSON_TYPE, names.PENDING_QUESTION,
        names.FAILURES, names.PENDING_OFFER, names.HANDED_OFF, names.RATING, names.TICKET_CATEGORY,
        names.TICKET_TOPIC, names.TICKET_CONTEXT, names.TICKET_NAME, names.TICKET_PHONE,
        names.TICKET_DESCRIPTION, names.TICKET_NUMBER, names.TICKET_ID, names.PHONE_LAST4,
    ]  # fmt: skip
    assert [s for s in slot_names if s not in domain["slots"]] == []
    offers = domain["slots"][names.PENDING_OFFER]["values"]
    assert {names.OFFER_TICKET, names.OFFER_CALLBACK, names.OFFER_HANDOFF} <= set(offers)


def test_every_response_has_a_kind_or_precedes_one(domain: dict[str, Any]) -> None:
    """Responses that end a turn carry custom.kind; only form-internal notes may omit it."""
    kinds = {"answer", "clarify_region", "abstain", "ticket", "greet", "goodbye", "ask_slot"}
    allowed_without = {
        "utter_ticket_intro_complaint", "utter_ticket_intro_report", "utter_ticket_intro_callback",
        "utter_ticket_intro_unresolved", "utter_ticket_intro_followup", "utter_ticket_intro_chase",
        "utter_ticket_intro_stolen_card", "utter_name_invalid",
        "utter_phone_invalid", "utter_phone_noted", "utter_description_too_short", "utter_corrected",
        "utter_ticket_id_invalid", "utter_last4_invalid",
    }  # fmt: skip
    for name, variants in domain["responses"].items():
        for variant in variants:
            kind = (variant.get("custom") or {}).get("kind")
            if name in allowed_without:
                assert kind is None, name
            else:
                assert kind in kinds, name

"""Intent, slot, action and response names used in Python, kept equal to ``bot/domain/``.

The domain is the source of truth; tests/bot/test_names.py checks that every name here exists
there, so a rename cannot silently break an action.
"""

from __future__ import annotations

# Intents.
GREET = "greet"
GOODBYE = "goodbye"
THANK = "thank"
AFFIRM = "affirm"
DENY = "deny"
ASK_POLICY = "ask_policy"
INFORM_REGION = "inform_region"
REQUEST_HUMAN = "request_human"
COMPLAIN = "complain"
REPORT_FRAUD = "report_fraud"
REQUEST_CALLBACK = "request_callback"
QUERY_PERSONAL_RECORD = "query_personal_record"
TICKET_STATUS = "ticket_status"
NOT_HELPFUL = "not_helpful"
RATE_SERVICE = "rate_service"
OUT_OF_SCOPE = "out_of_scope"
CHITCHAT = "chitchat"
NLU_FALLBACK = "nlu_fallback"

# Entities.
ENTITY_REGION = "region"
ENTITY_PERSON_NAME = "person_name"
ENTITY_PHONE = "phone"
ENTITY_TICKET_ID = "ticket_id"
ENTITY_RATING = "rating"

# Slots.
REGION = "region"
TOPIC = "topic"
INSURED_TYPE = "insured_type"
PERSON_TYPE = "person_type"
PENDING_QUESTION = "pending_question"
PENDING_TOPIC = "pending_topic"
LAST_ENTRY = "last_entry"
FAILURES = "failures"
PENDING_OFFER = "pending_offer"
HANDED_OFF = "handed_off"
RATING = "rating"
TICKET_CATEGORY = "ticket_category"
TICKET_TOPIC = "ticket_topic"
TICKET_CONTEXT = "ticket_context"
TICKET_NAME = "ticket_name"
TICKET_PHONE = "ticket_phone"
TICKET_DESCRIPTION = "ticket_description"
TICKET_NUMBER = "ticket_number"
TICKET_ID = "ticket_id"
PHONE_LAST4 = "phone_last4"
REQUESTED_SLOT = "requested_slot"

# Values of the pending_offer slot: what a following 好的/不用了 refers to.
OFFER_TICKET = "ticket"
OFFER_CALLBACK = "callback"
OFFER_HANDOFF = "handoff"

# Forms and actions.
TICKET_FORM = "ticket_form"
STATUS_FORM = "status_form"
ACTION_ANSWER_POLICY = "action_answer_policy"
ACTION_OUT_OF_SCOPE = "action_out_of_scope"
ACTION_HANDOFF = "action_handoff"
ACTION_AFFIRM = "action_affirm"
ACTION_DENY = "action_deny"
ACTION_START_TICKET = "action_start_ticket"
ACTION_CREATE_TICKET = "action_create_ticket"
ACTION_TICKET_STATUS = "action_ticket_status"
ACTION_START_STATUS = "action_start_status"
ACTION_GREET = "action_greet"
ACTION_CHITCHAT = "action_chitchat"
ACTION_GOODBYE = "action_goodbye"
ACTION_THANK = "action_thank"
ACTION_PERSONAL_RECORD = "action_personal_record"
ACTION_RATE_SERVICE = "action_rate_service"
VALIDATE_TICKET_FORM = "validate_ticket_form"
VALIDATE_STATUS_FORM = "validate_status_form"

# Responses sent from actions.
UTTER_ASK_REGION = "utter_ask_region"
UTTER_GREET = "utter_greet"
UTTER_CHITCHAT = "utter_chitchat"
UTTER_GOODBYE = "utter_goodbye"
UTTER_OUT_OF_SCOPE = "utter_out_of_scope"
UTTER_ASK_REPHRASE = "utter_ask_rephrase"
UTTER_OFFER_HELP = "utter_offer_help"
UTTER_KB_UNAVAILABLE = "utter_kb_unavailable"
UTTER_REGION_NOTED = "utter_region_noted"
UTTER_HANDOFF = "utter_handoff"
UTTER_HANDOFF_OFFLINE = "utter_handoff_offline"
UTTER_HANDOFF_ANGER = "utter_handoff_anger"
UTTER_NO_OFFER = "utter_no_offer"
UTTER_THANK = "utter_thank"
UTTER_OFFER_DECLINED = "utter_offer_declined"
UTTER_ANYTHING_ELSE = "utter_anything_else"
UTTER_TICKET_INTRO = {
    "complaint": "utter_ticket_intro_complaint",
    "report": "utter_ticket_intro_report",
    "callback": "utter_ticket_intro_callback",
    "unresolved": "utter_ticket_intro_unresolved",
    "followup": "utter_ticket_intro_followup",
    "chase": "utter_ticket_intro_chase",
    "stolen_card": "utter_ticket_intro_stolen_card",
}
UTTER_CONFIRM_TICKET = "utter_confirm_ticket_or_policy"
UTTER_NAME_INVALID = "utter_name_invalid"
UTTER_PHONE_INVALID = "utter_phone_invalid"
UTTER_PHONE_NOTED = "utter_phone_noted"
UTTER_DESCRIPTION_TOO_SHORT = "utter_description_too_short"
UTTER_CORRECTED = "utter_corrected"
UTTER_TICKET_CREATED = "utter_ticket_created"
UTTER_TICKET_FAILED = "utter_ticket_failed"
UTTER_TICKET_ID_INVALID = "utter_ticket_id_invalid"
UTTER_LAST4_INVALID = "utter_last4_invalid"
UTTER_TICKET_STATUS = "utter_ticket_status"
UTTER_TICKET_NOT_FOUND = "utter_ticket_not_found"
UTTER_RECORDS_VERIFIED_ONLY = "utter_records_verified_only"
UTTER_ASK_RATING = "utter_ask_rating"
UTTER_RATING_THANKS = "utter_rating_thanks"

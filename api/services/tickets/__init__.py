"""Work orders (工单): intake, routing, time limits, lifecycle, callbacks and escalation.

The one service the Rasa actions, the chat fallback, the phone line, the HTTP routes and the CLI
share. Modules:

- ``intake``: ``open_order`` (THE way a channel opens an order: its own units of work, the
  outbox while the database is down) and ``create_ticket`` (inside a caller's transaction);
- ``lifecycle``: status steps, dispatch, callbacks, recordings;
- ``views``: staff and caller views, lists, the caller's lookup;
- ``escalation``: overdue orders raised and supervisors notified;
- ``store``: numbers, locks on both databases, retried units of work;
- ``states``: statuses (``TicketStatus``), priorities and the state machine.

Functions taking a ``Session`` work inside the caller's ``api.db.unit_of_work``, which alone
commits or rolls back; the others (``open_order``, ``register_order``, ``run_escalation``,
``lookup_order``, ``sync_configured_departments``) open their own. Routing and time limits come
from YAML the centre edits (``api.services.ticket_rules``); every function taking ``rules`` falls
back to the files named in the process settings.
"""

from __future__ import annotations

from api.services.ticket_rules import CATEGORIES, TicketRules, load_rules, rules_from_settings
from api.services.tickets.escalation import escalate_overdue, list_notifications, run_escalation
from api.services.tickets.intake import (
    IntakeResult,
    create_ticket,
    open_order,
    register_order,
    replay_queued,
)
from api.services.tickets.lifecycle import (
    IllegalTransition,
    ReasonRequired,
    UnknownDepartment,
    UseAssign,
    UseCallback,
    add_callback,
    assign,
    attach_recording,
    change_status,
)
from api.services.tickets.states import (
    CLOCK_STATUSES,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PRIORITIES,
    STATUSES,
    TRANSITIONS,
    TicketStatus,
)
from api.services.tickets.store import (
    TicketLookupFailed,
    TicketNotFound,
    TicketStoreBusy,
    sync_configured_departments,
    sync_departments,
)
from api.services.tickets.views import (
    TicketSummaryT,
    caller_view,
    get_ticket,
    list_tickets,
    lookup_for_caller,
    lookup_order,
    present,
)

# The old private name, still imported by api/services/dashboard.py.

__all__ = [
    "CATEGORIES",
    "CLOCK_STATUSES",
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "PRIORITIES",
    "STATUSES",
    "TRANSITIONS",
    "IllegalTransition",
    "IntakeResult",
    "ReasonRequired",
    "TicketLookupFailed",
    "TicketNotFound",
    "TicketRules",
    "TicketStatus",
    "TicketStoreBusy",
    "TicketSummaryT",
    "UnknownDepartment",
    "UseAssign",
    "UseCallback",
    "add_callback",
    "assign",
    "attach_recording",
    "caller_view",
    "change_status",
    "create_ticket",
    "escalate_overdue",
    "get_ticket",
    "list_notifications",
    "list_tickets",
    "load_rules",
    "lookup_for_caller",
    "lookup_order",
    "open_order",
    "present",
    "register_order",
    "replay_queued",
    "rules_from_settings",
    "run_escalation",
    "sync_configured_departments",
    "sync_departments",
]

"""The vocabulary and state machine of work orders: statuses, priorities, satisfaction, legal steps.

Lifecycle (``TRANSITIONS``): 新建 -> 已分派 -> 处理中 -> 已办结 -> 已回访 -> 已归档, with 退回
(the department hands the order back for reassignment), 挂起 (waiting for the caller; the
escalation clock ignores it) and 重开 (the caller is not satisfied). 已分派 is reached only by
``lifecycle.assign`` (a department is needed) and 已回访 only by ``lifecycle.add_callback`` (a
result is needed). Statuses are ``TicketStatus`` members, whose values are the stored words.
"""

from __future__ import annotations

from api.schemas import TicketStatus

__all__ = [
    "CLOCK_STATUSES",
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "PRIORITIES",
    "REASON_REQUIRED",
    "STATUSES",
    "TRANSITIONS",
    "TicketStatus",
    "parse_status",
    "raise_priority",
]

S = TicketStatus
PRIORITIES = ("一般", "紧急", "特急")
STATUSES: tuple[TicketStatus, ...] = tuple(TicketStatus)

TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.ASSIGNED}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.RETURNED, S.ON_HOLD}),  # re-dispatch allowed
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.ON_HOLD, S.RETURNED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS}),
    S.RETURNED: frozenset({S.ASSIGNED}),
    S.RESOLVED: frozenset({S.CALLED_BACK, S.REOPENED}),
    S.CALLED_BACK: frozenset({S.ARCHIVED, S.REOPENED}),
    S.REOPENED: frozenset({S.ASSIGNED, S.IN_PROGRESS}),
    S.ARCHIVED: frozenset(),
}
OPEN_STATUSES = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD, S.RETURNED, S.REOPENED})
CLOSED_STATUSES = frozenset(STATUSES) - OPEN_STATUSES
# 挂起 waits for the caller, so its time limit is not the centre's to miss.
CLOCK_STATUSES = OPEN_STATUSES - {S.ON_HOLD}
REASON_REQUIRED = frozenset({S.ON_HOLD, S.RETURNED, S.REOPENED})


def parse_status(value: str, argument: str = "status") -> TicketStatus:
    """The status named by ``value`` (a member or its stored word); ValueError names the choices."""
    try:
        return TicketStatus(value)
    except ValueError:
        raise ValueError(f"{argument} must be one of {[str(s) for s in STATUSES]}, got {value!r}") from None


def raise_priority(priority: str) -> str:
    """One step up (一般 -> 紧急 -> 特急), staying at the top."""
    index = PRIORITIES.index(priority) if priority in PRIORITIES else 0
    return PRIORITIES[min(index + 1, len(PRIORITIES) - 1)]

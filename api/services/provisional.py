"""Provisional references: what a caller is given when a request is queued, not yet registered.

While the database is down the outbox (``api/services/outbox.py``) keeps a caller's work order or
hand-off durably; the caller hears a provisional reference (LS + 10 characters of the queued
item's key) that the replay later turns into a real number (GD...).
"""

from __future__ import annotations

from api.privacy import mask_phone
from api.settings import Settings
from api.texts import text as t

__all__ = ["is_provisional", "provisional_reference", "queued_ticket_text"]

_PREFIX = "LS"  # 临时受理号; work-order numbers start with GD


def provisional_reference(key: str) -> str:
    """The reference a caller is given for a queued request."""
    return _PREFIX + key[:10].upper()


def is_provisional(number: str | None) -> bool:
    return bool(number) and str(number).startswith(_PREFIX)


def queued_ticket_text(settings: Settings, ref: str, phone: str) -> str:
    """What a caller hears when the work order is queued rather than registered."""
    return t("chat_queued_ticket", ref=ref, phone=mask_phone(phone), hours=settings.callback_promise_hours)

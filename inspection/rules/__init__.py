"""Rule families, one module each; every module exposes ``check(ctx) -> list[RawFinding]``.

Modules: greeting_closing (服务规范: greeting with 工号, polite forms, closing and
satisfaction invitation), forbidden (服务禁语), first_contact (首问负责), accuracy (答得准,
against the knowledge base), one_time_notice (一次性告知), identity (身份核验), dynamics
(silence, interruption, speech rate), emotion (anger without de-escalation), unresolved
(ends unresolved without a work order), semantic (impatience and paraphrased forbidden
phrases by example banks, when a matcher is given).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from inspection.context import Context, RawFinding
from inspection.rules import (
    accuracy,
    dynamics,
    emotion,
    first_contact,
    forbidden,
    greeting_closing,
    identity,
    one_time_notice,
    semantic,
    unresolved,
)

FAMILIES: tuple[ModuleType, ...] = (
    greeting_closing,
    forbidden,
    semantic,
    first_contact,
    accuracy,
    one_time_notice,
    identity,
    dynamics,
    emotion,
    unresolved,
)
RuleCheck = Callable[[Context], list[RawFinding]]

__all__ = ["FAMILIES", "RuleCheck"]

"""Factories for work-order tests: valid requests with overridable fields, fixed clocks."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from api.schemas import TicketCreate
from api.settings import PROJECT_ROOT

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROUTING_FILE = PROJECT_ROOT / "api" / "routing.yaml"
TIME_LIMITS_FILE = PROJECT_ROOT / "api" / "time_limits.yaml"


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A Beijing-time instant, converted to UTC like the service's clock."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


def ticket_request(**overrides: Any) -> TicketCreate:
    """A valid complaint about a manual reimbursement; override any field."""
    values: dict[str, Any] = {
        "category": "投诉",
        "topic": "零星报销",
        "region": "河南/开封",
        "caller_name": "张三",
        "caller_phone": "13812345678",
        "description": "手工报销材料交了两个月还没到账，我的电话13812345678。",
        "channel": "phone",
    }
    values.update(overrides)
    return TicketCreate(**values)

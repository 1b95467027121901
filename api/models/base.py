"""The declarative base shared by every table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def utcnow() -> dt.datetime:
    """Timezone-aware now, the single clock of stored timestamps."""
    return dt.datetime.now(dt.UTC)

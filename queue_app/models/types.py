"""Column types shared by the models."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from ..config import TOKYO


class TokyoDateTime(TypeDecorator):
    """An instant stored as naive UTC, handed back aware in Asia/Tokyo.

    SQLite keeps no offsets, PostgreSQL would convert them: storing UTC everywhere
    and converting at the edge makes both behave the same. Naive values are refused
    so a local time can never be mistaken for UTC.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a TokyoDateTime column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # SQLite through a raw text() query
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc).astimezone(TOKYO)

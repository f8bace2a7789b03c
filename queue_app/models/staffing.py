"""How a place's counters are staffed: the usual day (how many counters are staffed
in each hour, which is where the lunch rota shows), the open time of each counter
day by day (counter-hours, for reports), and the walk-ins turned away by the
reception cut-off (受付終了)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, SmallInteger, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import TokyoDateTime


class StaffedHour(db.Model):
    """In the usual day of a place, ``counters`` counters are staffed from ``hour``:00
    for the hour (12 → 2 of 3 during lunch). A place without rows has no usual day:
    the estimate then assumes the counters open now stay open."""

    __tablename__ = "staffed_hours"
    __table_args__ = (UniqueConstraint("location_id", "hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    hour: Mapped[int] = mapped_column(SmallInteger)  # 0-23, Asia/Tokyo
    counters: Mapped[int] = mapped_column(SmallInteger)


class CounterSession(db.Model):
    """One stretch of time a counter was open on one business day, from ``opened_at``
    to ``closed_at`` (null while it is open). Their sum is the day's counter-hours."""

    __tablename__ = "counter_sessions"
    __table_args__ = (Index("ix_counter_sessions_day", "location_id", "business_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    business_date: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)


class TurnedAway(db.Model):
    """A walk-in refused by the reception cut-off: when, where and for what; nothing
    about the resident."""

    __tablename__ = "turned_away"
    __table_args__ = (Index("ix_turned_away_day", "location_id", "business_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    business_date: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(TokyoDateTime)

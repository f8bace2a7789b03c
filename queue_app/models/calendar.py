"""The calendar of a place: weekly hours, special windows and extra closures.

National holidays and the New Year closure are not stored: they are rules of the
calendar service (holidays come from the jpholiday library).
"""
from __future__ import annotations

from datetime import date, time

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

window_services = Table(
    "window_services",
    db.metadata,
    Column("window_id", ForeignKey("calendar_windows.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class OpeningHours(db.Model):
    """Ordinary opening hours of a place on one weekday (0 = Monday)."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    # Reservable slots start at slots_from and end by slots_until.
    slots_from: Mapped[time] = mapped_column(Time)
    slots_until: Mapped[time] = mapped_column(Time)

    location = relationship("Location")


class CalendarWindow(db.Model):
    """A window beyond ordinary hours: the holiday window or the extended-hours window.

    It recurs on ``weekday`` (every week, or only the weeks of the month listed in
    ``weeks_of_month``, e.g. "2,4" for the 2nd and 4th), or happens once ``on_date``.
    """

    __tablename__ = "calendar_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "holiday" | "extended"
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)
    weeks_of_month: Mapped[str] = mapped_column(String(20), default="")
    on_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    reservation_only: Mapped[bool] = mapped_column(Boolean, default=False)

    location = relationship("Location")
    services: Mapped[list["Service"]] = relationship(secondary=window_services)  # noqa: F821


class Closure(db.Model):
    """An extra closed day, for one place or (location_id empty) for all."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    on_date: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")

"""The calendar of a place: weekly hours, special windows and extra closures.

National holidays and the New Year closure are not stored: they are rules of the
calendar service (holidays come from the jpholiday library).
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Time, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from ..extensions import db
from .types import TokyoDateTime

window_services = Table(
    "window_services",
    db.metadata,
    Column("window_id", ForeignKey("calendar_windows.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class OpeningHours(db.Model):
    """Ordinary opening hours of a place on one weekday (0 = Monday).

    The rows with the same ``valid_from`` are one weekly plan, in force from that date
    until the next plan's (empty: since always); a weekday without a row in the plan in
    force is closed. The back office changes the hours "from a date on" by adding a plan
    (services/calendar_rules.py), so the days before it keep theirs.
    """

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    # Reservable slots start at slots_from and end by slots_until.
    slots_from: Mapped[time] = mapped_column(Time)
    slots_until: Mapped[time] = mapped_column(Time)

    location = relationship("Location")


class SlotCapacity(db.Model):
    """How many residents a slot takes when they come for ``service``, from
    ``valid_from`` until the next such row. Without one, it is the number of counters
    that take reservations and serve the procedure (services/calendar.py)."""

    __tablename__ = "slot_capacities"
    __table_args__ = (UniqueConstraint("location_id", "service_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    valid_from: Mapped[date] = mapped_column(Date)
    seats: Mapped[int] = mapped_column(Integer)


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
    """The counters closed for a whole day or part of it, at one place or (location_id
    empty) at all of them. ``starts``/``ends`` empty: the whole day.

    The reason is shown to residents (booking site, lobby screens, the e-mail of an
    emergency closure) in Japanese (``reason``) or English (``reason_en``). An
    emergency closure cancelled the reservations in its time (services/closures.py).
    A reopened closure (``reopened_at``) closes nothing any more; its row stays, so the
    e-mails already queued about it can still be written and the list shows history.
    """

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    on_date: Mapped[date] = mapped_column(Date, index=True)
    starts: Mapped[time | None] = mapped_column(Time, nullable=True)
    ends: Mapped[time | None] = mapped_column(Time, nullable=True)
    # The Japanese reason; the column kept its first name (it was the only one).
    reason: Mapped[str] = mapped_column(String(200), default="")
    # Server defaults as the migration has them: rows written before these columns (or
    # by plain SQL) are whole-day, non-emergency closures with no English reason.
    reason_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    emergency: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by: Mapped[str] = mapped_column(String(80), default="", server_default="")  # the audit log's actor
    created_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    reopened_by: Mapped[str | None] = mapped_column(String(80), nullable=True)

    location = relationship("Location")
    # i18n.localised(closure, "reason") reads reason_ja / reason_en.
    reason_ja = synonym("reason")

    @property
    def whole_day(self) -> bool:
        return self.starts is None

"""The waitlist of a full day, and the seats held for the residents on it.

A ``WaitlistEntry`` is one resident waiting for a seat on one day, for one procedure,
at one place. A ``SeatHold`` is one seat of a slot (counted in ``slots.booked``, so it
is off the availability) kept for one entry until they book it or the hold runs out.

Entries::

    waiting ──a seat is held for them──> offered ──they book it──> booked
    offered ──the hold ran out──> lapsed      offered | waiting ──they leave──> left
    waiting | offered ──the day passed──> ended (personal data purged)

Holds::

    offered ──booked──> taken    offered ──ran out──> expired    offered ──declined──> declined
    offered ──the day closed / the slot passed──> released
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import TokyoDateTime

ENTRY_WAITING, ENTRY_OFFERED, ENTRY_BOOKED = "waiting", "offered", "booked"
ENTRY_LEFT, ENTRY_LAPSED, ENTRY_ENDED = "left", "lapsed", "ended"
ACTIVE_ENTRY_STATUSES = (ENTRY_WAITING, ENTRY_OFFERED)

HOLD_OFFERED, HOLD_TAKEN, HOLD_EXPIRED = "offered", "taken", "expired"
HOLD_DECLINED, HOLD_RELEASED = "declined", "released"

_active_entry = text("status IN ('waiting', 'offered')")
_open_hold = text("status = 'offered'")


class WaitlistEntry(db.Model):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        # One place on a day's list per e-mail address and procedure, kept by the database.
        Index("uq_waitlist_entries_active_email", "service_id", "day", "email", unique=True,
              sqlite_where=_active_entry, postgresql_where=_active_entry),
        # The queue of a day: first come, first offered.
        Index("ix_waitlist_entries_queue", "location_id", "day", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who leaves the list by the link in their e-mail: only the hash is kept.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=ENTRY_WAITING)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    day: Mapped[date] = mapped_column(Date)
    # Personal data: cleared once the day has passed (services/waitlist.py purge_entries).
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="ja")
    created_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)

    location = relationship("Location")
    service = relationship("Service")


class SeatHold(db.Model):
    __tablename__ = "seat_holds"
    __table_args__ = (
        # An entry is offered one seat at a time.
        Index("uq_seat_holds_open_entry", "entry_id", unique=True,
              sqlite_where=_open_hold, postgresql_where=_open_hold),
        Index("ix_seat_holds_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The link in the offer e-mail: only the hash is kept.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=HOLD_OFFERED)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    starts_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    created_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    expires_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), nullable=True)

    entry = relationship("WaitlistEntry")
    slot = relationship("Slot")
    service = relationship("Service")

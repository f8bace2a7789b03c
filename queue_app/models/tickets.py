"""Queue tickets and the per-day counters that number them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .states import TicketStatus
from .types import TokyoDateTime

# The three bands of the order of service (docs/queue.md), in the order they are called.
BAND_PRIORITY, BAND_RESERVATION, BAND_WALK_IN = 0, 1, 2
BAND_NAMES = {BAND_PRIORITY: "priority", BAND_RESERVATION: "reservation", BAND_WALK_IN: "walk_in"}


class Ticket(db.Model):
    """A resident's place in the queue of one place on one day.

    The order of service is stored, not computed: ``band`` then ``order_at`` then
    ``issued_at``. ``order_at`` is the time staff prioritised the ticket (priority
    band), the slot start (reservations), or the issue time (walk-ins). A transfer
    leaves them untouched, which is what keeps a ticket's place in its band.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("location_id", "business_date", "number"),
        Index("ix_tickets_call_order", "location_id", "business_date", "status",
              "band", "order_at", "issued_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, unguessable
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservations.id"), unique=True, nullable=True)
    business_date: Mapped[date] = mapped_column(Date)
    number: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(12))  # "reservation" | "walk_in"
    status: Mapped[str] = mapped_column(String(12), default=TicketStatus.WAITING)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    priority_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    band: Mapped[int] = mapped_column(Integer)
    order_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    issued_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    # A transfer to a named counter: only that counter may call the ticket.
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), nullable=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), nullable=True)
    called_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    cancel_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    location = relationship("Location")
    service = relationship("Service")
    reservation = relationship("Reservation", backref="ticket")
    counter = relationship("Counter", foreign_keys=[counter_id])
    target_counter = relationship("Counter", foreign_keys=[target_counter_id])

    # Not stored: (now, estimate) a walk-in or a check-in was issued with (services/queue.py,
    # transitions.check_in), so the answer to the kiosk does not play the day forward a
    # second time; only that same moment's answer reads it (waits.py ``ticket_estimate``).
    estimate_at_issue = None


class TicketNumberCounter(db.Model):
    """The last number handed out per place, day and prefix (R, W)."""

    __tablename__ = "ticket_number_counters"

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)

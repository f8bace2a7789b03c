"""Reservations and the bookable slots whose capacity they consume."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .states import ACTIVE_STATUSES, ReservationStatus
from .types import TokyoDateTime


class Slot(db.Model):
    """One 15-minute slot at a place. ``booked`` never passes ``capacity``: the
    booking service raises it with an upsert whose UPDATE only applies while
    ``booked < capacity``, and the check constraint is the backstop."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("location_id", "starts_at"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    starts_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


_active = text("status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE_STATUSES)))


class Reservation(db.Model):
    __tablename__ = "reservations"
    __table_args__ = (
        # One active reservation per contact and procedure, enforced by the database.
        Index("uq_reservations_active_email", "service_id", "email", unique=True,
              sqlite_where=_active, postgresql_where=_active),
        Index("uq_reservations_active_phone", "service_id", "phone", unique=True,
              sqlite_where=_active, postgresql_where=_active),
        Index("ix_reservations_location_starts", "location_id", "starts_at"),
        Index("ix_reservations_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=ReservationStatus.BOOKED)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    starts_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    ends_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    # Personal data: cleared by the purge job after the retention period.
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The reading of the name in kana, if the resident gave it: the clerk calls them by it.
    furigana: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="ja")
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)

    location = relationship("Location")
    service = relationship("Service")
    slot = relationship("Slot")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

"""Places (a city hall or branch office) and their counters."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import TokyoDateTime

counter_services = Table(
    "counter_services",
    db.metadata,
    Column("counter_id", ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class Location(db.Model):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # Sequence number of the place's realtime events; bumped in the transaction of the
    # change it announces so displays can detect a missed event.
    seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Reception cut-off (受付終了): no walk-in whose estimated call comes later than this
    # many minutes before the counters close.
    cutoff_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    # Raised by every change to the place's calendar (hours, seats, windows, closures,
    # the counters that take reservations), in the change's own transaction: the plans
    # cached by every process are keyed by it (services/calendar.py ``raise_version``).
    calendar_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    counters: Mapped[list["Counter"]] = relationship(
        back_populates="location", order_by="Counter.position")

    def name(self) -> dict:
        return {"ja": self.name_ja, "en": self.name_en}


class Counter(db.Model):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("location_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    takes_reservations: Mapped[bool] = mapped_column(Boolean, default=False)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the clerk of a closed counter expects to be back (lunch until 13:00), if said.
    closed_until = mapped_column(TokyoDateTime, nullable=True)

    location: Mapped[Location] = relationship(back_populates="counters")
    services: Mapped[list["Service"]] = relationship(  # noqa: F821
        secondary=counter_services, order_by="Service.position")

    def serves(self, service) -> bool:
        return any(s.id == service.id for s in self.services)

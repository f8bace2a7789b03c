"""Procedures offered at the counters (called services in the API)."""
from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Service(db.Model):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    duration_minutes: Mapped[int] = mapped_column(Integer, default=15)
    # Reservable in ordinary opening hours. A reservation-only window makes every
    # procedure it lists reservable on that day, whatever this says.
    reservable: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    bring_ja: Mapped[str] = mapped_column(Text, default="")
    bring_en: Mapped[str] = mapped_column(Text, default="")
    notes_ja: Mapped[str] = mapped_column(Text, default="")
    notes_en: Mapped[str] = mapped_column(Text, default="")

    def name(self) -> dict:
        return {"ja": self.name_ja, "en": self.name_en}

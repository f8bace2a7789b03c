"""The audit log: who did what to which ticket, and when. No personal data."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import TokyoDateTime


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(TokyoDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # "user:3", "device:2", "job:no_shows"
    action: Mapped[str] = mapped_column(String(40))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    reservation_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

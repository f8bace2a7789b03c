"""E-mail waiting to be sent: a down mail server never loses or blocks a booking."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import TokyoDateTime


class OutboxMessage(db.Model):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "confirmation:<reservation id>", "reminder:<id>": a message is queued once.
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True)
    template: Mapped[str] = mapped_column(String(20))
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="SET NULL"), nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # The reservation's clear token, only while a message that links to the manage page
    # waits to be sent (only its hash is on the reservation); cleared once sent or given up.
    secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="ja")
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(TokyoDateTime, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Delivery is at least once (SMTP has no exactly-once). Before each SMTP conversation
    # the sender commits ``sending_since`` and the ``message_id`` the e-mail goes out with;
    # sent, failed or skipped clears ``sending_since``. A later sender that still finds it
    # set (the claim expired: the earlier sender died mid-send, perhaps after the server's
    # "250 OK") counts an ``interrupted_sends`` and sends again under the same Message-ID,
    # so a re-send is a recognisable duplicate (migration 0003).
    message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sending_since: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    interrupted_sends: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(TokyoDateTime)

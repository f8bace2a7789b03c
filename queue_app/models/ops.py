"""What the operations checks read (``/readyz``, ``/metrics``): the scheduler's heartbeat."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import TokyoDateTime


class SchedulerHeartbeat(db.Model):
    """The last time a scheduler said it was alive. The scheduler runs in one process
    (jobs.py) and the web workers cannot see it: its ``heartbeat`` job writes this row
    every minute, and every worker's ``/readyz`` reads it. ``process`` (host:pid) says
    which scheduler wrote it, for the operator; nothing personal."""

    __tablename__ = "scheduler_heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # "scheduler"
    beat_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    process: Mapped[str] = mapped_column(String(120))

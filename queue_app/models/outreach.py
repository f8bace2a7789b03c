"""Home-visit applications (出張申請): a household, a company or a group asks the
division to come and take My Number card applications on one of several candidate
dates; staff pick one and go. The states and their moves are ``OUTREACH_MOVES`` below;
services/outreach.py performs every move.

::

    new ──schedule──> scheduled ──done──> done
    scheduled ──schedule (another candidate, another time)──> scheduled
    new | scheduled ──decline──> declined
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .states import Move
from .types import TokyoDateTime


class OutreachStatus(StrEnum):
    NEW = "new"
    SCHEDULED = "scheduled"
    DONE = "done"
    DECLINED = "declined"


_O = OutreachStatus
# A request that is still being handled holds its contact: one open request per contact.
OPEN_OUTREACH = (_O.NEW, _O.SCHEDULED)
OUTREACH_MOVES: dict[str, Move] = {
    "schedule": Move((_O.NEW, _O.SCHEDULED), _O.SCHEDULED),
    "done": Move((_O.SCHEDULED,), _O.DONE),
    "decline": Move((_O.NEW, _O.SCHEDULED), _O.DECLINED),
}

_open = text("status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_OUTREACH)))


class OutreachRequest(db.Model):
    __tablename__ = "outreach_requests"
    __table_args__ = (
        # One open request per contact, enforced by the database (the service checks
        # first for a friendly answer; these are the backstop under a race).
        Index("uq_outreach_requests_open_email", "email", unique=True,
              sqlite_where=_open, postgresql_where=_open),
        Index("uq_outreach_requests_open_phone", "phone", unique=True,
              sqlite_where=_open, postgresql_where=_open),
        Index("ix_outreach_requests_status_created", "status", "created_at"),
        Index("ix_outreach_requests_visit_date", "visit_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default=OutreachStatus.NEW)
    kind: Mapped[str] = mapped_column(String(12))  # individual | company | group
    # How the request came in: online (the form, the API), or taken by a clerk.
    channel: Mapped[str] = mapped_column(String(10), default="online")
    # Personal data: cleared by the purge after the retention period (purged_at).
    contact_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(8), nullable=True)  # "123-4567"
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What they need: this many new card applications, with express issue or not.
    applicants: Mapped[int] = mapped_column(Integer)
    express: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(2), default="ja")
    # [{"date": "2027-02-03", "part": "am"}, …]: two to five, in the applicant's order.
    candidates: Mapped[list] = mapped_column(JSON, default=list)
    # The visit, once scheduled: the day, its start and who goes (staff names or ids).
    visit_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    visit_start: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    staff: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    scheduled_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    # When it became done or declined: the retention period runs from here.
    closed_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_OUTREACH

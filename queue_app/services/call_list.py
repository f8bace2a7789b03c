"""The staff's call list (電話連絡リスト): residents who left only a phone number get no
e-mail, so the clerks call them.

For a day it lists, at a place, the phone-only reservations still booked (to remind
them the day before, or to tell them of a change) and those an emergency closure
cancelled (to tell them their visit is off and how to book again), in order of time.
When an SMS provider is configured, the reminder also goes out by SMS (notify.py); the
list stays the clerks' record of whom to call all the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select

from ..models import Closure, Location, Reservation, ReservationStatus
from . import calendar

BOOKED, CLOSURE = "booked", "closure"


@dataclass(frozen=True)
class CallRow:
    """One resident to call: ``reason`` is ``booked`` (a reminder) or ``closure`` (an
    emergency closure cancelled the visit; ``closure_reason`` says why)."""

    reservation: Reservation
    reason: str
    closure_reason: str = ""


def get_call_list(session, location: Location, day: date) -> list[CallRow]:
    """The phone-only residents of ``day`` at ``location`` to call, in order of time."""
    starts, ends = calendar.at(day, time(0)), calendar.at(day + timedelta(days=1), time(0))
    phone_only = select(Reservation).where(
        Reservation.location_id == location.id, Reservation.email.is_(None), Reservation.phone.is_not(None),
        Reservation.purged_at.is_(None), Reservation.starts_at >= starts, Reservation.starts_at < ends)
    rows = [CallRow(r, BOOKED) for r in session.scalars(
        phone_only.where(Reservation.status == ReservationStatus.BOOKED))]
    emergencies = session.scalars(select(Closure).where(
        Closure.on_date == day, Closure.emergency.is_(True),
        or_(Closure.location_id == location.id, Closure.location_id.is_(None)))).all()
    if emergencies:
        for reservation in session.scalars(phone_only.where(Reservation.status == ReservationStatus.CANCELLED)):
            closure = _cancelled_by(reservation, emergencies)
            if closure is not None:
                rows.append(CallRow(reservation, CLOSURE, closure.reason))
    return sorted(rows, key=lambda row: (row.reservation.starts_at, row.reservation.code))


def _cancelled_by(reservation: Reservation, closures: list[Closure]) -> Closure | None:
    """The emergency closure that cancelled ``reservation``: one whose time covers it,
    made when the reservation was cancelled (the same transaction, the same instant)."""
    for closure in closures:
        closed_from, closed_until = calendar.closed_span(closure)
        if (reservation.starts_at < closed_until and reservation.ends_at > closed_from
                and _same_instant(reservation.cancelled_at, closure.created_at)):
            return closure
    return None


def _same_instant(first: datetime | None, second: datetime | None) -> bool:
    return first is not None and second is not None and abs((first - second).total_seconds()) < 1

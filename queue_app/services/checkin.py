"""Check-in at the kiosk: a reservation's signed QR payload becomes a queue ticket (or,
for a resident without the QR code, its code given to a clerk at the console).

A payload scanned twice is the same check-in (DOMAIN.md): the reservation row is
locked (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) before
looking for its ticket, so ten kiosks scanning one code at once make one ticket and
nine answers with that same ticket; ``tickets.reservation_id`` is unique as the
backstop.

The window: from ``CHECKIN_EARLY_MINUTES`` before the slot start until
``CHECKIN_LATE_MINUTES`` after it, both ends included.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..models import RESERVATION_MOVES, Device, Reservation, ReservationStatus, Ticket
from . import credentials, transitions
from .errors import AlreadyCancelled, TooEarly, TooLate, Unknown, WrongDay, WrongLocation
from .queue import business_date


@dataclass(frozen=True)
class CheckInPolicy:
    early_minutes: int = 30
    late_minutes: int = 15

    @classmethod
    def from_config(cls, config) -> "CheckInPolicy":
        return cls(config["CHECKIN_EARLY_MINUTES"], config["CHECKIN_LATE_MINUTES"])


def _reservation_for(session, payload: str, secret_key: str) -> tuple[Reservation, Ticket | None]:
    code = credentials.read_check_in(payload, secret_key) if isinstance(payload, str) else None
    if code is None:
        raise Unknown("This code is not a reservation of ours.")
    return _locked_reservation(session, code)


def _locked_reservation(session, code: str) -> tuple[Reservation, Ticket | None]:
    """The reservation, locked, with its place and procedure (the ticket needs both),
    and its ticket if it was checked in before.

    Only a reservation still ``booked`` has never been checked in (a ticket is issued
    with the check-in move, transitions.py), so its ticket is looked for only when the
    status says there is one. It is looked for AFTER the lock: a query joining the
    tickets to the locked row would read them as they were before a second kiosk's
    check-in committed, while PostgreSQL hands over the reservation as it is after.
    """
    query = (select(Reservation).where(Reservation.code == code)
             .options(joinedload(Reservation.location), joinedload(Reservation.service)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Reservation)
    reservation = session.scalar(query)
    if reservation is None:
        raise Unknown("This code is not a reservation of ours.")
    if reservation.status == ReservationStatus.BOOKED:
        return reservation, None
    return reservation, session.scalar(select(Ticket).where(Ticket.reservation_id == reservation.id))


def check_in(session, *, payload: str, device: Device, now: datetime, secret_key: str,
             policy: CheckInPolicy) -> tuple[Ticket, bool]:
    """Check in the reservation behind ``payload`` at the kiosk ``device``.

    Returns the ticket and whether it was created now (False: scanned before).
    """
    reservation, existing = _reservation_for(session, payload, secret_key)
    return _check_in(session, reservation, existing, device.location_id, now, policy,
                     actor=f"device:{device.id}")


def check_in_by_code(session, *, code: str, location_id: int | None, now: datetime, actor: str,
                     policy: CheckInPolicy) -> tuple[Ticket, bool]:
    """A clerk checks in a resident who came without the QR code, found by code, phone
    or name (the console); the same rules as at the kiosk. ``location_id``: the place
    the clerk works at, when known."""
    reservation, existing = _locked_reservation(session, code.strip().upper())
    return _check_in(session, reservation, existing, location_id or reservation.location_id, now, policy,
                     actor)


def _check_in(session, reservation: Reservation, existing: Ticket | None, location_id: int,
              now: datetime, policy: CheckInPolicy, actor: str) -> tuple[Ticket, bool]:
    if reservation.location_id != location_id:
        raise WrongLocation("This reservation is for another place.",
                            location=reservation.location.slug)
    if existing is not None:
        return existing, False
    if reservation.status == ReservationStatus.CANCELLED:
        raise AlreadyCancelled("This reservation was cancelled.")
    start = reservation.starts_at
    if start.date() != business_date(now):
        raise WrongDay("This reservation is for another day.", date=start.date().isoformat())
    if not RESERVATION_MOVES["check_in"].allows(reservation.status):
        # no_show (or done) without a ticket: the check-in time has long passed.
        raise TooLate("Check-in for this reservation has closed.")
    opens = start - timedelta(minutes=policy.early_minutes)
    closes = start + timedelta(minutes=policy.late_minutes)
    if now < opens:
        raise TooEarly("Check-in opens {} minutes before your time.".format(policy.early_minutes),
                       opens_at=opens.isoformat())
    if now > closes:
        raise TooLate("Check-in closed {} minutes after your time; please take a walk-in "
                      "ticket.".format(policy.late_minutes), closed_at=closes.isoformat())

    # No savepoint around it: the reservation's row lock (or SQLite's BEGIN IMMEDIATE)
    # already serialises two scans of one code, and the unique reservation_id is the
    # backstop that would fail the second (tests/concurrency/test_checkin_race.py).
    return transitions.check_in(session, reservation, now, actor=actor), True

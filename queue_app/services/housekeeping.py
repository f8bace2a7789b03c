"""The rules the scheduled jobs apply: reminders, no-shows, closing time, the purge.

Each function claims its work with a conditional UPDATE (``… WHERE reminder_sent_at IS
NULL``, or a move of transitions.py, which only applies to rows still in the move's
source state), so running it twice, or in two processes, or again after a crash,
changes nothing the second time and misses nothing. None commits: the job does, once.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import or_, select, update

from ..config import TOKYO
from ..models import Location, Reservation, ReservationStatus, Ticket
from . import calendar, outbox, transitions

_BATCH = 500


def queue_reminders(session, now: datetime, from_hour: int = 9) -> int:
    """Queue the day-before reminder of tomorrow's reservations (from ``from_hour`` on,
    so nobody is woken at midnight): an e-mail, or a text message to those who left only
    a phone number (sent when an SMS provider is configured; notify.py). Returns how
    many were queued."""
    if now.astimezone(TOKYO).hour < from_hour:
        return 0
    tomorrow = calendar.today(now) + timedelta(days=1)
    due = session.scalars(select(Reservation).where(
        Reservation.status == ReservationStatus.BOOKED, Reservation.reminder_sent_at.is_(None),
        or_(Reservation.email.is_not(None), Reservation.phone.is_not(None)),
        Reservation.starts_at >= calendar.at(tomorrow, time(0)),
        Reservation.starts_at < calendar.at(tomorrow + timedelta(days=1), time(0)))
        .order_by(Reservation.id)).all()
    queued = 0
    for reservation in due:
        claimed = session.execute(update(Reservation).where(
            Reservation.id == reservation.id, Reservation.reminder_sent_at.is_(None),
            Reservation.status == ReservationStatus.BOOKED).values(reminder_sent_at=now)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            if reservation.email:
                outbox.enqueue_reminder(session, reservation, now)
            else:
                outbox.enqueue_sms_reminder(session, reservation, now)
            queued += 1
    return queued


def mark_no_shows(session, now: datetime, late_minutes: int) -> list[str]:
    """Booked reservations whose check-in window closed become ``no_show``; their codes."""
    return transitions.mark_reservation_no_shows(
        session, before=now - timedelta(minutes=late_minutes), now=now, actor="job:no_shows")


def purge_personal_data(session, now: datetime, retention_days: int) -> int:
    """Remove names and contacts ``retention_days`` after the visit; the rows stay for
    the statistics, marked with ``purged_at``. Returns how many were purged."""
    cutoff = now - timedelta(days=retention_days)
    ids = list(session.scalars(select(Reservation.id).where(
        Reservation.purged_at.is_(None), Reservation.ends_at < cutoff)))
    purged = 0
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start:start + _BATCH]
        purged += session.execute(update(Reservation).where(
            Reservation.id.in_(chunk), Reservation.purged_at.is_(None))
            .values(name=None, furigana=None, email=None, phone=None, purged_at=now)
            .execution_options(synchronize_session=False)).rowcount
        outbox.forget_recipients(session, chunk)
    return purged


def closing_time(session, location: Location, now: datetime) -> datetime | None:
    """When the place's last window closes today (None: closed all day)."""
    plan = calendar.get_day(session, location, calendar.today(now))
    return max((w.ends for w in plan.windows), default=None)


def cancel_waiting_at_closing(session, now: datetime) -> dict[str, int]:
    """Tickets still waiting when their place has closed (or from an earlier day) are
    cancelled with a reason, their reservations with them (a reservation follows its
    ticket); each place's displays hear of it once. Returns counts per place."""
    today = calendar.today(now)
    cancelled: dict[str, int] = {}
    for location in session.scalars(select(Location).order_by(Location.id)):
        closes = closing_time(session, location, now)
        expired = Ticket.business_date < today
        if closes is None or now >= closes:
            expired = or_(expired, Ticket.business_date == today)
        count = transitions.expire_waiting(session, location, today, expired, now, actor="job:closing")
        if count:
            cancelled[location.slug] = count
    return cancelled

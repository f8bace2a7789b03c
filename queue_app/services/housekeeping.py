"""The rules the scheduled jobs apply: reminders, no-shows, closing time, the purge.

Each function claims its work with a conditional UPDATE (``… WHERE reminder_sent_at IS
NULL``, ``… WHERE status = 'booked'``), so running it twice, or in two processes, or
again after a crash, changes nothing the second time and misses nothing. None commits:
the job does, once.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import or_, select, update

from ..config import TOKYO
from ..models import ACTIVE_STATUSES, Location, Reservation, Ticket
from . import audit, calendar, outbox
from .queue import announce_queue

_BATCH = 500


def queue_reminders(session, now: datetime, from_hour: int = 9) -> int:
    """Queue the day-before reminder of tomorrow's reservations (from ``from_hour`` on,
    so nobody is woken at midnight); returns how many were queued."""
    if now.astimezone(TOKYO).hour < from_hour:
        return 0
    tomorrow = calendar.today(now) + timedelta(days=1)
    due = session.scalars(select(Reservation).where(
        Reservation.status == "booked", Reservation.reminder_sent_at.is_(None),
        Reservation.email.is_not(None),
        Reservation.starts_at >= calendar.at(tomorrow, time(0)),
        Reservation.starts_at < calendar.at(tomorrow + timedelta(days=1), time(0)))
        .order_by(Reservation.id)).all()
    queued = 0
    for reservation in due:
        claimed = session.execute(update(Reservation).where(
            Reservation.id == reservation.id, Reservation.reminder_sent_at.is_(None),
            Reservation.status == "booked").values(reminder_sent_at=now)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            outbox.enqueue_reminder(session, reservation, now)
            queued += 1
    return queued


def mark_no_shows(session, now: datetime, late_minutes: int) -> list[str]:
    """Booked reservations whose check-in window closed become ``no_show``; their codes."""
    rows = session.execute(update(Reservation).where(
        Reservation.status == "booked",
        Reservation.starts_at < now - timedelta(minutes=late_minutes))
        .values(status="no_show")
        .returning(Reservation.code, Reservation.location_id)
        .execution_options(synchronize_session=False)).all()
    for code, location_id in rows:
        audit.record(session, actor="job:no_shows", action="reservation.no_show", now=now,
                     location_id=location_id, reservation_code=code)
    return [code for code, _ in rows]


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
            .values(name=None, email=None, phone=None, purged_at=now)
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
        rows = session.execute(update(Ticket).where(
            Ticket.location_id == location.id, Ticket.status == "waiting", expired)
            .values(status="cancelled", cancel_reason="closing_time", finished_at=now)
            .returning(Ticket.id, Ticket.number, Ticket.reservation_id)
            .execution_options(synchronize_session=False)).all()
        if not rows:
            continue
        reservation_ids = [row.reservation_id for row in rows if row.reservation_id]
        if reservation_ids:
            session.execute(update(Reservation).where(
                Reservation.id.in_(reservation_ids), Reservation.status.in_(ACTIVE_STATUSES))
                .values(status="cancelled", cancelled_at=now)
                .execution_options(synchronize_session=False))
        for row in rows:
            audit.record(session, actor="job:closing", action="ticket.cancel", now=now,
                         location_id=location.id, ticket_id=row.id,
                         detail={"number": row.number, "from_status": "waiting", "reason": "closing_time"})
        cancelled[location.slug] = len(rows)
        announce_queue(session, location, today, change="closing")
    return cancelled

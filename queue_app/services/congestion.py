"""The live congestion of a place (窓口混雑状況), for residents deciding whether to come
now: open or not, reception, how many wait, about how long a walk-in would wait, and
the numbers at the counters. Nothing personal: counts and ticket numbers only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ..models import AT_COUNTER, Location, Ticket, TicketStatus
from . import calendar, reception, waits

# How a resident reads a wait: the upper bounds (minutes) of the page's words.
WAIT_BUCKETS = ((5, "none"), (15, "15"), (30, "30"), (60, "60"))
OVER_AN_HOUR = "over_60"


def wait_bucket(minutes: int | None) -> str | None:
    """``none`` (すぐ), ``15``, ``30``, ``60`` (about that long), ``over_60``; None
    when there is no estimate."""
    if minutes is None:
        return None
    return next((name for limit, name in WAIT_BUCKETS if minutes <= limit), OVER_AN_HOUR)


def get_status(session, location: Location, now: datetime) -> dict:
    """``{"location", "open", "reception", "reception_reason", "next_opening", "waiting",
    "estimated_wait_minutes", "wait_bucket", "serving", "updated_at"}``.

    ``estimated_wait_minutes`` is what a walk-in taking a number now would be told
    (the longest over the procedures offered now, so nobody is promised too little);
    null when reception is not open.
    """
    day = calendar.today(now)
    offer = reception.get_walk_in_offer(session, location, now)
    desk = reception.describe(offer)
    waiting = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.location_id == location.id, Ticket.business_date == day,
        Ticket.status == TicketStatus.WAITING))
    serving = list(session.scalars(
        select(Ticket.number).where(Ticket.location_id == location.id, Ticket.business_date == day,
                                    Ticket.status.in_(AT_COUNTER)).order_by(Ticket.called_at, Ticket.number)))
    minutes = None
    if desk["reception"] == "open":
        today = waits.Today(session, location, day, now)
        estimates = [today.walk_in_estimate(s.id, today.new_walk_in(s.id))[1]
                     for s in offer["services"]]
        known = [m for m in estimates if m is not None]
        minutes = max(known) if known else None
    return {
        "location": location.slug, "open": offer["open"], **desk,
        "waiting": waiting, "estimated_wait_minutes": minutes, "wait_bucket": wait_bucket(minutes),
        "serving": serving, "updated_at": now,
    }

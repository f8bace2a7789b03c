"""Reception (受付): whether a place takes walk-ins now, and 受付終了, the cut-off.

A walk-in is refused once the forward estimate (services/waits.py) says it could not
be called before the counters close, less the place's ``cutoff_minutes``: Japanese
city halls then announce 受付終了 (reception closed for the day) rather than hand out
numbers nobody will call. Reservations are never cut off. The kiosk's offer, the
lobby screens' snapshot and the congestion page read their state from here.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..models import Location, Service
from . import calendar, waits


def get_walk_in_offer(session, location: Location, now: datetime) -> dict:
    """What a kiosk may offer right now: the window, and the walk-in procedures.

    ``reason`` says why nothing is offered: ``closed``, ``reservation_only`` or
    ``reception_closed`` (受付終了: a new walk-in would not be called before closing),
    with ``next_opening`` (when walk-ins are taken again).
    """
    plan = calendar.get_day(session, location, calendar.today(now))
    window = plan.window_at(now)
    offered = calendar.offered_services(session, location)
    services = session.scalars(select(Service).order_by(Service.position)).all()
    reason = None
    available: list[Service] = []
    if plan.reservation_only or (window is not None and not window.walk_in):
        reason = "reservation_only"
    elif window is None:
        reason = "closed"
    else:
        available = [s for s in services if s.id in offered and window.offers(s)]
        reason = None if available else "closed"
        if available and reception_closed(session, location, now, [s.id for s in available]):
            reason, available = "reception_closed", []
    return {"location": location.slug, "open": window is not None,
            "reservation_only": reason == "reservation_only", "reason": reason,
            "window": window, "services": available,
            "next_opening": next_opening(session, location, now) if reason else None}


def reception_closed(session, location: Location, now: datetime, service_ids: list[int]) -> bool:
    """受付終了: a walk-in issued now for any of ``service_ids`` would be called later
    than the place's cut-off before closing."""
    today = waits.Today(session, location, calendar.today(now), now)
    calls = [today.new_walk_in(service_id) for service_id in service_ids]
    return bool(calls) and all(too_late(location, today, call) for call in calls)


def too_late(location: Location, today: waits.Today, call) -> bool:
    """Whether a walk-in that ``call`` says is called then is past the cut-off (a call
    ``AFTER_CLOSING`` is). The late end of the range we would tell them is compared, not
    the point: a walk-in let in on the point alone was sometimes never called (day
    simulator). Without an estimate (None: no counter is open or coming back) reception
    stays open: the estimate never refuses a resident on no evidence."""
    return call is not None and call.latest > today.closes_in - location.cutoff_minutes * 60


def next_opening(session, location: Location, now: datetime) -> datetime | None:
    """When walk-ins are taken next: the start of the next window that takes them (within
    four weeks), for the kiosk's 受付終了 screen."""
    first = calendar.today(now)
    days = calendar.get_days(session, location, first, first + timedelta(days=28))
    starts = [window.starts for day in days.values() for window in day.windows
              if window.walk_in and not window.reservation_only and window.starts > now]
    return min(starts, default=None)


def state(session, location: Location, now: datetime) -> dict:
    """What the lobby screens and the congestion page say of reception (``describe``)."""
    return describe(get_walk_in_offer(session, location, now))


def describe(offer: dict) -> dict:
    """``{"reception": "open"|"reservation_only"|"closed", "reception_reason",
    "next_opening"}`` of a walk-in offer; ``reception_reason`` tells counters closed now
    (``closed``) from 受付終了 (``reception_closed``)."""
    if offer["reservation_only"]:
        value = "reservation_only"
    else:
        value = "open" if offer["reason"] is None else "closed"
    return {"reception": value, "reception_reason": offer["reason"],
            "next_opening": offer["next_opening"]}

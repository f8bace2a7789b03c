"""How a place is staffed: its usual day (how many counters are staffed in each hour,
which the forward estimate reads, services/waits.py) and each counter's open time day
by day (``CounterSession``: the counter-hours that reports divide serving time by).

A counter stays open overnight in the database (nobody closes it at 17:15), so the
counter-hours are cut at the day's closing time and started again at the next
opening by ``roll_counter_hours``, a job: a report never counts the night.
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import delete, select

from ..models import Counter, CounterSession, Location, StaffedHour
from . import audit, calendar
from .errors import Invalid

# The hours a usual day may describe (Asia/Tokyo); extended-hours windows end by 20:00.
FIRST_HOUR, LAST_HOUR = 7, 21
MAX_COUNTERS = 50


# ---------------------------------------------------------------- the usual day

def get_usual_day(session, location: Location) -> dict[int, int]:
    """``{hour: counters staffed}`` of the place's usual day; empty when it has none."""
    rows = session.execute(select(StaffedHour.hour, StaffedHour.counters)
                           .where(StaffedHour.location_id == location.id).order_by(StaffedHour.hour))
    return {hour: counters for hour, counters in rows}


def set_usual_day(session, location: Location, hours: dict[int, int], now: datetime,
                  actor: str, cutoff_minutes: int | None = None) -> dict[int, int]:
    """Replace the place's usual day (and, when given, its reception cut-off: how long
    before closing a walk-in must be called). Every hour is checked before anything
    changes; an empty ``hours`` removes the usual day (the estimate then assumes the
    counters open now stay open)."""
    errors: dict[str, list[str]] = {}
    for hour, counters in hours.items():
        if not (isinstance(hour, int) and FIRST_HOUR <= hour <= LAST_HOUR):
            errors[str(hour)] = [f"An hour from {FIRST_HOUR} to {LAST_HOUR}."]
        elif not (isinstance(counters, int) and 0 <= counters <= MAX_COUNTERS):
            errors[str(hour)] = [f"A number of counters from 0 to {MAX_COUNTERS}."]
    if errors:
        raise Invalid("The usual day has hours that cannot be.", errors={"hours": errors})
    detail: dict = {"hours": {str(h): c for h, c in sorted(hours.items())}}
    if cutoff_minutes is not None:
        if not 0 <= cutoff_minutes <= 120:
            raise Invalid("The cut-off is 0 to 120 minutes.", errors={"cutoff_minutes": ["0 to 120."]})
        location.cutoff_minutes = detail["cutoff_minutes"] = cutoff_minutes
    session.execute(delete(StaffedHour).where(StaffedHour.location_id == location.id))
    session.add_all(StaffedHour(location_id=location.id, hour=hour, counters=counters)
                    for hour, counters in sorted(hours.items()))
    audit.record(session, actor=actor, action="location.usual_day", now=now, location_id=location.id,
                 detail=detail)
    session.flush()
    return dict(sorted(hours.items()))


# ---------------------------------------------------------------- counter-hours

def _open_session(session, counter_id: int) -> CounterSession | None:
    return session.scalar(select(CounterSession).where(
        CounterSession.counter_id == counter_id, CounterSession.closed_at.is_(None))
        .order_by(CounterSession.opened_at.desc()).limit(1))


def _hours_of(session, location: Location, day: date) -> tuple[datetime, datetime] | None:
    """When the day's counters open and close (first window start, last window end)."""
    windows = calendar.get_day(session, location, day).windows
    if not windows:
        return None
    return min(w.starts for w in windows), max(w.ends for w in windows)


def counter_opened(session, counter: Counter, now: datetime) -> None:
    """Start the counter's open time now (a counter already counted is left alone)."""
    if _open_session(session, counter.id) is None:
        session.add(CounterSession(counter_id=counter.id, location_id=counter.location_id,
                                   business_date=calendar.today(now), opened_at=now))


def counter_closed(session, counter: Counter, now: datetime) -> None:
    """End the counter's open time now. A counter open since before today without a
    session yet (the roll job had not run) is counted from today's opening."""
    kept = _open_session(session, counter.id)
    if kept is not None and kept.business_date == calendar.today(now):
        kept.closed_at = now
        return
    if kept is not None:
        _close_at_day_end(session, counter.location, kept)
    hours = _hours_of(session, counter.location, calendar.today(now))
    if hours is not None and hours[0] < now:
        session.add(CounterSession(counter_id=counter.id, location_id=counter.location_id,
                                   business_date=calendar.today(now), opened_at=hours[0], closed_at=now))


def _close_at_day_end(session, location: Location, kept: CounterSession) -> None:
    hours = _hours_of(session, location, kept.business_date)
    end = hours[1] if hours is not None else calendar.at(kept.business_date, time(23, 59))
    kept.closed_at = max(kept.opened_at, end)


def roll_counter_hours(session, now: datetime) -> dict:
    """Cut yesterday's open time at closing, and count the counters left open from
    today's opening (once it has passed). Idempotent: run it as often as you like."""
    today = calendar.today(now)
    closed = started = 0
    for kept in session.scalars(select(CounterSession).where(
            CounterSession.closed_at.is_(None), CounterSession.business_date < today)):
        _close_at_day_end(session, session.get(Location, kept.location_id), kept)
        closed += 1
    counting = set(session.scalars(select(CounterSession.counter_id).where(
        CounterSession.closed_at.is_(None))))
    for location in session.scalars(select(Location)):
        hours = _hours_of(session, location, today)
        if hours is None or now < hours[0] or now >= hours[1]:
            continue
        for counter in session.scalars(select(Counter).where(
                Counter.location_id == location.id, Counter.is_open.is_(True))):
            if counter.id not in counting:
                session.add(CounterSession(counter_id=counter.id, location_id=location.id,
                                           business_date=today, opened_at=hours[0]))
                started += 1
    session.flush()
    return {"closed": closed, "started": started}

"""The congestion forecast (混雑予想): for each open hour of the coming days, quiet,
normal or busy, so a resident can pick a quiet time.

How it is computed, in the words the pages use (``METHOD``): the residents expected in
an hour are the walk-ins who came on average in the same hour of the same weekday over
the last ``HISTORY_WEEKS`` weeks, plus the reservations of that hour (those already
booked, or the usual number when more were booked on past weeks); they are compared
with what the counters staffed in that hour can serve. The history is counted by the
database (one grouped query), never row by row.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ..models import Counter, Location, Reservation, ReservationStatus, Service, StaffedHour, Ticket
from . import calendar
from .errors import Invalid
from .tokyo_sql import TokyoSql

HISTORY_WEEKS = 8
MAX_DAYS = 60
MAX_AHEAD_DAYS = 180
# expected ÷ capacity below QUIET is quiet, from BUSY on busy.
QUIET, BUSY = 0.5, 0.9
METHOD = {
    "ja": "過去8週間の同じ曜日・時間帯の来庁者数と、その時間帯の予約数を、窓口で対応できる人数と比べて予想しています。",
    "en": "Predicted from the number of visitors at the same weekday and hour over the last eight weeks "
          "and the reservations for that hour, compared with how many the counters can serve.",
}


def check_request(first: date, days: int, today: date) -> None:
    errors = {}
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = [f"From 1 to {MAX_DAYS} days."]
    if first < today - timedelta(days=1) or first > today + timedelta(days=MAX_AHEAD_DAYS):
        errors["from"] = [f"A day from today to {MAX_AHEAD_DAYS} days ahead."]
    if errors:
        raise Invalid("The forecast cannot cover these days.", errors=errors)


def _history(session, location: Location, today: date) -> dict[tuple[int, int, str], float]:
    """Mean tickets per open day by (weekday, hour, kind) over the last weeks."""
    sql = TokyoSql(session)
    first = today - timedelta(weeks=HISTORY_WEEKS)
    hour = sql.tokyo_hour(Ticket.issued_at)
    rows = session.execute(
        select(Ticket.business_date, hour, Ticket.kind, func.count())
        .where(Ticket.location_id == location.id, Ticket.business_date >= first, Ticket.business_date < today)
        .group_by(Ticket.business_date, hour, Ticket.kind)).all()
    totals: dict[tuple[int, int, str], int] = defaultdict(int)
    days_seen: dict[int, set] = defaultdict(set)
    for day, at_hour, kind, count in rows:
        totals[(day.weekday(), at_hour, kind)] += count
        days_seen[day.weekday()].add(day)
    return {key: count / len(days_seen[key[0]]) for key, count in totals.items()}


def _booked(session, location: Location, first: date, last: date) -> dict[tuple[date, int], int]:
    """Reservations already booked by (day, hour)."""
    sql = TokyoSql(session)
    day, hour = sql.tokyo_date(Reservation.starts_at), sql.tokyo_hour(Reservation.starts_at)
    rows = session.execute(
        select(day, hour, func.count())
        .where(Reservation.location_id == location.id,
               Reservation.status.in_((ReservationStatus.BOOKED, ReservationStatus.CHECKED_IN)),
               Reservation.starts_at >= calendar.at(first, time(0)),
               Reservation.starts_at < calendar.at(last + timedelta(days=1), time(0)))
        .group_by(day, hour)).all()
    return {(d if isinstance(d, date) else date.fromisoformat(d), h): n for d, h, n in rows}


def _capacity_per_hour(session, location: Location) -> dict[int, float]:
    """Residents the counters can serve in each hour: counters staffed (the usual day,
    else every counter) × 60 ÷ the mean planned duration."""
    counters = session.scalar(select(func.count()).select_from(Counter).where(Counter.location_id == location.id))
    minutes = float(session.scalar(select(func.avg(Service.duration_minutes))) or 15)
    plan = sorted(session.execute(select(StaffedHour.hour, StaffedHour.counters)
                                  .where(StaffedHour.location_id == location.id)).all())
    capacity = {}
    for hour in range(24):
        staffed = [n for start, n in plan if start <= hour]
        capacity[hour] = (staffed[-1] if staffed else counters) * 60 / minutes
    return capacity


def level(expected: float, capacity: float) -> str:
    if capacity <= 0:
        return "busy"
    ratio = expected / capacity
    return "quiet" if ratio < QUIET else "busy" if ratio >= BUSY else "normal"


def get_forecast(session, location: Location, first: date, days: int, now: datetime) -> list[dict]:
    """``[{"date", "hours": [{"start", "level", "expected"}]}]``, one entry per day from
    ``first``; a closed day has no hours. ``start`` is the band's start (the opening
    time for the first band, then each hour)."""
    today = calendar.today(now)
    check_request(first, days, today)
    last = first + timedelta(days=days - 1)
    history = _history(session, location, today)
    booked = _booked(session, location, first, last)
    capacity = _capacity_per_hour(session, location)
    plans = calendar.get_days(session, location, first, last)
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        plan = plans.get(day)
        hours = []
        bands: dict[int, datetime] = {}  # hour -> when its band starts (08:30, 09:00, …)
        for window in (plan.windows if plan else ()):
            for hour in range(window.starts.hour, window.ends.hour + (1 if window.ends.minute else 0)):
                start = max(window.starts, calendar.at(day, time(hour)))
                bands[hour] = min(bands.get(hour, start), start)
        starts = [bands[hour] for hour in sorted(bands)]
        for start in starts:
            hour = start.hour
            walk_ins = history.get((day.weekday(), hour, "walk_in"), 0.0)
            reserved = max(booked.get((day, hour), 0), history.get((day.weekday(), hour, "reservation"), 0.0))
            expected = walk_ins + reserved
            hours.append({"start": start, "level": level(expected, capacity[hour]),
                          "expected": round(expected, 1)})
        result.append({"date": day, "hours": hours})
    return result

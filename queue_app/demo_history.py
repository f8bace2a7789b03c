"""Past weeks for the demo (``seed-demo --history WEEKS``): plausible days at both
places, so the reports, the forecast and the congestion page show something real on a
fresh demo.

Each open day of the calendar before today gets reservations in its slots (some
cancelled, some no-shows), walk-ins arriving through the day (more in the morning,
fewer at lunch; Mondays, days after a holiday and the end of March are busier, as
DOMAIN.md says), the counters' open stretches from the place's usual day (the lunch
rota included), and a simple simulation of the counters calling residents in the
order of service (checked-in reservations first, then walk-ins by their ticket), so
waits grow when the lobby is full. Walk-ins who could not have been called before the
reception cut-off are recorded as turned away instead.

Seeded: a day's figures depend only on the seed, the place and the date, so the same
demo comes out every time. Idempotent: a day that already holds tickets or
reservations at a place is left alone, so running it twice does not double anything
(and a longer ``--history`` later only adds the older weeks). Nothing personal is
made up: the reservations are past, so their names and contacts are already purged.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import jpholiday
from sqlalchemy import insert, select

from .config import TOKYO
from .models import (Counter, CounterSession, Location, Reservation, ReservationStatus, Service, Slot,
                     StaffedHour, Ticket, TicketNumberCounter, TicketStatus, TurnedAway)
from .services import calendar, credentials

SEED = 2027
CUTOFF = timedelta(minutes=15)  # the demo's reception cut-off: closing time minus 15 minutes
# Walk-ins arriving in each hour, relative to one another (Tokyo hours).
ARRIVALS = {8: 0.6, 9: 1.4, 10: 1.5, 11: 1.1, 12: 0.6, 13: 1.0, 14: 1.0, 15: 0.9, 16: 0.5, 17: 0.5, 18: 0.3}
# Walk-ins a day on an ordinary day, and the share of reservable seats booked.
WALK_INS = {"honcho": 32, "awara": 9}
BOOKED_SHARE = 0.4
# Procedures residents without a reservation come for, and how often.
WALK_IN_MIX = {"card-application": 4, "card-pickup": 3, "cert-renewal": 3, "info-change": 3, "reissue": 1,
               "pin-reset": 2, "expiry-change": 1, "special-extension": 1}
RESERVATION_MIX = {"card-pickup": 6, "cert-renewal": 3, "expiry-change": 1, "special-extension": 1,
                   "card-application": 2}


@dataclass
class _Visit:
    """One resident of the simulated day."""

    kind: str  # "reservation" | "walk_in"
    service_id: int
    issued: datetime  # ticket issued, or reservation checked in
    due: datetime  # when the order of service lets them be called (a reservation: its slot)
    reservation: dict | None = None
    fate: str = "done"  # "done" | "no_show" (called, did not come) | "cancelled" (left)
    called: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    counter_id: int | None = None
    duration: timedelta = field(default=timedelta(minutes=14))


def seed_history(session, weeks: int, now: datetime, seed: int = SEED) -> dict:
    """Fill the ``weeks`` weeks before today at every place; returns what was added."""
    today = calendar.today(now)
    first = today - timedelta(weeks=weeks)
    services = {s.slug: s for s in session.scalars(select(Service))}
    added = {"days": 0, "tickets": 0, "reservations": 0, "turned_away": 0, "skipped_days": 0}
    for location in session.scalars(select(Location).order_by(Location.id)):
        taken = _days_with_history(session, location, first, today)
        plans = calendar.get_days(session, location, first, today - timedelta(days=1))
        for day, plan in plans.items():
            if not plan.open:
                continue
            if day in taken:
                added["skipped_days"] += 1
                continue
            rng = random.Random(f"{seed}:{location.slug}:{day.isoformat()}")
            counts = _fill_day(session, location, plan, services, rng, now)
            added["days"] += 1
            for key, value in counts.items():
                added[key] += value
    return added


def _days_with_history(session, location: Location, first: date, last: date) -> set[date]:
    ticket_days = session.scalars(select(Ticket.business_date).distinct().where(
        Ticket.location_id == location.id, Ticket.business_date.between(first, last)))
    starts = session.scalars(select(Reservation.starts_at).where(
        Reservation.location_id == location.id,
        Reservation.starts_at >= calendar.at(first, datetime.min.time()),
        Reservation.starts_at < calendar.at(last + timedelta(days=1), datetime.min.time())))
    return set(ticket_days) | {start.astimezone(TOKYO).date() for start in starts}


def _busyness(day: date) -> float:
    """How much busier than an ordinary day: Mondays, the day after a holiday, the end of
    March (moves before the new school and business year)."""
    factor = 1.0
    if day.weekday() == 0:
        factor *= 1.3
    if jpholiday.is_holiday(day - timedelta(days=1)) and day.weekday() != 0:
        factor *= 1.25
    if day.month == 3 and day.day >= 20 or day.month == 4 and day.day <= 5:
        factor *= 1.4
    return factor


def _counters_by_hour(session, location: Location) -> tuple[list[int], dict[int, int]]:
    counters = [c.id for c in session.scalars(select(Counter).where(Counter.location_id == location.id)
                                              .order_by(Counter.position, Counter.id))]
    staffed = {row.hour: row.counters for row in session.scalars(
        select(StaffedHour).where(StaffedHour.location_id == location.id))}
    usual: dict[int, int] = {}
    current = len(counters)
    for hour in range(24):  # the usual day holds from its hour until the next row
        current = staffed.get(hour, current)
        usual[hour] = min(current, len(counters))
    return counters, usual


def _fill_day(session, location, plan, services, rng: random.Random, now: datetime) -> dict:
    counters, usual = _counters_by_hour(session, location)
    if not counters:
        return {"tickets": 0, "reservations": 0, "turned_away": 0}
    day = plan.date
    busy = _busyness(day) * rng.uniform(0.85, 1.15)

    # Counter sessions: counter i is open in the hours the usual day staffs i+1 counters.
    sessions = []
    for window in plan.windows:
        for index, counter_id in enumerate(counters):
            stretch_start = None
            moment = window.starts
            while moment <= window.ends:
                staffed = moment < window.ends and usual[moment.hour] > index
                if staffed and stretch_start is None:
                    stretch_start = moment
                if not staffed and stretch_start is not None:
                    sessions.append({"counter_id": counter_id, "location_id": location.id, "business_date": day,
                                     "opened_at": stretch_start, "closed_at": moment})
                    stretch_start = None
                # step to the next full hour (or the window's end)
                next_hour = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
                moment = min(next_hour, window.ends) if moment < window.ends else window.ends + timedelta(seconds=1)

    # Reservations in the calendar's slots.
    visits: list[_Visit] = []
    reservations = []
    slots = []
    step = timedelta(minutes=calendar.SLOT_MINUTES)
    for window in plan.windows:
        bookable = [s for s in services.values() if window.is_reservable(s)]
        if not bookable:
            continue
        seats = max(calendar.reservation_capacity(session, location, s) for s in bookable)
        weights = [RESERVATION_MIX.get(s.slug, 1) for s in bookable]
        start = window.slots_from
        while start + step <= window.slots_until:
            share = min(BOOKED_SHARE * busy * (0.7 if start.hour == 12 else 1.0), 0.95)
            if window.reservation_only:
                share = 0.9  # the holiday window is usually full
            booked = 0
            for _seat in range(seats):
                if rng.random() >= share:
                    continue
                service = rng.choices(bookable, weights)[0]
                roll = rng.random()
                status = (ReservationStatus.CANCELLED if roll < 0.06 else ReservationStatus.NO_SHOW
                          if roll < 0.13 else ReservationStatus.DONE)
                if status != ReservationStatus.CANCELLED:
                    booked += 1
                reservation = {"status": status, "service_id": service.id, "starts_at": start,
                               "ends_at": start + step,
                               "created_at": start - timedelta(days=rng.randint(1, 28), hours=rng.randint(0, 10)),
                               "cancelled_at": start - timedelta(days=1) if status == ReservationStatus.CANCELLED else None,
                               "checked_in_at": None}
                reservations.append(reservation)
                if status == ReservationStatus.DONE:
                    checked_in = start - timedelta(minutes=rng.uniform(2, 20))
                    reservation["checked_in_at"] = checked_in
                    visits.append(_Visit("reservation", service.id, checked_in, start, reservation,
                                         duration=_duration(rng)))
            slots.append({"location_id": location.id, "starts_at": start, "capacity": seats, "booked": booked})
            start += step

    # Walk-ins through the windows that take them, more in busy hours.
    hours = []  # (window, start, end, weight)
    for window in plan.windows:
        if not window.walk_in:
            continue
        for hour in range(window.starts.hour, window.ends.hour + 1):
            start = max(window.starts, window.starts.replace(hour=hour, minute=0))
            end = min(window.ends, window.starts.replace(hour=hour, minute=0) + timedelta(hours=1))
            if end > start and hour in ARRIVALS:
                hours.append((window, start, end, ARRIVALS[hour] * (end - start) / timedelta(hours=1)))
    if hours:
        expected = WALK_INS.get(location.slug, 10) * busy
        total = max(int(rng.gauss(expected, expected ** 0.5)), 0)
        for _ in range(total):
            window, start, end, _weight = rng.choices(hours, [h[3] for h in hours])[0]
            offered = [s for s in services.values() if s.slug in WALK_IN_MIX and window.offers(s)]
            if not offered:
                continue
            issued = start + (end - start) * rng.random()
            service = rng.choices(offered, [WALK_IN_MIX[s.slug] for s in offered])[0]
            roll = rng.random()
            fate = "cancelled" if roll < 0.015 else "no_show" if roll < 0.035 else "done"
            visits.append(_Visit("walk_in", service.id, issued, issued, fate=fate, duration=_duration(rng)))

    # Each window is served by its own counters; walk-ins who could not have been called
    # before the reception cut-off were turned away instead (and the day replayed without them).
    turned: list[_Visit] = []
    kept: list[_Visit] = []
    for window in plan.windows:
        mine = [v for v in visits if window.starts <= v.issued < window.ends
                or (v.kind == "reservation" and window.starts <= v.due < window.ends)]
        mine = [v for v in mine if all(v is not k for k in kept)]
        stretches = [x for x in sessions if window.starts <= x["opened_at"] < window.ends]
        for _round in range(5):
            _simulate(mine, stretches, rng)
            late = [v for v in mine if v.kind == "walk_in" and v.fate != "cancelled"
                    and (v.called is None or v.called > window.ends - CUTOFF)]
            if not late:
                break
            turned += late
            mine = [v for v in mine if all(v is not t for t in late)]
        kept += mine
    visits = kept
    for visit in visits:
        if visit.called is None and visit.fate != "cancelled":
            visit.fate = "cancelled"  # the counters closed first: the resident left

    # Write (Core statements: a year of demo is tens of thousands of rows): slots, then
    # reservations (their ids), then tickets.
    slot_ids = {}
    if slots:
        ids = session.execute(insert(Slot.__table__).returning(Slot.__table__.c.id, sort_by_parameter_order=True), slots).scalars()
        slot_ids = {slot["starts_at"]: slot_id for slot, slot_id in zip(slots, ids)}
    reservation_ids = {}
    if reservations:
        rows = []
        for reservation in reservations:
            rows.append({**reservation, "code": credentials.new_code(),
                         "token_hash": credentials.hash_token(credentials.new_token()),
                         "location_id": location.id, "slot_id": slot_ids[reservation["starts_at"]],
                         "name": None, "email": None, "phone": None, "language": "ja", "proxy": False,
                         # A past reservation's name and contact are gone (the purge job).
                         "purged_at": now})
        table = Reservation.__table__
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        reservation_ids = {id(reservation): rid for reservation, rid in zip(reservations, ids)}
    numbers = {"R": 0, "W": 0}
    tickets = []
    for visit in sorted(visits, key=lambda v: v.issued):
        prefix = "R" if visit.kind == "reservation" else "W"
        numbers[prefix] += 1
        status = TicketStatus(visit.fate)
        tickets.append({
            "id": secrets.token_urlsafe(16),  # as services/queue.py: random, unguessable
            "location_id": location.id, "service_id": visit.service_id,
            "reservation_id": reservation_ids.get(id(visit.reservation)) if visit.reservation else None,
            "business_date": day, "number": f"{prefix}-{numbers[prefix]:03d}", "kind": visit.kind,
            "status": status, "priority": "normal", "band": 1 if visit.kind == "reservation" else 2,
            "order_at": visit.due if visit.kind == "reservation" else visit.issued, "issued_at": visit.issued,
            "counter_id": visit.counter_id, "called_at": visit.called, "started_at": visit.started,
            "finished_at": visit.finished, "recall_count": 0,
            "cancel_reason": "left before the call" if status == TicketStatus.CANCELLED else None})
    if tickets:
        session.execute(insert(Ticket.__table__), tickets)
    for prefix, last in numbers.items():
        if last:
            session.merge(TicketNumberCounter(location_id=location.id, business_date=day, prefix=prefix, last=last))
    if sessions:
        session.execute(insert(CounterSession.__table__), sessions)
    if turned:
        session.execute(insert(TurnedAway.__table__), [{"location_id": location.id, "service_id": v.service_id,
                                              "business_date": day, "at": v.issued} for v in turned])
    return {"tickets": len(tickets), "reservations": len(reservations), "turned_away": len(turned)}


def _duration(rng: random.Random) -> timedelta:
    """A procedure at the counter: about 15 minutes (DOMAIN.md), now and then much longer."""
    minutes = rng.gauss(13, 3.5) if rng.random() > 0.05 else rng.uniform(25, 40)
    return timedelta(minutes=min(max(minutes, 5), 45))


def _simulate(visits: list[_Visit], sessions: list[dict], rng: random.Random) -> None:
    """The counters call residents in the order of service: whenever a counter is open
    and free, it takes the first reservation whose slot has come (within five minutes),
    else the walk-in waiting longest. Walk time and no-shows as observed."""
    for visit in visits:
        visit.called = visit.started = visit.finished = visit.counter_id = None
    free_at = {}  # counter → when it is next free
    stretches = sorted(sessions, key=lambda s: s["opened_at"])
    pending = sorted(visits, key=lambda v: v.issued)
    lead = timedelta(minutes=5)
    for stretch in stretches:
        counter = stretch["counter_id"]
        free_at[counter] = max(free_at.get(counter, stretch["opened_at"]), stretch["opened_at"])
    while pending:
        # The counter free first, among the stretches still open then.
        options = []
        for stretch in stretches:
            moment = max(free_at[stretch["counter_id"]], stretch["opened_at"])
            if moment < stretch["closed_at"]:
                options.append((moment, stretch))
        if not options:
            break
        moment, stretch = min(options, key=lambda item: item[0])
        ready = [v for v in pending if v.issued <= moment and v.due - lead <= moment]
        if not ready:
            # Nobody yet: the counter waits for the next resident who can be called.
            upcoming = min(max(v.issued, v.due - lead) for v in pending)
            if upcoming >= stretch["closed_at"]:
                free_at[stretch["counter_id"]] = stretch["closed_at"]
                continue
            free_at[stretch["counter_id"]] = upcoming
            continue
        reservations = [v for v in ready if v.kind == "reservation"]
        visit = min(reservations, key=lambda v: (v.due, v.issued)) if reservations else \
            min(ready, key=lambda v: v.issued)
        pending.remove(visit)
        if visit.fate == "cancelled":
            continue  # left before being called: no counter time
        visit.called, visit.counter_id = moment, stretch["counter_id"]
        if visit.fate == "no_show":
            free_at[stretch["counter_id"]] = moment + timedelta(minutes=3)  # called twice, then gave up
            continue
        visit.started = moment + timedelta(minutes=rng.uniform(0.3, 2.0))
        visit.finished = visit.started + visit.duration
        free_at[stretch["counter_id"]] = visit.finished

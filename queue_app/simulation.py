"""The day simulator (issue 14): a SimPy model of one office day that drives the real
services — walk-in tickets and check-ins at the kiosk, call-next, start and completion
at the counters, counters closing for lunch with the time they are back, the no-show
and closing-time jobs — on a scratch SQLite database, with a fake clock passed as
``now`` to every service.

It models the office, not queueing maths: walk-ins come as a Poisson process, reserved
residents come 5-15 minutes before their slot (a share never comes), a called
resident walks to the counter and is served for a random time; each clerk calls the
next resident whenever their counter is free and open, and the clerks follow the
place's usual day (``StaffedHour``: who is at lunch, closed with the time they are
back). Who is called, the estimate a walk-in is given and the reception cut-off
(受付終了) are the services' own answers. Each resident's times are drawn when they
arrive, from streams seeded by the seed and the day, so a seed gives the same day
twice and two staffings of one day meet the same residents.

The estimate itself stays pure (services/estimate.py); this module is the other side
of it: what actually happens, to measure the estimate against
(``bench/simulate_day.py``) and to advise on staffing (``flask staffing-advice``,
cli_staffing.py).
"""
from __future__ import annotations

import random
import secrets
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import simpy
from sqlalchemy import select

from .extensions import db
from .models import Device, Location, Reservation, ReservationStatus, Service
from .services import (accounts, booking, calendar, checkin, credentials, housekeeping, queue,
                       staffing, transitions, waits)
from .services.errors import DomainError, ReceptionClosed

ACTOR = "sim:clerk"
KIOSK = "sim-kiosk"
# What brings residents to the counters (weights). Walk-ins come for anything the
# place offers; reservations are for the reservable procedures.
WALK_IN_MIX = (("card-pickup", 3.0), ("card-application", 2.0), ("info-change", 2.0),
               ("pin-reset", 1.5), ("reissue", 1.0), ("cert-renewal", 0.5))
RESERVATION_MIX = (("card-pickup", 7.0), ("cert-renewal", 2.0), ("expiry-change", 0.5),
                   ("special-extension", 0.5))
BASELINE_MINUTES = 10.0  # the old estimate: people ahead × 10 minutes ÷ open counters


@dataclass(frozen=True)
class Load:
    """What a simulated day brings: residents and how long things take (minutes)."""

    walk_ins_per_hour: float = 20.0
    booked_share: float = 0.6  # of the day's reservable seats, booked the day before
    show_rate: float = 0.9  # reserved residents who come
    early: tuple[float, float] = (5.0, 15.0)  # they come this early, uniformly
    service: tuple[float, float] = (8.0, 12.0)  # from the call to the completion
    walk: tuple[float, float] = (0.3, 1.5)  # from the call to the counter
    walk_in_mix: tuple[tuple[str, float], ...] = WALK_IN_MIX
    reservation_mix: tuple[tuple[str, float], ...] = RESERVATION_MIX


class SimClock:
    """The scratch app's CLOCK: the simulated moment."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class WalkIn:
    """A walk-in ticket: what it was told when issued, and when it was called."""

    number: str
    service: str
    issued: datetime
    position: int | None
    estimate: int | None  # minutes (estimated_wait_minutes at issue)
    low: int | None
    high: int | None
    baseline: float  # minutes, the old formula at the same moment
    called: datetime | None = None

    @property
    def wait(self) -> float | None:
        return None if self.called is None else (self.called - self.issued).total_seconds() / 60


@dataclass
class Visit:
    """A reserved resident who checked in."""

    starts: datetime
    arrived: datetime
    called: datetime | None = None

    @property
    def wait(self) -> float | None:
        """From their slot (or their arrival, if late) to the call."""
        if self.called is None:
            return None
        return max((self.called - max(self.starts, self.arrived)).total_seconds() / 60, 0.0)


@dataclass
class DayResult:
    day: date
    opens: datetime
    closes: datetime
    counters: int
    booked: int = 0
    walk_ins: list[WalkIn] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    turned_away: int = 0
    refused: int = 0  # walk-ins or check-ins refused for another reason (should be 0)
    completed: int = 0
    last_leaves: datetime | None = None

    @property
    def last_walk_in_called(self) -> datetime | None:
        return max((w.called for w in self.walk_ins if w.called), default=None)

    def waits(self) -> list[float]:
        """Every resident's wait in minutes (walk-ins and reserved) who was called."""
        return [v.wait for v in [*self.walk_ins, *self.visits] if v.wait is not None]


# ---------------------------------------------------------------- the scratch app

def scratch_app(path: str | Path, start: datetime | None = None, seed: bool = True):
    """An app on a new SQLite file at ``path`` (schema created, the demo city seeded
    unless ``seed`` is False), its CLOCK a ``SimClock``; no scheduler, no message queue."""
    from . import create_app
    from .demo_data import seed_demo

    clock = SimClock(start or datetime(2027, 1, 4, 8, 0, tzinfo=calendar.TOKYO))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(path)}", "APP_ENV": "development",
                      "SCHEDULER_ENABLED": False, "SOCKETIO_MESSAGE_QUEUE": None, "CLOCK": clock,
                      "SECRET_KEY": secrets.token_hex(32), "RATELIMIT_ENABLED": False,
                      "CALENDAR_CACHE_SECONDS": 3600})
    with app.app_context():
        db.create_all()
        if seed:
            seed_demo(db.session)
        db.session.commit()
    return app


def ordinary_days(app, slug: str, first: date, count: int) -> list[date]:
    """The first ``count`` days from ``first`` that have one ordinary window taking
    walk-ins (not closed, not a holiday window, no evening window)."""
    days: list[date] = []
    with app.app_context():
        location = db.session.scalar(select(Location).where(Location.slug == slug))
        day = first
        while len(days) < count:
            plan = calendar.get_day(db.session, location, day)
            if len(plan.windows) == 1 and plan.windows[0].walk_in and plan.windows[0].kind == "regular":
                days.append(day)
            day += timedelta(days=1)
    return days


def _pick(rng: random.Random, mix, allowed: dict[str, Service]) -> Service:
    choices = [(slug, weight) for slug, weight in mix if slug in allowed]
    return allowed[rng.choices([s for s, _ in choices], [w for _, w in choices])[0]]


def book_day(session, location: Location, day: date, load: Load, rng: random.Random,
             policy: booking.BookingPolicy) -> int:
    """Book ``load.booked_share`` of the day's seats through ``book_slot``, the evening
    before, for made-up residents; returns how many were booked."""
    now = calendar.at(day - timedelta(days=1), time(18, 0))
    plan = calendar.get_day(session, location, day)
    reservable = {s.slug: s for s in session.scalars(select(Service).where(Service.reservable.is_(True)))}
    offered = {slug: s for slug, s in reservable.items() if calendar.reservation_capacity(session, location, s)}
    if not offered or not any(slug in offered for slug, _ in load.reservation_mix):
        return 0
    seats = []
    for start in sorted({start for s in offered.values() for start in plan.slot_starts(s)}):
        capacity = max(calendar.reservation_capacity(session, location, s) for s in offered.values())
        seats += [start] * capacity
    chosen = sorted(rng.sample(seats, round(load.booked_share * len(seats))))
    booked = 0
    for n, start in enumerate(chosen):
        service = _pick(rng, load.reservation_mix, offered)
        contact = booking.validate_contact("模擬 住民", f"sim-{day:%Y%m%d}-{n}@example.jp", None)
        try:
            booking.book_slot(session, location=location, service=service, start=start,
                              contact=contact, now=now, policy=policy)
        except DomainError:
            session.rollback()
            continue
        session.commit()
        booked += 1
    return booked


# ---------------------------------------------------------------- the office

class _Office:
    """One day at one place: SimPy processes for the residents, the clerks, the lunch
    rota and the jobs; every change goes through the services and is committed at once,
    as a request would."""

    def __init__(self, app, location: Location, day: date, load: Load, seed):
        self.app, self.load, self.day = app, load, day
        self.session = db.session
        self.clock = app.config["CLOCK"]
        self.location = location
        self.arrivals = random.Random(f"{seed}:{day.isoformat()}:arrivals")
        self.visitors = random.Random(f"{seed}:{day.isoformat()}:reserved")
        plan = calendar.get_day(self.session, location, day)
        if not plan.windows:
            raise ValueError(f"{location.slug} is closed on {day}")
        self.midnight = calendar.at(day, time(0))
        self.opens = min(w.starts for w in plan.windows)
        self.closes = max(w.ends for w in plan.windows)
        self.env = simpy.Environment(initial_time=self._minutes(self.opens) - 30)
        self.closing = self.env.timeout(self._minutes(self.closes) - self.env.now)
        self.counters = queue.get_counters(self.session, location)
        self.usual = staffing.get_usual_day(self.session, location)
        self.on_duty = [False] * len(self.counters)
        self.duty_changed = [self.env.event() for _ in self.counters]
        self.arrived = self.env.event()
        services = self.session.scalars(select(Service)).all()
        offered = calendar.offered_services(self.session, location)
        self.walk_in_services = {s.slug: s for s in services if s.id in offered}
        self.device = self._kiosk()
        self.tickets: dict[str, object] = {}  # ticket id -> WalkIn | Visit
        self.result = DayResult(day, self.opens, self.closes, len(self.counters))

    # -------------------------------------------------------- plumbing

    def _minutes(self, moment: datetime) -> float:
        return (moment - self.midnight).total_seconds() / 60

    def _now(self) -> datetime:
        now = self.midnight + timedelta(minutes=self.env.now)
        self.clock.now = now
        return now

    def _do(self, action):
        """One unit of work: run ``action``, commit; a domain error commits what it must
        keep (a walk-in turned away) and rolls back the rest, as a request does."""
        try:
            value = action()
        except DomainError as error:
            self.session.commit() if error.keeps_record else self.session.rollback()
            raise
        self.session.commit()
        return value

    def _kiosk(self) -> Device:
        name = f"{KIOSK}-{self.location.slug}"
        device = self.session.scalar(select(Device).where(Device.name == name))
        if device is None:
            device, _ = accounts.create_device(self.session, name, "kiosk", self.location.slug, self.opens)
            self.session.commit()
        return device

    def _signal_arrival(self) -> None:
        event, self.arrived = self.arrived, self.env.event()
        event.succeed()

    # -------------------------------------------------------- the usual day

    def _staffed(self, minute: float) -> int:
        if not self.usual:
            return len(self.counters)
        hours = [h for h in self.usual if h * 60 <= minute]
        return self.usual[max(hours)] if hours else self.usual[min(self.usual)]

    def _back_at(self, index: int, minute: float) -> datetime | None:
        """When a counter going off duty at ``minute`` is on duty again today."""
        for hour in sorted(self.usual):
            if minute < hour * 60 < self._minutes(self.closes) and index < self.usual[hour]:
                return self.midnight + timedelta(hours=hour)
        return None

    def _apply_duty(self, first: bool = False) -> None:
        now = self._now()
        for index, counter in enumerate(self.counters):
            wanted = index < self._staffed(self.env.now)
            if wanted == self.on_duty[index] and not first:
                continue
            until = None if wanted else self._back_at(index, self.env.now)
            self._do(lambda: queue.set_counter_open(self.session, counter, wanted, now, ACTOR, until=until))
            self.on_duty[index] = wanted
            event, self.duty_changed[index] = self.duty_changed[index], self.env.event()
            event.succeed()

    def _rota(self):
        self._apply_duty(first=True)
        closes = self._minutes(self.closes)
        for hour in sorted(self.usual):
            if self.env.now < hour * 60 < closes:
                yield self.env.timeout(hour * 60 - self.env.now)
                self._apply_duty()

    # -------------------------------------------------------- residents

    def _walk_ins(self):
        rate = self.load.walk_ins_per_hour / 60.0
        if rate <= 0:
            return
        moment = self._minutes(self.opens)
        closes = self._minutes(self.closes)
        while True:
            moment += self.arrivals.expovariate(rate)
            if moment >= closes:
                return
            service = _pick(self.arrivals, self.load.walk_in_mix, self.walk_in_services)
            times = (self.arrivals.uniform(*self.load.walk), self.arrivals.uniform(*self.load.service))
            yield self.env.timeout(moment - self.env.now)
            self._issue(service, times)

    def _issue(self, service: Service, times) -> None:
        now = self._now()

        def issue():
            ticket = queue.issue_walk_in(self.session, location=self.location, service=service,
                                         now=now, actor=f"device:{self.device.id}")
            return ticket, waits.ticket_estimate(self.session, ticket, now)

        try:
            ticket, (position, minutes, spread) = self._do(issue)
        except ReceptionClosed:
            self.result.turned_away += 1
            return
        except DomainError:
            self.result.refused += 1
            return
        open_counters = sum(1 for c in self.counters if c.is_open)
        baseline = max((position or 1) - 1, 0) * BASELINE_MINUTES / max(open_counters, 1)
        record = WalkIn(ticket.number, service.slug, now, position, minutes,
                        *(spread if spread else (None, None)), baseline)
        self.result.walk_ins.append(record)
        self.tickets[ticket.id] = (record, times)
        self._signal_arrival()

    def _reserved(self, code: str, starts: datetime):
        comes = self.visitors.random() < self.load.show_rate
        early = self.visitors.uniform(*self.load.early)
        times = (self.visitors.uniform(*self.load.walk), self.visitors.uniform(*self.load.service))
        if not comes:
            return
        yield self.env.timeout(max(self._minutes(starts) - early - self.env.now, 0.0))
        now = self._now()
        payload = credentials.sign_check_in(code, self.app.config["SECRET_KEY"])
        policy = checkin.CheckInPolicy.from_config(self.app.config)
        try:
            ticket, _ = self._do(lambda: checkin.check_in(
                self.session, payload=payload, device=self.device, now=now,
                secret_key=self.app.config["SECRET_KEY"], policy=policy))
        except DomainError:
            self.result.refused += 1
            return
        visit = Visit(starts, now)
        self.result.visits.append(visit)
        self.tickets[ticket.id] = (visit, times)
        self._signal_arrival()

    # -------------------------------------------------------- clerks and jobs

    def _clerk(self, index: int):
        counter = self.counters[index]
        closes = self._minutes(self.closes)
        while self.env.now < closes:
            if not self.on_duty[index]:
                yield self.duty_changed[index] | self.closing
                continue
            now = self._now()
            ticket = self._do(lambda: queue.call_next(
                self.session, queue.get_counter(self.session, counter.id, lock=True), now, ACTOR))
            if ticket is None:
                yield self.arrived | self.duty_changed[index] | self.closing
                continue
            record, (walk, service) = self.tickets.get(ticket.id, (None, self._default_times()))
            if record is not None:
                record.called = now
            yield self.env.timeout(min(walk, service))
            self._do(lambda: transitions.start(self.session, ticket, self._now(), ACTOR))
            yield self.env.timeout(max(service - walk, 0.0))
            self._do(lambda: transitions.complete(self.session, ticket, self._now(), ACTOR))
            self.result.completed += 1
            self.result.last_leaves = self._now()

    def _default_times(self) -> tuple[float, float]:
        """Times for a ticket the model did not create (there are none in a scratch day)."""
        return (sum(self.load.walk) / 2, sum(self.load.service) / 2)

    def _jobs(self):
        """The scheduler's jobs that shape the day: no-shows every five minutes (the
        history's show-up rate comes from them), waiting tickets cancelled at closing."""
        late = self.app.config["CHECKIN_LATE_MINUTES"]
        closes = self._minutes(self.closes)
        while self.env.now < closes:
            yield self.env.timeout(min(5.0, closes - self.env.now))
            self._do(lambda: housekeeping.mark_no_shows(self.session, self._now(), late))
        self._do(lambda: housekeeping.cancel_waiting_at_closing(self.session, self._now()))
        self._do(lambda: housekeeping.mark_no_shows(self.session, self._now() + timedelta(hours=1), late))

    def run(self) -> DayResult:
        day_start = self.midnight
        bookings = self.session.execute(
            select(Reservation.code, Reservation.starts_at)
            .where(Reservation.location_id == self.location.id, Reservation.status == ReservationStatus.BOOKED,
                   Reservation.starts_at >= day_start, Reservation.starts_at < day_start + timedelta(days=1))
            .order_by(Reservation.starts_at, Reservation.id)).all()
        self.result.booked = len(bookings)
        self._now()
        self.env.process(self._rota())
        for index in range(len(self.counters)):
            self.env.process(self._clerk(index))
        for code, starts in bookings:
            self.env.process(self._reserved(code, starts))
        self.env.process(self._walk_ins())
        self.env.process(self._jobs())
        self.env.run()
        return self.result


def simulate_day(app, slug: str, day: date, load: Load, seed, *, book: bool = True) -> DayResult:
    """Play ``day`` at the place ``slug``: book the day's reservations the evening before
    (unless ``book`` is False: they are already there), then run the office."""
    with app.app_context():
        location = db.session.scalar(select(Location).where(Location.slug == slug))
        if location is None:
            raise ValueError(f"no place {slug!r}")
        if book:
            rng = random.Random(f"{seed}:{day.isoformat()}:bookings")
            book_day(db.session, location, day, load, rng, booking.BookingPolicy.from_config(app.config))
        result = _Office(app, location, day, load, seed).run()
        db.session.remove()
        return result


# ---------------------------------------------------------------- figures

@dataclass(frozen=True)
class Accuracy:
    """How the first estimate given to walk-ins compared with their actual call."""

    walk_ins: int
    called: int
    turned_away: int
    within_new: float  # share called within ±tolerance of the estimate (uncalled: a miss)
    within_baseline: float
    in_range: float  # share called inside the range given
    mae_new: float  # mean absolute error, minutes (called walk-ins)
    mae_baseline: float
    bias_new: float  # mean of (actual − estimate): > 0 means called later than told
    bias_baseline: float
    latest_call_before_close: float | None  # minutes from the last walk-in call to closing (min over days)


def accuracy(days: list[DayResult], tolerance: float = 5.0) -> Accuracy:
    walk_ins = [w for d in days for w in d.walk_ins]
    called = [w for w in walk_ins if w.wait is not None]
    told = [w for w in called if w.estimate is not None]

    def share(hits) -> float:
        return sum(1 for _ in hits) / len(walk_ins) if walk_ins else float("nan")

    def mean(values) -> float:
        values = list(values)
        return statistics.fmean(values) if values else float("nan")

    margins = [(d.closes - d.last_walk_in_called).total_seconds() / 60 for d in days if d.last_walk_in_called]
    return Accuracy(
        len(walk_ins), len(called), sum(d.turned_away for d in days),
        share(w for w in told if abs(w.wait - w.estimate) <= tolerance),
        share(w for w in called if abs(w.wait - w.baseline) <= tolerance),
        share(w for w in told if w.low is not None and w.low <= round(w.wait) <= w.high),
        mean(abs(w.wait - w.estimate) for w in told), mean(abs(w.wait - w.baseline) for w in called),
        mean(w.wait - w.estimate for w in told), mean(w.wait - w.baseline for w in called),
        min(margins) if margins else None)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

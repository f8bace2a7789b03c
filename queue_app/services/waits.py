"""Where a ticket stands and how long it may wait: the values of the forward play
(estimate.py), read from the database.

``position`` is 1 + the waiting tickets ahead of it in the order of service that
compete for the same counters: a ticket ahead counts when some counter that may call
it may also call ours (the counters serving its procedure, or the one counter it was
transferred to). ``estimated_wait_minutes`` and ``estimated_wait_range`` come from
playing the office forward (estimate.py): the tickets ahead, the reserved residents
still to check in (booked today × the show-up rate seen at this place in the last four
weeks, arriving as early as they were seen to), the counters open now, those whose
clerk said when they are back and the place's usual day, and service times per
procedure from call to completion, the recent ones weighing most, starting from the
last four weeks' mean (or the procedure's planned duration) before today's first
completion. No counter will call it today: both are null.

Called and serving tickets stand at position 0 and wait 0; finished tickets have
neither. The estimate never fails a request: whatever it lacks, it falls back to the
prior. Phones poll ``GET /tickets/{id}``, so it costs one query when the rules cache
is warm (``_read_day``: the day's tickets, today's recent services and today's
bookings together).
"""
from __future__ import annotations

import collections
import functools
import logging

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple

from sqlalchemy import (DateTime, Float, Integer, and_, bindparam, case, cast, func, literal_column, null,
                        select, type_coerce, union_all)

from ..models import (AT_COUNTER, BAND_RESERVATION, BAND_WALK_IN, Counter, Location, Reservation,
                      ReservationStatus, Service, StaffedHour, Ticket, TicketStatus)
from ..models.places import counter_services
from ..models.types import TokyoDateTime
from . import calendar, rules_cache
from .estimate import AFTER_CLOSING, Call, CounterState, Job, Office, play, recent_mean

HISTORY_DAYS = 28
# A procedure's service time today: its last RECENT_SERVICES completions, each worth
# RECENT_WEIGHT times the next newer one (about 14 completions to halve), blended with a
# prior counted as older than all of them: the last four weeks' mean, worth as many
# completions as it was measured from up to HISTORY_WEIGHT, or the planned duration,
# worth PLANNED_WEIGHT (a guess). Why so many: the error in a mean service time counts
# once per resident ahead, so on a long wait the noise of a mean of ten recent
# completions (weighted 0.8, history worth three) outweighed any drift in the day's
# pace. On the day simulator at 20 walk-ins an hour over 20 days, within ±5 minutes
# went from 65 % to 70 % (the simulator's true mean gives 74 % on the 5-day run where
# these give 72 %).
RECENT_SERVICES = 30
RECENT_WEIGHT = 0.95
HISTORY_WEIGHT = 20.0
PLANNED_WEIGHT = 3.0
DEFAULT_EARLY_SECONDS = 600.0  # reserved residents come about ten minutes early
DEFAULT_SHOW_RATE = 0.9

Estimate = tuple[int | None, int | None, list[int] | None]  # position, minutes, range


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Rules:
    counters: tuple[tuple[int, frozenset[int], bool, datetime | None], ...]  # id, serves, open, until
    planned_seconds: dict[int, float]
    staffed: dict[int, int]  # hour -> counters staffed (the usual day)


@dataclass(frozen=True)
class _History:
    service_seconds: dict[int, tuple[float, int]]  # procedure -> (mean, completions measured)
    show_rate: float
    early_seconds: float


def _duration(session, start, end):
    """``end - start`` in seconds, in the database's own dialect."""
    return _seconds_between(session.get_bind().dialect.name, start, end)


def _seconds_between(dialect: str, start, end):
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _load_rules(session, location_id: int) -> _Rules:
    serves: dict[int, frozenset[int]] = {}
    state: dict[int, tuple[bool, datetime | None]] = {}
    rows = session.execute(
        select(Counter.id, Counter.is_open, Counter.closed_until, counter_services.c.service_id)
        .outerjoin(counter_services, counter_services.c.counter_id == Counter.id)
        .where(Counter.location_id == location_id))
    for counter_id, is_open, until, service_id in rows:
        serves[counter_id] = serves.get(counter_id, frozenset()) | (
            {service_id} if service_id is not None else set())
        state[counter_id] = (is_open, until)
    planned = {service_id: float(minutes * 60) for service_id, minutes
               in session.execute(select(Service.id, Service.duration_minutes))}
    staffed = dict(session.execute(select(StaffedHour.hour, StaffedHour.counters)
                                   .where(StaffedHour.location_id == location_id)).all())
    return _Rules(tuple((c, serves[c], *state[c]) for c in sorted(serves)), planned, staffed)


def _load_history(session, location_id: int, day: date) -> _History:
    """The last four weeks at this place: service time from call to completion per
    procedure, the share of reservations that came, and how early they came."""
    since = day - timedelta(days=HISTORY_DAYS)
    past = and_(Ticket.location_id == location_id, Ticket.business_date >= since,
                Ticket.business_date < day)
    seconds = {service_id: (mean, count) for service_id, mean, count in session.execute(
        select(Ticket.service_id, cast(func.avg(_duration(session, Ticket.called_at, Ticket.finished_at)), Float),
               func.count())
        .where(past, Ticket.status == TicketStatus.DONE, Ticket.called_at.is_not(None),
               Ticket.finished_at.is_not(None))
        .group_by(Ticket.service_id))}
    booked = and_(Reservation.location_id == location_id,
                  Reservation.starts_at >= calendar.at(since, datetime.min.time()),
                  Reservation.starts_at < calendar.at(day, datetime.min.time()))
    came, missed, early = session.execute(
        select(func.count(Reservation.checked_in_at),
               func.sum(case((Reservation.status == ReservationStatus.NO_SHOW, 1.0), else_=0.0)),
               cast(func.avg(_duration(session, Reservation.checked_in_at, Reservation.starts_at)), Float))
        .where(booked, Reservation.status != ReservationStatus.CANCELLED)).one()
    came, missed = came or 0, missed or 0
    show_rate = came / (came + missed) if came + missed >= 20 else DEFAULT_SHOW_RATE
    return _History({s: (max(mean, 60.0), count) for s, (mean, count) in seconds.items() if mean is not None},
                    show_rate,
                    early if early is not None and came >= 20 else DEFAULT_EARLY_SECONDS)


class _DayRow(NamedTuple):
    """A row of ``_read_day``'s statement, in its column order. A plain tuple, not
    SQLAlchemy's Row: a busy day's request reads ~800 rows several times over, and a
    Row's attribute costs ten times a tuple's (0.5 µs)."""

    source: str
    id: str | None
    status: str | None
    service_id: int
    target_counter_id: int | None
    counter_id: int | None
    band: int | None
    order_at: datetime | None
    issued_at: datetime | None
    number: str | None
    called_at: datetime | None
    seconds: float | None
    reservation_id: int | None
    newest: int | None


def _read_day(session, location_id: int, day: date) -> tuple[list, dict[int, list[float]], list]:
    """The day at this place in ONE round trip (a UNION ALL of three reads, told apart
    by ``source``): the tickets waiting or at a counter (``open``), today's last
    ``RECENT_SERVICES`` completions per procedure, call to completion, newest first
    (``done``), and today's reservations still booked (``booked``, their slot start in
    ``order_at``). Returns (open tickets, seconds by procedure, booked reservations).

    The rows' times are naive UTC, as stored (``_utc``): the play only orders them and
    measures between them, and turning ~2,000 of them into Tokyo time cost a busy
    day's request more than a millisecond."""
    start_of_day = calendar.at(day, datetime.min.time())
    tickets, seconds, reservations = [], {}, []
    for row in map(_DayRow._make, session.execute(_day_statement(session.get_bind().dialect.name), {
            "location_id": location_id, "day": day, "day_starts": start_of_day,
            "day_ends": start_of_day + timedelta(days=1)}).all()):  # one fetch, not one per row
        if row.source == "open":
            tickets.append(row)
        elif row.source == "done":
            seconds.setdefault(row.service_id, []).append((row.newest, max(float(row.seconds), 0.0)))
        else:
            reservations.append(row)
    return tickets, {s: [v for _, v in sorted(values)] for s, values in seconds.items()}, reservations


@functools.cache
def _day_statement(dialect: str):
    """``_read_day``'s statement, built once per dialect (phones ask every few seconds,
    and building it costs more than running it)."""
    none = null()
    location_id, day = bindparam("location_id"), bindparam("day")
    tickets_today = and_(Ticket.location_id == location_id, Ticket.business_date == day)
    open_tickets = select(
        literal_column("'open'").label("source"), Ticket.id, Ticket.status, Ticket.service_id,
        Ticket.target_counter_id, Ticket.counter_id, Ticket.band, _stored(Ticket.order_at),
        _stored(Ticket.issued_at), Ticket.number, _stored(Ticket.called_at), cast(none, Float).label("seconds"),
        Ticket.reservation_id,
        cast(none, Integer).label("newest"),
    ).where(tickets_today, Ticket.status.in_((TicketStatus.WAITING, *AT_COUNTER)))
    newest = func.row_number().over(partition_by=Ticket.service_id,
                                     order_by=Ticket.finished_at.desc()).label("newest")
    done = (select(Ticket.service_id, cast(_seconds_between(dialect, Ticket.called_at, Ticket.finished_at),
                                           Float).label("seconds"), newest)
            .where(tickets_today, Ticket.status == TicketStatus.DONE, Ticket.called_at.is_not(None),
                   Ticket.finished_at.is_not(None)).subquery())
    recent = select(literal_column("'done'"), none, none, done.c.service_id, none, none, none, none, none,
                    none, none, done.c.seconds, none, done.c.newest).where(done.c.newest <= RECENT_SERVICES)
    booked = select(literal_column("'booked'"), none, none, Reservation.service_id, none, none, none,
                    _stored(Reservation.starts_at), none, none, none, none, Reservation.id, none).where(
        Reservation.location_id == location_id, Reservation.status == ReservationStatus.BOOKED,
        Reservation.starts_at >= bindparam("day_starts", type_=TokyoDateTime),
        Reservation.starts_at < bindparam("day_ends", type_=TokyoDateTime))
    return union_all(open_tickets, recent, booked)


def _stored(column):
    """A time column as stored: naive UTC, without TokyoDateTime's conversion."""
    return type_coerce(column, DateTime).label(column.key)


def _utc(moment: datetime) -> datetime:
    """An aware time as ``_read_day``'s rows hold it: naive UTC."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _rank(band: int, order_at: datetime, issued_at: datetime, number: str) -> tuple:
    # Naive UTC datetimes, compared as they are: a busy day ranks ~800 residents a request.
    return (band, order_at, issued_at, number)


# A walk-in issued now goes after every ticket of its band.
_LAST = (BAND_WALK_IN, datetime.max, datetime.max, "~")


class Today:
    """What the play needs about one place on one day, read once; ``estimate`` and
    ``estimate_new_walk_in`` play it forward."""

    def __init__(self, session, location: Location, day: date, now: datetime):
        location_id = location.id
        self.now = now
        self._now_utc = _utc(now)
        rules: _Rules = rules_cache.cached(session, ("wait-rules", location_id),
                                           lambda: _load_rules(session, location_id))
        history: _History = rules_cache.cached(session, ("wait-history", location_id, day),
                                               lambda: _load_history(session, location_id, day))
        self.tickets, recent, booked = _read_day(session, location_id, day)
        self.service_seconds = {service_id: self._service_seconds(recent.get(service_id, []), planned,
                                                                  history.service_seconds.get(service_id))
                                for service_id, planned in rules.planned_seconds.items()}
        self.serves = {counter_id: serves for counter_id, serves, _, _ in rules.counters}
        self._reaches: dict[tuple[int, int | None], frozenset[int]] = {}
        # The reserved residents still to come, by reservation id (the one checking in
        # now is left out of its own estimate).
        self.expected_of = self._expected(booked, history)
        self.expected = list(self.expected_of.values())
        plan = calendar.get_day(session, location, day)
        opens_in, closes_in = self._hours(plan)
        busy: dict[int, float] = {}
        for row in self.tickets:
            if row.status in AT_COUNTER and row.counter_id is not None:
                since = row.called_at or self._now_utc
                left = self.service_seconds.get(row.service_id, 900.0) - (self._now_utc - since).total_seconds()
                busy[row.counter_id] = busy.get(row.counter_id, 0.0) + max(left, 0.0)
        counters = []
        for counter_id, serves, is_open, until in rules.counters:
            back_in = None
            if not is_open and until is not None and until > now:
                back_in = max((until - now).total_seconds(), opens_in)
            counters.append(CounterState(counter_id, serves, is_open,
                                         max(busy.get(counter_id, 0.0), opens_in), back_in))
        self.open_counters = {c.id for c in counters if c.open}
        self.office = Office(tuple(counters), self.service_seconds, closes_in,
                             self._staffed(rules.staffed, now))
        self.closes_in = closes_in

    @staticmethod
    def _service_seconds(today: list[float], planned: float, past: tuple[float, int] | None) -> float:
        """A procedure's service time: today's completions (newest first) weighted
        towards the recent, blended with the past weeks' mean or the planned duration."""
        prior, weight = (past[0], min(float(past[1]), HISTORY_WEIGHT)) if past else (planned, PLANNED_WEIGHT)
        return recent_mean(today, prior, prior_weight=weight, recent_weight=RECENT_WEIGHT)

    def _hours(self, plan) -> tuple[float, float]:
        """Seconds from now until the counters open (0 when open) and until they close
        (the end of the stretch of windows going on now or coming next today)."""
        windows = sorted((w for w in plan.windows if w.ends > self.now), key=lambda w: w.starts)
        if not windows:
            return 0.0, 0.0
        opens = max(windows[0].starts, self.now)
        ends = windows[0].ends
        for window in windows[1:]:
            if window.starts > ends:
                break
            ends = max(ends, window.ends)
        return (opens - self.now).total_seconds(), (ends - self.now).total_seconds()

    @staticmethod
    def _staffed(staffed: dict[int, int], now: datetime) -> tuple[tuple[float, int], ...]:
        """The usual day from the hour we are in, as (seconds from now, counters)."""
        if not staffed:
            return ()
        local = calendar.at(calendar.today(now), datetime.min.time())
        steps = []
        for hour in sorted(staffed):
            start = (local + timedelta(hours=hour) - now).total_seconds()
            steps.append((start, staffed[hour]))
        current = [s for s in steps if s[0] <= 0]
        later = [s for s in steps if s[0] > 0]
        first = (0.0, current[-1][1]) if current else (0.0, later[0][1] if later else 0)
        return (first, *later)

    def _expected(self, booked: list, history: _History) -> dict[int, Job]:
        """The reserved residents still to check in today, as jobs weighted by the
        chance that they come; those already late count less, those past the check-in
        limit not at all (they can only take a walk-in number)."""
        jobs = {}
        now, early = self._now_utc, timedelta(seconds=history.early_seconds)
        past_the_limit, late = now - timedelta(minutes=15), now - timedelta(minutes=5)
        for row in booked:
            starts_at, service_id = row.order_at, row.service_id
            if starts_at < past_the_limit:
                continue
            arrives = starts_at - early
            weight = history.show_rate / 2 if arrives < late else history.show_rate
            arrives_in = max((arrives - now).total_seconds(), 0.0)
            jobs[row.reservation_id] = Job(_rank(BAND_RESERVATION, starts_at, arrives, "~"), service_id,
                                           arrives_in=arrives_in, weight=weight)
        return jobs

    # ------------------------------------------------------------ answers

    def _reach(self, service_id: int, target: int | None) -> frozenset[int]:
        """The counters that may call a ticket (kept: every ticket ahead asks it)."""
        key = (service_id, target)
        reach = self._reaches.get(key)
        if reach is None:
            reach = self._reaches[key] = frozenset((target,)) if target is not None else frozenset(
                c for c, serves in self.serves.items() if service_id in serves)
        return reach

    def _job(self, row) -> Job:
        return Job(_rank(row.band, row.order_at, row.issued_at, row.number), row.service_id, row.target_counter_id)

    def estimate_all(self) -> dict[str, Estimate]:
        """Position, minutes and range of every waiting ticket, by id."""
        waiting = sorted(self._waiting, key=lambda pair: pair[1].rank)
        calls = self._play([job for _, job in waiting] + self.expected, set(range(len(waiting))))
        result = {}
        passed: collections.Counter = collections.Counter()  # tickets ahead by (procedure, counter sent to)
        for index, (ticket_id, job) in enumerate(waiting):
            reach = self._reach(job.service_id, job.target)
            ahead = sum(count for (other, target), count in passed.items() if self._reach(other, target) & reach)
            result[ticket_id] = (ahead + 1, *self._minutes(calls.get(index)))
            passed[job.service_id, job.target] += 1
        return result

    def estimate(self, ticket: Ticket) -> Estimate:
        if ticket.status in AT_COUNTER:
            return 0, 0, [0, 0]
        if ticket.status != TicketStatus.WAITING:
            return None, None, None
        mine = _rank(ticket.band, _utc(ticket.order_at), _utc(ticket.issued_at), ticket.number)
        reach = self._reach(ticket.service_id, ticket.target_counter_id)
        # Jobs only for the tickets ahead: a check-in ranks before most of the day. The
        # band alone decides for most of them, without building their rank.
        band, rest = mine[0], mine[1:]
        ahead = [r for r in self.tickets if r.status == TicketStatus.WAITING
                 and (r.band < band or r.band == band and (r.order_at, r.issued_at, r.number) < rest)
                 and r.id != ticket.id]
        position = 1 + sum(1 for r in ahead if self._reach(r.service_id, r.target_counter_id) & reach)
        jobs = [Job(mine, ticket.service_id, ticket.target_counter_id), *map(self._job, ahead)]
        jobs += [j for reservation_id, j in self.expected_of.items()
                 if j.rank < mine and reservation_id != ticket.reservation_id]
        return (position, *self._minutes(self._play(jobs, {0}).get(0)))

    @functools.cached_property
    def _waiting(self) -> list[tuple[str, Job]]:
        """Every waiting ticket: (its id, itself as a job), ranked once per read."""
        return [(r.id, self._job(r)) for r in self.tickets if r.status == TicketStatus.WAITING]

    @functools.cached_property
    def _waiting_jobs(self) -> list[Job]:
        """Every waiting ticket as a job (the cut-off and the congestion page play a
        new walk-in once per procedure)."""
        return [job for _, job in self._waiting]

    @functools.cached_property
    def _waiting_by_reach(self) -> collections.Counter:
        """How many tickets wait for each (procedure, counter sent to)."""
        return collections.Counter((r.service_id, r.target_counter_id) for r in self.tickets
                                   if r.status == TicketStatus.WAITING)

    def new_walk_in(self, service_id: int) -> Call | None:
        """When a walk-in for ``service_id`` issued now would be called."""
        jobs = [Job(_LAST, service_id), *self._waiting_jobs, *self.expected]
        return self._play(jobs, {0}).get(0)

    def walk_in_estimate(self, service_id: int, call: Call | None) -> Estimate:
        """The estimate of a walk-in issued now (after every ticket waiting), from its
        ``call`` (``new_walk_in``): what the kiosk prints, without a second play."""
        reach = self._reach(service_id, None)
        ahead = sum(count for (other, target), count in self._waiting_by_reach.items()
                    if self._reach(other, target) & reach)
        return (ahead + 1, *self._minutes(call))

    def _play(self, jobs: list[Job], targets: set[int]) -> dict[int, Call | None]:
        # The estimate must never fail a request (a ticket is worth more than its
        # estimate): a fault in the play is logged and the ticket has no estimate.
        try:
            return play(self.office, jobs, targets)
        except Exception:  # noqa: BLE001
            log.exception("the wait estimate failed; answering without one")
            return {}

    @staticmethod
    def _minutes(call: Call | None) -> tuple[int | None, list[int] | None]:
        if call is None or call is AFTER_CLOSING:  # no estimate to give
            return None, None
        point, (low, high) = call.minutes()
        # Residents read a range in fives (「約10〜20分」): rounded outwards, never empty.
        low, high = low // 5 * 5, max(-(-high // 5) * 5, low // 5 * 5 + 5)
        return point, [low, high]


def ticket_estimate(session, ticket: Ticket, now: datetime) -> Estimate:
    """(position, estimated_wait_minutes, estimated_wait_range) of one ticket; a ticket
    issued in this request already carries the one it was issued with."""
    if ticket.estimate_at_issue is not None and ticket.estimate_at_issue[0] == now:
        return ticket.estimate_at_issue[1]
    if ticket.status in AT_COUNTER:
        return 0, 0, [0, 0]
    if ticket.status != TicketStatus.WAITING:
        return None, None, None
    location = session.get(Location, ticket.location_id)
    return Today(session, location, ticket.business_date, now).estimate(ticket)


def queue_estimates(session, location: Location, day: date, now: datetime) -> dict[str, Estimate]:
    """Estimates for every waiting ticket of the place, by id."""
    return Today(session, location, day, now).estimate_all()

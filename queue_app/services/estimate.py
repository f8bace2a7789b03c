"""When will a waiting resident be called? A forward play of the office, in pure
functions over plain values (waits.py reads the values from the database).

The play runs the order of service forward from now, one call at a time: the counter
that frees up first calls the first resident it may serve among those present. Present
are the tickets waiting now and, from their expected arrival on, the reserved residents
who have not checked in yet: at the counter they go before every walk-in (the
reservation band), so a walk-in who ignored them was told a wait that was too short.
An expected resident comes only with the show-up probability ``weight``, so they weigh
``weight`` × their service time: a fluid approximation that is right on average
without playing every combination of who comes.

Counters serve while they are open: a counter open now, a closed one from the time its
clerk said they would be back (``back_at``), and, when the place has a usual day, no
more counters at a time than the day staffs in that hour (lunch: 3 → 2), less the
counters missing now against the plan (a clerk called away stays away). Nobody is
called after closing.

A service lasts its procedure's ``service_seconds`` (measured from call to completion,
so the walk to the counter is in it). The range comes from the spread of the work
before the call: each resident's service time varies (coefficient of variation
``cv``) and each expected resident may not come, so the variance of the call time is
the sum of those variances shared among the counters, and the range is ±1.28 σ (80 %
of calls fall within it when the errors are normal).
"""
from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass, field
from typing import NamedTuple

INFINITY = math.inf
Z80 = 1.2816  # the 10th and 90th percentiles of the normal distribution


@dataclass(frozen=True)
class CounterState:
    """A counter as the play needs it; times are seconds from now."""

    id: int
    serves: frozenset[int]
    open: bool
    free_in: float = 0.0  # what is left of its current resident
    back_in: float | None = None  # a closed counter whose clerk said when they return


class Job(NamedTuple):
    """A resident ahead in the order of service: waiting now (``arrives_in`` 0,
    ``weight`` 1) or expected (a reservation not checked in yet). A tuple, not a
    dataclass: a busy day makes ~800 of them a request, and a tuple is made 2-3× faster."""

    rank: tuple  # the order of service: (band, order_at, issued_at, number) as comparable values
    service_id: int
    target: int | None = None  # sent to one counter
    arrives_in: float = 0.0
    weight: float = 1.0


@dataclass(frozen=True)
class Office:
    counters: tuple[CounterState, ...]
    service_seconds: dict[int, float]
    closes_in: float = INFINITY
    # The usual day from now on: (seconds from now, counters staffed from then), sorted;
    # the first step is the hour we are in. Empty: the counters open now stay open.
    staffed: tuple[tuple[float, int], ...] = ()
    cv: float = 0.3  # spread of one service time (sd ÷ mean)
    default_seconds: float = 900.0

    def seconds(self, service_id: int) -> float:
        return self.service_seconds.get(service_id, self.default_seconds)


@dataclass
class Call:
    """When a job is called: the point in seconds and the spread (σ) of that time."""

    at: float
    sigma: float

    @property
    def latest(self) -> float:
        """The late end of the range, in seconds: 90 % of calls come before it."""
        return self.at + Z80 * self.sigma

    def minutes(self) -> tuple[int, tuple[int, int]]:
        """(point, (low, high)) in whole minutes; whole seconds first, because float
        arithmetic leaves dust (359.9999…)."""
        point = math.ceil(round(self.at) / 60)
        low = max(0, math.floor(round(self.at - Z80 * self.sigma) / 60))
        high = max(point, math.ceil(round(self.at + Z80 * self.sigma) / 60))
        return point, (min(low, point), high)


# Not called today: the counters close first (services/reception.py: 受付終了).
AFTER_CLOSING = Call(INFINITY, 0.0)


@dataclass
class _Server:
    state: CounterState
    order: int  # rank among the counters for the usual day: open ones first
    free_at: float
    spread: float = 0.0  # variance of free_at
    done: bool = False


@dataclass
class _Play:
    office: Office
    servers: list[_Server] = field(default_factory=list)
    closing_reached: bool = False  # a counter stopped because the day ended

    def allowed(self, t: float) -> int | None:
        """How many counters may serve at ``t`` (None: no usual day, no limit)."""
        steps = self.office.staffed
        if not steps:
            return None
        shortfall = max(0, steps[0][1] - sum(1 for s in self.servers if s.state.open))
        count = steps[0][1]
        for start, planned in steps:
            if start > t:
                break
            count = planned
        # The rota takes its breaks from the clerks present, but an hour the plan
        # staffs keeps at least one counter (17:00 → 1 with one clerk missing is 1).
        return max(min(count, 1), count - shortfall)

    def change_points(self) -> list[float]:
        points = {start for start, _ in self.office.staffed}
        points.update(s.state.back_in for s in self.servers if s.state.back_in is not None)
        return sorted(p for p in points if p > 0)

    def on_duty(self, server: _Server, t: float) -> bool:
        state = server.state
        if not (state.open or (state.back_in is not None and t >= state.back_in)):
            return False
        allowed = self.allowed(t)
        if allowed is None:
            return True
        present = sorted((s for s in self.servers
                          if s.state.open or (s.state.back_in is not None and t >= s.state.back_in)),
                         key=lambda s: s.order)
        return server in present[:allowed]

    def next_free(self, server: _Server, points: list[float]) -> float:
        """The first moment from ``server.free_at`` when it is on duty, before closing."""
        t = server.free_at
        # Most calls: a counter on duty when it frees up (no list of moments to build).
        if t < self.office.closes_in and self.on_duty(server, t):
            return t
        for moment in [t] + [p for p in points if p > t]:
            if moment >= self.office.closes_in:
                self.closing_reached = moment < INFINITY or self.closing_reached
                return INFINITY
            if self.on_duty(server, moment):
                return moment
        if server.state.open or server.state.back_in is not None:
            self.closing_reached = True  # it serves today, but the usual day ends its day
        return INFINITY


def _may_call(counter: CounterState, job: Job) -> bool:
    return job.target == counter.id if job.target is not None else job.service_id in counter.serves


def play(office: Office, jobs: list[Job], targets: set[int]) -> dict[int, Call | None]:
    """Play the office forward until every job whose index is in ``targets`` is
    called; their calls by index: ``AFTER_CLOSING`` when the day ends first, None when
    no counter would ever call it (none open, none coming back).

    Time only moves forward (the next call is always the earliest one), so the play
    keeps the counters in a heap by when they are free next, the residents present in
    the order of service, and those still to come by arrival: a call costs a few
    steps, not a pass over every counter and every resident (a busy office holds
    hundreds of both, and phones ask for their estimate every few seconds)."""
    # A counter closed with no word of its clerk coming back calls nobody today: left
    # out (a place may list many more counters than it staffs).
    serving = [c for c in office.counters if c.open or c.back_in is not None]
    order = sorted(serving, key=lambda c: (not c.open, c.back_in or 0.0, c.id))
    state = _Play(office)
    state.servers = [_Server(c, i, c.free_in if c.open else (c.back_in if c.back_in is not None else INFINITY),
                             (office.cv * c.free_in) ** 2 if c.open else 0.0)
                     for i, c in enumerate(order)]
    points = state.change_points()
    free: list[tuple[float, int]] = []  # (when free next, counter order): the first free calls

    def schedule(server: _Server) -> None:
        t = state.next_free(server, points)
        if t == INFINITY:
            server.done = True
        else:
            heapq.heappush(free, (t, server.order))

    for server in state.servers:
        schedule(server)
    # Present: (rank, index) in the order of service; to come: (arrival, index), soonest first.
    to_come = sorted([(job.arrives_in, i) for i, job in enumerate(jobs)])
    # Those present now (every waiting ticket) are sorted once, not inserted one by one.
    came = bisect.bisect_right(to_come, (0.0, INFINITY))  # to_come[:came] are present (or served)
    present: list[tuple[tuple, int]] = sorted([(jobs[i].rank, i) for _, i in to_come[:came]])
    remaining = set(targets)
    calls: dict[int, Call | None] = {}
    # Read once, not at each of a busy day's ~800 calls.
    servers, arrivals, closes_in, cv = state.servers, len(to_come), office.closes_in, office.cv
    seconds_of, default_seconds = office.service_seconds, office.default_seconds
    unlimited = not office.staffed  # no usual day: an open counter stays on duty
    while remaining and free:
        best_t, position = heapq.heappop(free)
        best = servers[position]
        while came < arrivals and to_come[came][0] <= best_t:
            index = to_come[came][1]
            bisect.insort(present, (jobs[index].rank, index))
            came += 1
        if present and _may_call(best.state, jobs[present[0][1]]):
            slot = 0  # the usual case, without a generator
        else:
            slot = next((n for n, (_, i) in enumerate(present) if _may_call(best.state, jobs[i])), None)
        if slot is None:
            later = next((arrives for arrives, i in to_come[came:] if _may_call(best.state, jobs[i])), INFINITY)
            if later < INFINITY:
                best.free_at = later  # idle until the next expected resident it may serve
                schedule(best)
            else:
                best.done = True
            continue
        _, job_index = present.pop(slot)
        job = jobs[job_index]
        if job_index in remaining:
            remaining.discard(job_index)
            # The counters share the uncertainty of the work before this call.
            spreads = [s.spread for s in servers if not s.done and _may_call(s.state, job)]
            calls[job_index] = Call(best_t, math.sqrt(sum(spreads)) / max(1, len(spreads)))
        seconds, weight = seconds_of.get(job.service_id, default_seconds), job.weight
        best.free_at = t = best_t + weight * seconds
        best.spread += weight * (cv * seconds) ** 2 + weight * (1 - weight) * seconds ** 2
        if t < closes_in and (unlimited and best.state.open or state.on_duty(best, t)):
            heapq.heappush(free, (t, best.order))  # still on duty: the usual case, inline
        else:
            schedule(best)
    for index in remaining:
        calls[index] = AFTER_CLOSING if state.closing_reached else None
    return calls


def recent_mean(durations: list[float], prior: float, *, prior_weight: float, recent_weight: float) -> float:
    """A service time weighted towards the recent: ``durations`` newest first, each
    worth ``recent_weight`` times the next newer one, blended with ``prior`` (from past
    days, or the procedure's planned duration) as if it were ``prior_weight``
    observations older than all of them (waits.py chooses the weights)."""
    total, weights = 0.0, 0.0
    w = 1.0
    for seconds in durations:
        total += w * seconds
        weights += w
        w *= recent_weight
    total += w * prior_weight * prior
    weights += w * prior_weight
    return total / weights

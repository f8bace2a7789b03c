"""Where a ticket stands and how long it may wait.

``position`` is 1 + the waiting tickets ahead of it in the order of service that
compete for the same counters: a ticket ahead counts when some counter that may call
it may also call ours (the counters serving its procedure, or the one counter it was
transferred to). ``estimated_wait_minutes`` plays the queue forward on the open
counters that may call ours, each free after what is left of its current resident
(r₁ ≤ r₂ ≤ … ≤ rₙ), every resident ahead taking the mean service time m of the
tickets ahead; our call comes when the k residents ahead have been called:

    wait = r[k mod n] + (k div n) · m        (then rounded up to whole minutes)

so with three idle counters the first three wait 0 and the fourth one m. The mean
service time of a procedure is the mean (finished_at - started_at) of today's done
tickets for it at this place, and its ``duration_minutes`` (15 in the demo city)
until there is data. No open counter for the procedure: the estimate is null.

Called and serving tickets stand at position 0 and wait 0; finished tickets have
neither. Everything here is a handful of indexed queries (``ix_tickets_call_order``
leads with place, day and status), because phones poll ``GET /tickets/{id}``.
"""
from __future__ import annotations

import math
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Float, Integer, String, and_, cast, func, literal, or_, select

from ..models import AT_COUNTER, Counter, Location, Service, Ticket, TicketStatus
from ..models.places import counter_services
from ..models.types import TokyoDateTime
from . import rules_cache

Key = tuple[int, int | None]  # (service id, target counter id)


@dataclass
class WaitContext:
    """What the estimate needs to know about a place today, read once."""

    open_counters: set[int] = field(default_factory=set)
    serves: dict[int, set[int]] = field(default_factory=dict)  # counter id -> service ids
    mean_seconds: dict[int, float] = field(default_factory=dict)  # service id -> seconds
    busy_seconds: dict[int, float] = field(default_factory=dict)  # counter id -> seconds left

    _reach: dict[Key, frozenset[int]] = field(default_factory=dict)

    def reach(self, key: Key) -> frozenset[int]:
        """The counters that may call a ticket with this key."""
        if key not in self._reach:
            service_id, target = key
            self._reach[key] = frozenset((target,)) if target is not None else frozenset(
                c for c, services in self.serves.items() if service_id in services)
        return self._reach[key]

    def estimate(self, key: Key, ahead: dict[Key, int]) -> tuple[int, int | None]:
        """(position, minutes) of a waiting ticket with ``ahead`` tickets before it."""
        reach = self.reach(key)
        competing = {other: count for other, count in ahead.items()
                     if count and self.reach(other) & reach}
        before = sum(competing.values())
        open_here = [c for c in reach if c in self.open_counters]
        if not open_here:
            return before + 1, None
        if before:
            mean = sum(count * self.mean_seconds[other[0]]
                       for other, count in competing.items()) / before
        else:
            mean = self.mean_seconds[key[0]]
        free_after = sorted(self.busy_seconds.get(c, 0.0) for c in open_here)
        seconds = free_after[before % len(free_after)] + (before // len(free_after)) * mean
        # Whole seconds first: the databases' float arithmetic leaves dust (359.9999…).
        return before + 1, math.ceil(round(seconds) / 60)


def _duration_seconds(session):
    """finished_at - started_at in seconds, in the database's own dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Ticket.finished_at - Ticket.started_at)
    return (func.julianday(Ticket.finished_at) - func.julianday(Ticket.started_at)) * 86400.0


def _counters_and_durations(session, location_id: int):
    """Which procedures each counter serves, which counters are open, and each
    procedure's planned duration in seconds: rules, so the rules cache keeps them
    (opening or closing a counter clears it)."""
    serves: dict[int, frozenset[int]] = {}
    open_counters = set()
    rows = session.execute(
        select(Counter.id, Counter.is_open, counter_services.c.service_id)
        .outerjoin(counter_services, counter_services.c.counter_id == Counter.id)
        .where(Counter.location_id == location_id))
    for counter_id, is_open, service_id in rows:
        serves[counter_id] = serves.get(counter_id, frozenset()) | (
            {service_id} if service_id is not None else set())
        if is_open:
            open_counters.add(counter_id)
    durations = {service_id: float(minutes * 60) for service_id, minutes
                 in session.execute(select(Service.id, Service.duration_minutes))}
    return serves, frozenset(open_counters), durations


def load_context(session, location_id: int, day: date, now: datetime) -> WaitContext:
    """Counters, observed service times and the work now at the counters of a place."""
    ctx = WaitContext()
    serves, open_counters, durations = rules_cache.cached(
        session, ("wait-rules", location_id), lambda: _counters_and_durations(session, location_id))
    ctx.serves = {counter_id: set(services) for counter_id, services in serves.items()}
    ctx.open_counters = set(open_counters)
    ctx.mean_seconds = dict(durations)
    today = and_(Ticket.location_id == location_id, Ticket.business_date == day)
    observed = session.execute(
        select(Ticket.service_id, cast(func.avg(_duration_seconds(session)), Float))
        .where(today, Ticket.status == TicketStatus.DONE, Ticket.started_at.is_not(None),
               Ticket.finished_at.is_not(None))
        .group_by(Ticket.service_id))
    for service_id, seconds in observed:
        if seconds is not None:
            ctx.mean_seconds[service_id] = max(float(seconds), 0.0)
    busy = session.execute(
        select(Ticket.counter_id, Ticket.service_id, Ticket.called_at, Ticket.started_at)
        .where(today, Ticket.status.in_(AT_COUNTER), Ticket.counter_id.is_not(None)))
    for counter_id, service_id, called_at, started_at in busy:
        since = started_at or called_at or now
        left = ctx.mean_seconds.get(service_id, 900.0) - (now - since).total_seconds()
        ctx.busy_seconds[counter_id] = ctx.busy_seconds.get(counter_id, 0.0) + max(left, 0.0)
    return ctx


def _ahead_of(ticket: Ticket):
    """Waiting tickets before ``ticket`` in the order of service (same place and day)."""
    band = literal(ticket.band, Integer)
    order_at = literal(ticket.order_at, TokyoDateTime)
    issued_at = literal(ticket.issued_at, TokyoDateTime)
    number = literal(ticket.number, String)
    return and_(
        Ticket.location_id == ticket.location_id, Ticket.business_date == ticket.business_date,
        Ticket.status == TicketStatus.WAITING,
        or_(Ticket.band < band,
            and_(Ticket.band == band, or_(
                Ticket.order_at < order_at,
                and_(Ticket.order_at == order_at, or_(
                    Ticket.issued_at < issued_at,
                    and_(Ticket.issued_at == issued_at, Ticket.number < number)))))))


def estimate_ticket(session, ticket: Ticket, now: datetime) -> tuple[int | None, int | None]:
    """(position, estimated_wait_minutes) of one ticket."""
    if ticket.status in AT_COUNTER:
        return 0, 0
    if ticket.status != TicketStatus.WAITING:
        return None, None
    ctx = load_context(session, ticket.location_id, ticket.business_date, now)
    ahead = {(service_id, target): n for service_id, target, n in session.execute(
        select(Ticket.service_id, Ticket.target_counter_id, func.count())
        .where(_ahead_of(ticket)).group_by(Ticket.service_id, Ticket.target_counter_id))}
    return ctx.estimate((ticket.service_id, ticket.target_counter_id), ahead)


def estimate_queue(session, location: Location, day: date, waiting: list[Ticket],
                   now: datetime) -> dict[str, tuple[int | None, int | None]]:
    """Estimates for ``waiting`` (the waiting tickets from the first, in order), by id."""
    ctx = load_context(session, location.id, day, now)
    seen: Tally = Tally()
    result = {}
    for ticket in waiting:
        key = (ticket.service_id, ticket.target_counter_id)
        result[ticket.id] = ctx.estimate(key, seen)
        seen[key] += 1
    return result

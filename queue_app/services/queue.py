"""The queue of a place: numbering tickets, walk-ins, the order of service, call-next,
and the counters.

The order of service (docs/queue.md) is stored on each ticket, not computed: ``band``
(priority, reservation, walk-in), then ``order_at`` (when prioritised / the slot start /
the issue time), then ``issued_at`` (the check-in time for reservations), then the
ticket ``number`` as a last tie-break for two tickets of the very same instant. The
index ``ix_tickets_call_order`` (place, day, status, band, order_at, issued_at) gives
that order without sorting, so call-next stays as fast with 10,000 waiting tickets as
with ten.

Numbers come from ``ticket_number_counters`` by one ``INSERT … ON CONFLICT DO UPDATE
… RETURNING`` per ticket (services/issue.py, with the ticket's other writes), so two
kiosks never read the same number; the unique constraint on (place, day, number) is
the backstop.

Call-next picks its ticket with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL: a
second counter calling at the same instant skips the row the first one holds and takes
the next. On SQLite the write transaction starts with ``BEGIN IMMEDIATE``
(extensions.py), so calls are serialised. Services never commit.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..config import TOKYO
from ..models import (AT_COUNTER, BAND_WALK_IN, Counter, Location, Service, Ticket,
                      TicketStatus, TurnedAway)
from . import audit, calendar, issue, reception, staffing, transitions, waits
from .display import announce_queue
from .errors import (Closed, CounterClosed, Invalid, NotFound, ReceptionClosed, ReservationOnly,
                     ServiceNotOffered)

# The order of service, as the index ix_tickets_call_order holds it (+ the number).
CALL_ORDER = (Ticket.band, Ticket.order_at, Ticket.issued_at, Ticket.number)


def business_date(now: datetime) -> date:
    """The day a ticket belongs to: the date in Asia/Tokyo."""
    return calendar.today(now)


def _is_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# ---------------------------------------------------------------- lookups

def get_counter(session, counter_id: int, lock: bool = False) -> Counter:
    """A counter with its place and procedures (one query: call-next needs all three).
    With ``lock`` its row is locked (PostgreSQL), so two calls at one counter are
    applied one after the other and the second sees the first's resident."""
    query = (select(Counter).where(Counter.id == counter_id)
             .options(joinedload(Counter.location), selectinload(Counter.services)))
    if lock and _is_postgresql(session):
        query = query.with_for_update(of=Counter)
    counter = session.scalar(query)
    if counter is None:
        raise NotFound(f"No counter {counter_id}.")
    return counter


def get_ticket(session, ticket_id: str, lock: bool = False) -> Ticket:
    """A ticket by its random id; with ``lock`` its row is locked (PostgreSQL) so two
    staff acting on one ticket at once are applied one after the other."""
    query = select(Ticket).where(Ticket.id == ticket_id)
    if lock and _is_postgresql(session):
        query = query.with_for_update(of=Ticket)
    ticket = session.scalar(query) if ticket_id and len(ticket_id) <= 32 else None
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def offered_service_ids(session, location: Location) -> frozenset[int]:
    """The procedures some counter of the place serves (open or not)."""
    return calendar.offered_services(session, location)


# ---------------------------------------------------------------- issuing

def issue_walk_in(session, *, location: Location, service: Service, now: datetime,
                  actor: str, override: bool = False) -> Ticket:
    """A walk-in ticket, if the place serves residents without a reservation now and
    the reception cut-off has not passed (``override``: staff issue one anyway, for an
    urgent case). A resident turned away by the cut-off is counted (``TurnedAway``)."""
    if service.id not in offered_service_ids(session, location):
        raise ServiceNotOffered(f"{location.slug} does not offer {service.slug}.")
    plan = calendar.get_day(session, location, business_date(now))
    window = plan.window_at(now)
    if plan.reservation_only or (window is not None and not window.walk_in):
        raise ReservationOnly("Today's window serves reservations only; no walk-in tickets.")
    if window is None:
        raise Closed("The counters are closed now; no walk-in tickets.")
    if not window.offers(service):
        raise Closed(f"{service.slug} is not offered at this hour.")
    today = waits.Today(session, location, business_date(now), now)
    call = today.new_walk_in(service.id)
    if not override and reception.too_late(location, today, call):
        session.add(TurnedAway(location_id=location.id, service_id=service.id,
                               business_date=business_date(now), at=now))
        # The lobby screens learn of 受付終了 now, not at the next completion.
        announce_queue(session, location, business_date(now), now=now, change="reception")
        opening = reception.next_opening(session, location, now)
        raise ReceptionClosed("Reception has closed for today.",
                              next_opening=opening.isoformat() if opening else None)
    detail = {"service": service.slug, **({"override": True} if override else {})}
    ticket, seq = issue.issue(session, location=location, service=service, kind="walk_in",
                              band=BAND_WALK_IN, order_at=now, day=business_date(now), now=now,
                              actor=actor, action="ticket.issue", detail=detail)
    ticket.estimate_at_issue = (now, today.walk_in_estimate(service.id, call))
    announce_queue(session, location, ticket.business_date, now=now, change="issue", ticket=ticket,
                   seq=seq)
    return ticket


# ---------------------------------------------------------------- order of service

def _callable_by(counter: Counter):
    """Tickets this counter may call: sent to it, or of a procedure it serves and not
    sent to another counter."""
    service_ids = [s.id for s in counter.services]
    return or_(Ticket.target_counter_id == counter.id,
               and_(Ticket.target_counter_id.is_(None), Ticket.service_id.in_(service_ids)))


def waiting_query(location_id: int, day: date):
    """The waiting tickets of a place and day, in the order of service."""
    return (select(Ticket).where(Ticket.location_id == location_id, Ticket.business_date == day,
                                 Ticket.status == TicketStatus.WAITING).order_by(*CALL_ORDER))


def get_at_counters(session, location: Location, day: date) -> list[Ticket]:
    """Tickets called or being served, the longest-called first."""
    return list(session.scalars(
        select(Ticket).where(Ticket.location_id == location.id, Ticket.business_date == day,
                             Ticket.status.in_(AT_COUNTER))
        .order_by(Ticket.called_at, Ticket.number)))


def next_ticket_query(counter: Counter, day: date, postgresql: bool):
    """The SELECT of call-next: the first waiting ticket this counter may call."""
    query = waiting_query(counter.location_id, day).where(_callable_by(counter)).limit(1)
    if postgresql:
        # A ticket another counter is calling right now is skipped, not waited for.
        query = query.with_for_update(skip_locked=True, of=Ticket)
    return query


def call_next(session, counter: Counter, now: datetime, actor: str) -> Ticket | None:
    """Call the first waiting ticket this counter may serve; None when there is none.
    One resident at a counter at a time: while the counter still has a ticket called or
    being served, ``CounterBusy`` (the caller locked the counter: ``get_counter``)."""
    if not counter.is_open:
        raise CounterClosed(f"{counter.name} is closed; open it before calling.")
    day = business_date(now)
    transitions.ensure_counter_free(session, counter, day)
    ticket = session.scalar(next_ticket_query(counter, day, _is_postgresql(session)))
    if ticket is None:
        return None
    return transitions.call(session, ticket, counter, now, actor)


# ---------------------------------------------------------------- counters

def _closing_time(session, location: Location, now: datetime) -> datetime | None:
    """When today's last window ends (None on a closed day)."""
    windows = calendar.get_day(session, location, business_date(now)).windows
    return max((w.ends for w in windows), default=None)


def get_counters(session, location: Location) -> list[Counter]:
    return list(session.scalars(select(Counter).where(Counter.location_id == location.id)
                                .order_by(Counter.position, Counter.id)))


def set_counter_open(session, counter: Counter, is_open: bool, now: datetime, actor: str,
                     until: datetime | None = None) -> Counter:
    """Open or close a counter. A closed counter calls nobody; tickets already at it
    stay there until staff finish them. Closing may say ``until`` when the clerk
    expects to be back (a later time today, before closing); closing a closed counter
    again changes its ``until`` or, saying nothing new, answers ``counter_closed``;
    opening clears it."""
    if until is not None:
        if is_open:
            raise Invalid("Only a closing counter says when it is back.", errors={"until": ["Only when closing."]})
        until = until.astimezone(TOKYO)
        closing = _closing_time(session, counter.location, now)
        if until <= now or calendar.today(until) != business_date(now) or (closing and until > closing):
            raise Invalid("The time it is back must be later today, before closing.",
                          errors={"until": ["Give a later time today before closing, e.g. 13:00."]})
    if is_open and counter.is_open:
        return counter  # already open: nothing to do
    if not is_open and not counter.is_open and counter.closed_until == until:
        # Closing again says nothing new (a double click, a second clerk): tell them.
        raise CounterClosed("This counter is already closed.")
    if counter.is_open != is_open:  # the day's counter-hours, for reports
        (staffing.counter_opened if is_open else staffing.counter_closed)(session, counter, now)
    counter.is_open = is_open
    counter.closed_until = until
    detail = {"counter_id": counter.id}
    if until is not None:
        detail["until"] = until.isoformat()
    audit.record(session, actor=actor, action="counter.open" if is_open else "counter.close",
                 now=now, location_id=counter.location_id, detail=detail)
    announce_queue(session, counter.location, business_date(now), now=now, change="counter")
    return counter

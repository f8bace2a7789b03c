"""Every change of state of a ticket or a reservation, and only here.

The allowed moves are the tables of ``models/states.py``; each function below checks
its move against them (any other raises ``InvalidTransition``), sets the new state,
writes the audit entry and announces the change to the displays, in the caller's
transaction. The API, the staff console, the kiosk, the booking site and the jobs
all call these; none sets a status itself.

A reservation follows its ticket (``FOLLOWS_TICKET``): when a checked-in resident's
ticket is done, a no-show or cancelled, so is the reservation.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from ..models import (AT_COUNTER, BAND_NAMES, BAND_PRIORITY, BAND_RESERVATION, RESERVATION_MOVES, TICKET_MOVES, Counter,
                      Location, Reservation, Service, Ticket)
from ..models.states import FOLLOWS_TICKET, ReservationStatus, TicketStatus
from . import audit, calendar, issue, waits
from .display import announce_call, announce_queue
from .errors import CounterBusy, Invalid, InvalidTransition, ServiceNotOffered, UndoExpired

# After this many recalls the console suggests marking the ticket as a no-show.
RECALLS_BEFORE_NO_SHOW = 3


def suggests_no_show(ticket: Ticket) -> bool:
    return ticket.status == TicketStatus.CALLED and ticket.recall_count >= RECALLS_BEFORE_NO_SHOW


def _move_ticket(ticket: Ticket, move: str, verb: str) -> str:
    """Check ``move`` against the table and set the ticket's new status; returns the old."""
    allowed = TICKET_MOVES[move]
    if not allowed.allows(ticket.status):
        raise InvalidTransition(
            f"A ticket that is {ticket.status} cannot be {verb}; "
            f"only a ticket that is {' or '.join(allowed.sources)} can.",
            ticket_status=ticket.status, allowed_from=[str(s) for s in allowed.sources])
    previous = ticket.status
    ticket.status = allowed.target
    return previous


def _reservation_move(reservation: Reservation, move: str, now: datetime) -> dict:
    """The column values ``move`` gives the reservation, checked against the table."""
    allowed = RESERVATION_MOVES[move]
    if not allowed.allows(reservation.status):
        raise InvalidTransition(
            f"A reservation that is {reservation.status} cannot move by {move}.",
            reservation_status=reservation.status)
    values = {"status": allowed.target}
    if move == "check_in":
        values["checked_in_at"] = now
    elif allowed.target == ReservationStatus.CANCELLED:
        values["cancelled_at"] = now
    return values


def _move_reservation(reservation: Reservation, move: str, now: datetime) -> None:
    for column, value in _reservation_move(reservation, move, now).items():
        setattr(reservation, column, value)


def _log(session, ticket: Ticket, action: str, actor: str, now: datetime, **detail) -> None:
    audit.record(session, actor=actor, action=f"ticket.{action}", now=now,
                 location_id=ticket.location_id, ticket_id=ticket.id,
                 detail={"number": ticket.number, **detail})


def _end_ticket(session, ticket: Ticket, move: str, now: datetime) -> str:
    """The moves that end a ticket: the reservation behind it follows."""
    previous = _move_ticket(ticket, move, {"complete": "completed", "no_show": "marked as a no-show",
                                           "cancel": "cancelled"}[move])
    ticket.finished_at = now
    if ticket.reservation is not None:
        _move_reservation(ticket.reservation, FOLLOWS_TICKET[move], now)
    return previous


# ---------------------------------------------------------------- tickets

def ensure_counter_free(session, counter: Counter, day: date, but: Ticket | None = None) -> None:
    """One resident at a counter at a time: ``CounterBusy`` while another ticket of
    ``day`` is called to ``counter`` or served there (the clerk finishes it, marks a
    no-show or recalls first)."""
    query = select(Ticket.number).where(
        Ticket.counter_id == counter.id, Ticket.business_date == day,
        Ticket.status.in_(AT_COUNTER))
    if but is not None:
        query = query.where(Ticket.id != but.id)
    number = session.scalar(query.limit(1))
    if number is not None:
        raise CounterBusy(f"{counter.name} still has {number}: complete it, mark it a no-show "
                          f"or recall it before calling the next resident.", number=number,
                          counter=counter.name)


def call(session, ticket: Ticket, counter: Counter, now: datetime, actor: str) -> Ticket:
    """Call a waiting ticket to ``counter`` (call-next picks which one: queue.py)."""
    _move_ticket(ticket, "call", "called")
    ticket.counter_id = counter.id
    ticket.counter = counter
    ticket.called_at = now
    ticket.started_at = None
    ticket.recall_count = 0
    _log(session, ticket, "call", actor, now, counter_id=counter.id,
         service=ticket.service.slug, band=BAND_NAMES[ticket.band])
    announce_call(session, ticket, counter, recall=False)
    return ticket


def recall(session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    """Call a called ticket again; the displays chime once more."""
    _move_ticket(ticket, "recall", "recalled")
    ticket.recall_count += 1
    ticket.called_at = now
    _log(session, ticket, "recall", actor, now, counter_id=ticket.counter_id,
         recall_count=ticket.recall_count)
    announce_call(session, ticket, ticket.counter, recall=True)
    return ticket


def start(session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    """The resident has arrived at the counter: service begins."""
    _move_ticket(ticket, "start", "started")
    ticket.started_at = now
    _log(session, ticket, "start", actor, now, counter_id=ticket.counter_id)
    announce_queue(session, ticket.location, ticket.business_date, now=now, change="start",
                   ticket=ticket)
    return ticket


def complete(session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    """The procedure is finished (from serving, or straight from called: its service
    time then counts from the call)."""
    _end_ticket(session, ticket, "complete", now)
    if ticket.started_at is None:
        ticket.started_at = ticket.called_at
    _log(session, ticket, "complete", actor, now, counter_id=ticket.counter_id,
         service=ticket.service.slug)
    announce_queue(session, ticket.location, ticket.business_date, now=now, change="complete",
                   ticket=ticket)
    return ticket


def mark_no_show(session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    """The called resident did not come to the counter."""
    _end_ticket(session, ticket, "no_show", now)
    _log(session, ticket, "no_show", actor, now, counter_id=ticket.counter_id,
         recall_count=ticket.recall_count)
    announce_queue(session, ticket.location, ticket.business_date, now=now, change="no_show",
                   ticket=ticket)
    return ticket


def undo(session, ticket: Ticket, now: datetime, actor: str, within_seconds: int) -> Ticket:
    """Take back a completion or a no-show pressed by mistake, ``within_seconds`` of it:
    the resident is at the counter again (serving, or called), their reservation
    checked in again. Refused when the counter has called someone else since."""
    move = {"done": "undo_complete", "no_show": "undo_no_show"}.get(ticket.status)
    if move is None:
        raise InvalidTransition(f"A ticket that is {ticket.status} cannot be undone; only a "
                                "completion or a no-show can.", ticket_status=ticket.status,
                                allowed_from=["done", "no_show"])
    if ticket.finished_at is None or now - ticket.finished_at > timedelta(seconds=within_seconds):
        raise UndoExpired(f"{ticket.number} was finished more than {within_seconds} seconds ago; "
                          "it can no longer be undone.", within_seconds=within_seconds)
    if ticket.counter is not None:
        ensure_counter_free(session, ticket.counter, ticket.business_date, but=ticket)
    previous = _move_ticket(ticket, move, "undone")
    ticket.finished_at = None
    if ticket.reservation is not None:
        _move_reservation(ticket.reservation, "ticket_reopened", now)
    _log(session, ticket, "undo", actor, now, counter_id=ticket.counter_id, from_status=previous)
    announce_queue(session, ticket.location, ticket.business_date, now=now, change="undo", ticket=ticket)
    return ticket


def cancel(session, ticket: Ticket, now: datetime, actor: str, reason: str | None = None) -> Ticket:
    """Take a ticket out of the queue (the resident left, or asked to). A waiting
    resident who left is cancelled, not a no-show: no call was made."""
    previous = _end_ticket(session, ticket, "cancel", now)
    ticket.cancel_reason = reason
    _log(session, ticket, "cancel", actor, now, from_status=previous)
    announce_queue(session, ticket.location, ticket.business_date, now=now, change="cancel",
                   ticket=ticket)
    return ticket


def transfer(session, ticket: Ticket, now: datetime, actor: str, *,
             service: Service | None = None, counter: Counter | None = None) -> Ticket:
    """Send a ticket back into the queue for another procedure and/or counter.

    Its band and order keys stay as they are, so it keeps its place in its band. A
    ticket sent to a counter is called by that counter only; sent to a procedure
    alone, by any counter serving it.
    """
    if service is None and counter is None:
        raise Invalid("Give a service, a counter, or both.",
                      errors={"service": ["Give a service or a counter."]})
    if not TICKET_MOVES["transfer"].allows(ticket.status):
        _move_ticket(ticket, "transfer", "transferred")  # raises, naming the allowed states
    new_service = service or ticket.service
    if new_service.id not in calendar.offered_services(session, ticket.location):
        raise ServiceNotOffered(f"{ticket.location.slug} does not offer {new_service.slug}.")
    if counter is not None:
        if counter.location_id != ticket.location_id:
            raise Invalid("That counter is at another place.", errors={"counter": ["Not at this place."]})
        if not counter.serves(new_service):
            raise ServiceNotOffered(f"{counter.name} does not serve {new_service.slug}.")
    before = {"service": ticket.service.slug, "counter_id": ticket.counter_id,
              "status": ticket.status}
    _move_ticket(ticket, "transfer", "transferred")
    ticket.service = new_service
    ticket.service_id = new_service.id
    ticket.target_counter_id = counter.id if counter is not None else None
    ticket.counter_id = None
    ticket.called_at = None
    ticket.started_at = None
    ticket.recall_count = 0
    _log(session, ticket, "transfer", actor, now, before=before,
         service=new_service.slug, target_counter_id=ticket.target_counter_id)
    announce_queue(session, ticket.location, ticket.business_date, now=now, change="transfer",
                   ticket=ticket)
    return ticket


def prioritise(session, ticket: Ticket, now: datetime, actor: str, reason: str) -> Ticket:
    """Move a waiting ticket into the priority band, behind those prioritised before."""
    _move_ticket(ticket, "prioritise", "prioritised")
    if ticket.band == BAND_PRIORITY:
        # A second prioritisation would send it to the back of the priority band.
        raise InvalidTransition("The ticket is already in the priority band.",
                                ticket_status=ticket.status)
    from_band = BAND_NAMES[ticket.band]
    ticket.band = BAND_PRIORITY
    ticket.order_at = now
    ticket.priority = "high"
    ticket.priority_reason = reason
    # The reason is the staff's free text: kept on the ticket for the console, not in
    # the audit log, which must stay free of anything personal.
    _log(session, ticket, "prioritise", actor, now, from_band=from_band)
    announce_queue(session, ticket.location, ticket.business_date, now=now, change="prioritise",
                   ticket=ticket)
    return ticket


def expire_waiting(session, location: Location, today: date, expired, now: datetime,
                   actor: str) -> int:
    """Cancel, in one statement, the place's tickets still waiting that match
    ``expired`` (the place has closed, or they are from an earlier day), and their
    reservations with them. The displays hear of it once. Returns how many."""
    move = TICKET_MOVES["expire"]
    rows = session.execute(update(Ticket).where(
        Ticket.location_id == location.id, Ticket.status.in_(move.sources), expired)
        .values(status=move.target, cancel_reason="closing_time", finished_at=now)
        .returning(Ticket.id, Ticket.number, Ticket.reservation_id)
        .execution_options(synchronize_session=False)).all()
    if not rows:
        return 0
    reservation_ids = [row.reservation_id for row in rows if row.reservation_id]
    if reservation_ids:
        follow = RESERVATION_MOVES[FOLLOWS_TICKET["expire"]]
        session.execute(update(Reservation).where(
            Reservation.id.in_(reservation_ids), Reservation.status.in_(follow.sources))
            .values(status=follow.target, cancelled_at=now)
            .execution_options(synchronize_session=False))
    for row in rows:
        audit.record(session, actor=actor, action="ticket.cancel", now=now,
                     location_id=location.id, ticket_id=row.id,
                     detail={"number": row.number, "from_status": TicketStatus.WAITING, "reason": "closing_time"})
    announce_queue(session, location, today, now=now, change="closing")
    return len(rows)


# ---------------------------------------------------------------- reservations

def check_in(session, reservation: Reservation, now: datetime, actor: str) -> Ticket:
    """The resident checked in (at a kiosk, or by a clerk): a ticket in the reservation
    band, in the order of the slot start, stands for them from now on. Its estimate is
    played from the day as read BEFORE the writes, so the reads hold no lock."""
    start = reservation.starts_at
    today = waits.Today(session, reservation.location, calendar.today(now), now)
    ticket, seq = issue.issue(
        session, location=reservation.location, service=reservation.service, kind="reservation",
        band=BAND_RESERVATION, order_at=start, day=calendar.today(now), now=now, actor=actor,
        action="ticket.check_in", detail={"service": reservation.service.slug},
        reservation=reservation, check_in=_reservation_move(reservation, "check_in", now))
    ticket.estimate_at_issue = (now, today.estimate(ticket))
    announce_queue(session, reservation.location, ticket.business_date, now=now, change="check_in",
                   ticket=ticket, seq=seq)
    return ticket


def cancel_reservation(session, reservation: Reservation, now: datetime, actor: str) -> None:
    """A booked reservation is cancelled (its seat is booking.py's to free)."""
    _move_reservation(reservation, "cancel", now)
    audit.record(session, actor=actor, action="reservation.cancel", now=now,
                 location_id=reservation.location_id, reservation_code=reservation.code)


def mark_reservation_no_shows(session, before: datetime, now: datetime, actor: str) -> list[str]:
    """Booked reservations whose slot started before ``before`` (their check-in window
    closed) become no-shows, in one statement that claims them, so running it twice
    changes nothing. Returns their codes."""
    move = RESERVATION_MOVES["no_show"]
    rows = session.execute(update(Reservation).where(
        Reservation.status.in_(move.sources), Reservation.starts_at < before)
        .values(status=move.target)
        .returning(Reservation.code, Reservation.location_id)
        .execution_options(synchronize_session=False)).all()
    for code, location_id in rows:
        audit.record(session, actor=actor, action="reservation.no_show", now=now,
                     location_id=location_id, reservation_code=code)
    return [code for code, _ in rows]

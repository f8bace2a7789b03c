"""What staff do with a ticket: recall, start, complete, no-show, cancel, transfer,
prioritise. Each is one state move; any other move raises ``InvalidTransition``.

The moves (the ticket states of docs/queue.md):

    waiting ──call-next──> called ──start──> serving ──complete──> done
                             │ recall (stays called, counted)     ▲
                             ├──complete──────────────────────────┘ (served without "start")
                             └──no-show──> no_show
    waiting | called ──cancel──> cancelled
    waiting | called | serving ──transfer──> waiting (same band and order keys)
    waiting ──prioritise──> waiting in the priority band

Completing a called ticket is allowed because a counter often serves the resident at
once; its service time then counts from the call. No-show needs a call first (nobody
can fail to answer a call that was never made); a waiting resident who left is
cancelled instead. Every move is audit-logged and announced to the displays in the
same transaction. A reservation's status follows its ticket: done, no_show, cancelled.
"""
from __future__ import annotations

from datetime import datetime

from ..models import BAND_PRIORITY, Counter, Service, Ticket
from . import audit
from .errors import InvalidTransition, Invalid, ServiceNotOffered
from .queue import BAND_NAMES, announce_call, announce_queue, offered_service_ids

# After this many recalls the console suggests marking the ticket as a no-show.
RECALLS_BEFORE_NO_SHOW = 3


def suggests_no_show(ticket: Ticket) -> bool:
    return ticket.status == "called" and ticket.recall_count >= RECALLS_BEFORE_NO_SHOW


def _require(ticket: Ticket, allowed: tuple[str, ...], action: str) -> None:
    if ticket.status not in allowed:
        raise InvalidTransition(
            f"A ticket that is {ticket.status} cannot be {action}; "
            f"only a ticket that is {' or '.join(allowed)} can.",
            ticket_status=ticket.status, allowed_from=list(allowed))


def _log(session, ticket: Ticket, action: str, actor: str, now: datetime, **detail) -> None:
    audit.record(session, actor=actor, action=f"ticket.{action}", now=now,
                 location_id=ticket.location_id, ticket_id=ticket.id,
                 detail={"number": ticket.number, **detail})


def _follow_reservation(ticket: Ticket, status: str, now: datetime) -> None:
    reservation = ticket.reservation
    if reservation is None:
        return
    reservation.status = status
    if status == "cancelled":
        reservation.cancelled_at = now


def recall(session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    """Call a called ticket again; the displays chime once more."""
    _require(ticket, ("called",), "recalled")
    ticket.recall_count += 1
    ticket.called_at = now
    _log(session, ticket, "recall", actor, now, counter_id=ticket.counter_id,
         recall_count=ticket.recall_count)
    announce_call(session, ticket, ticket.counter, recall=True)
    return ticket


def start(session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    """The resident has arrived at the counter: service begins."""
    _require(ticket, ("called",), "started")
    ticket.status = "serving"
    ticket.started_at = now
    _log(session, ticket, "start", actor, now, counter_id=ticket.counter_id)
    announce_queue(session, ticket.location, ticket.business_date, change="start",
                   ticket=ticket)
    return ticket


def complete(session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    """The procedure is finished (from serving, or straight from called)."""
    _require(ticket, ("called", "serving"), "completed")
    if ticket.started_at is None:
        ticket.started_at = ticket.called_at
    ticket.status = "done"
    ticket.finished_at = now
    _follow_reservation(ticket, "done", now)
    _log(session, ticket, "complete", actor, now, counter_id=ticket.counter_id,
         service=ticket.service.slug)
    announce_queue(session, ticket.location, ticket.business_date, change="complete",
                   ticket=ticket)
    return ticket


def mark_no_show(session, ticket: Ticket, now: datetime, actor: str) -> Ticket:
    """The called resident did not come to the counter."""
    _require(ticket, ("called",), "marked as a no-show")
    ticket.status = "no_show"
    ticket.finished_at = now
    _follow_reservation(ticket, "no_show", now)
    _log(session, ticket, "no_show", actor, now, counter_id=ticket.counter_id,
         recall_count=ticket.recall_count)
    announce_queue(session, ticket.location, ticket.business_date, change="no_show",
                   ticket=ticket)
    return ticket


def cancel(session, ticket: Ticket, now: datetime, actor: str, reason: str | None = None) -> Ticket:
    """Take a ticket out of the queue (the resident left, or asked to)."""
    _require(ticket, ("waiting", "called"), "cancelled")
    previous = ticket.status
    ticket.status = "cancelled"
    ticket.finished_at = now
    ticket.cancel_reason = reason
    _follow_reservation(ticket, "cancelled", now)
    _log(session, ticket, "cancel", actor, now, from_status=previous)
    announce_queue(session, ticket.location, ticket.business_date, change="cancel",
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
    _require(ticket, ("waiting", "called", "serving"), "transferred")
    new_service = service or ticket.service
    if new_service.id not in offered_service_ids(session, ticket.location):
        raise ServiceNotOffered(f"{ticket.location.slug} does not offer {new_service.slug}.")
    if counter is not None:
        if counter.location_id != ticket.location_id:
            raise Invalid("That counter is at another place.", errors={"counter": ["Not at this place."]})
        if not counter.serves(new_service):
            raise ServiceNotOffered(f"{counter.name} does not serve {new_service.slug}.")
    before = {"service": ticket.service.slug, "counter_id": ticket.counter_id,
              "status": ticket.status}
    ticket.service = new_service
    ticket.service_id = new_service.id
    ticket.target_counter_id = counter.id if counter is not None else None
    ticket.status = "waiting"
    ticket.counter_id = None
    ticket.called_at = None
    ticket.started_at = None
    ticket.recall_count = 0
    _log(session, ticket, "transfer", actor, now, before=before,
         service=new_service.slug, target_counter_id=ticket.target_counter_id)
    announce_queue(session, ticket.location, ticket.business_date, change="transfer",
                   ticket=ticket)
    return ticket


def prioritise(session, ticket: Ticket, now: datetime, actor: str, reason: str) -> Ticket:
    """Move a waiting ticket into the priority band, behind those prioritised before."""
    _require(ticket, ("waiting",), "prioritised")
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
    announce_queue(session, ticket.location, ticket.business_date, change="prioritise",
                   ticket=ticket)
    return ticket

"""Tickets: check-in at the kiosk, walk-ins, a resident's view of their ticket, and
what staff do with a ticket (recall, start, complete, no-show, cancel, transfer,
prioritise)."""
from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint

from .. import clock
from ..extensions import db
from ..services import booking, checkin, queue, transitions, waits
from ..services.errors import Forbidden, Invalid, NotFound
from .auth import ensure_own_location, kiosk_or_staff_required, staff_required
from .schemas_queue import (CancelIn, CheckInIn, PrioritiseIn, TicketEnvelope, TicketOut, TicketView,
                            TransferIn, WalkInIn)

blp = Blueprint("tickets", __name__, url_prefix="/api/v1", description="Tickets and check-in")



def ticket_body(ticket, now, staff: bool = False) -> TicketView:
    """The ticket with its place in the queue, for ``TicketOut``; estimated before the
    commit so the answer needs no second transaction."""
    position, wait, wait_range = waits.ticket_estimate(db.session, ticket, now)
    return TicketView(ticket, position, wait, wait_range, staff=staff)


@blp.post("/check-ins")
@kiosk_or_staff_required
@blp.arguments(CheckInIn())
@blp.response(201, TicketEnvelope)
@blp.alt_response(200, schema=TicketEnvelope, description="Scanned before: the same ticket")
def create_check_in(body):
    """Check in with the reservation's QR ``payload`` (a kiosk), or its ``code`` (staff,
    for a resident without the QR): 201 a new ticket, 200 the same one again."""
    now = clock.now()
    policy = checkin.CheckInPolicy.from_config(current_app.config)
    if g.actor.is_staff:
        if not body["code"]:
            raise Invalid("Staff check a resident in by the reservation's code.",
                          errors={"code": ["Give the reservation's code."]})
        ticket, created = checkin.check_in_by_code(db.session, code=body["code"], location_id=None,
                                                   now=now, actor=g.actor.name, policy=policy)
        return {"ticket": ticket_body(ticket, now, staff=True)}, 201 if created else 200
    if not body["payload"]:
        raise Invalid("A kiosk checks in with the QR code's payload.", errors={"payload": ["Scan the QR code."]})
    ticket, created = checkin.check_in(
        db.session, payload=body["payload"], device=g.actor.device, now=now,
        secret_key=current_app.config["SECRET_KEY"], policy=policy)
    return {"ticket": ticket_body(ticket, now)}, 201 if created else 200


@blp.post("/tickets")
@kiosk_or_staff_required
@blp.arguments(WalkInIn())
@blp.response(201, TicketOut)
def create_walk_in(body):
    """A walk-in ticket for a procedure, if the place serves walk-ins now and reception
    is open (受付終了 answers 409 ``reception_closed``; staff may send ``override``)."""
    now = clock.now()
    location, service = booking.get_place_and_service(db.session, body["location"], body["service"])
    ensure_own_location(g.actor, location)
    if body["override"] and not g.actor.is_staff:
        raise Forbidden("Only staff may issue a ticket after reception has closed.")
    ticket = queue.issue_walk_in(db.session, location=location, service=service, now=now,
                                 actor=g.actor.name, override=body["override"])
    return ticket_body(ticket, now, staff=g.actor.is_staff)


@blp.get("/tickets/<ticket_id>")
@blp.response(200, TicketOut)
def get_ticket(ticket_id):
    """A ticket with its position and estimated wait (public: the id is the secret)."""
    ticket = queue.get_ticket(db.session, ticket_id)
    return ticket_body(ticket, clock.now()), 200, {"Cache-Control": "no-store"}


def _act(ticket_id: str, action, **kwargs) -> TicketView:
    now = clock.now()
    ticket = queue.get_ticket(db.session, ticket_id, lock=True)
    action(db.session, ticket, now, g.actor.name, **kwargs)
    return ticket_body(ticket, now, staff=True)


@blp.post("/tickets/<ticket_id>/undo")
@staff_required
@blp.response(200, TicketOut)
def undo(ticket_id):
    """Undo a completion or a no-show made by mistake, within UNDO_SECONDS: the resident
    is back at the counter. 409 ``undo_expired`` after that, ``counter_busy`` when the
    counter has called someone else since, ``invalid_transition`` for any other state."""
    return _act(ticket_id, transitions.undo, within_seconds=current_app.config["UNDO_SECONDS"])


@blp.post("/tickets/<ticket_id>/recall")
@staff_required
@blp.response(200, TicketOut)
def recall_ticket(ticket_id):
    """Call the ticket again; after three recalls ``suggest_no_show`` turns true."""
    return _act(ticket_id, transitions.recall)


@blp.post("/tickets/<ticket_id>/start")
@staff_required
@blp.response(200, TicketOut)
def start_ticket(ticket_id):
    """The called resident is at the counter: called → serving."""
    return _act(ticket_id, transitions.start)


@blp.post("/tickets/<ticket_id>/complete")
@staff_required
@blp.response(200, TicketOut)
def complete_ticket(ticket_id):
    """The procedure is finished: serving (or called) → done."""
    return _act(ticket_id, transitions.complete)


@blp.post("/tickets/<ticket_id>/no-show")
@staff_required
@blp.response(200, TicketOut)
def no_show_ticket(ticket_id):
    """The called resident did not come: called → no_show."""
    return _act(ticket_id, transitions.mark_no_show)


@blp.post("/tickets/<ticket_id>/cancel")
@staff_required
@blp.arguments(CancelIn(), required=False)  # the reason is optional, so is the body
@blp.response(200, TicketOut)
def cancel_ticket(body, ticket_id):
    """Take a waiting or called ticket out of the queue: → cancelled."""
    return _act(ticket_id, transitions.cancel, reason=body["reason"])


@blp.post("/tickets/<ticket_id>/transfer")
@staff_required
@blp.arguments(TransferIn())
@blp.response(200, TicketOut)
def transfer_ticket(body, ticket_id):
    """Back into the queue for another procedure and/or counter, keeping its place."""
    service = booking.get_service(db.session, body["service"]) if body["service"] else None
    counter = None
    if body["counter"] is not None:
        try:
            counter = queue.get_counter(db.session, body["counter"])
        except NotFound as error:  # an unknown counter in a body is bad input, not a 404
            raise Invalid("Unknown counter.", errors={"counter": ["Unknown counter."]}) from error
    return _act(ticket_id, transitions.transfer, service=service, counter=counter)


@blp.post("/tickets/<ticket_id>/prioritise")
@staff_required
@blp.arguments(PrioritiseIn())
@blp.response(200, TicketOut)
def prioritise_ticket(body, ticket_id):
    """Move a waiting ticket into the priority band (in the order prioritised)."""
    reason = body["reason"].strip()
    if not reason:
        raise Invalid("Say why the ticket is prioritised.", errors={"reason": ["Give a reason."]})
    return _act(ticket_id, transitions.prioritise, reason=reason)

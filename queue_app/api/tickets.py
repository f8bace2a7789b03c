"""Tickets: check-in at the kiosk, walk-ins, a resident's view of their ticket, and
what staff do with a ticket (recall, start, complete, no-show, cancel, transfer,
prioritise)."""
from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint

from ..extensions import db
from ..services import booking, checkin, queue, transitions, waits
from ..services.errors import Invalid, NotFound
from .auth import ensure_own_location, kiosk_or_staff_required, kiosk_required, staff_required
from .schemas_queue import (CancelIn, CheckInIn, PrioritiseIn, TicketEnvelope, TicketOut, TransferIn,
                            WalkInIn, ticket_json)

blp = Blueprint("tickets", __name__, url_prefix="/api/v1", description="Tickets and check-in")


def _now():
    return current_app.config["CLOCK"]()


def ticket_body(ticket, now, staff: bool = False) -> dict:
    """The Ticket JSON, with its place in the queue; built before the commit so the
    answer needs no second transaction."""
    position, wait = waits.estimate_ticket(db.session, ticket, now)
    return ticket_json(ticket, position, wait, staff=staff)


@blp.post("/check-ins")
@kiosk_required
@blp.arguments(CheckInIn())
@blp.response(201, TicketEnvelope)
@blp.alt_response(200, schema=TicketEnvelope, description="Scanned before: the same ticket")
def create_check_in(body):
    """Check in with the reservation's QR payload: 201 a new ticket, 200 the same one again."""
    now = _now()
    ticket, created = checkin.check_in(
        db.session, payload=body["payload"], device=g.actor.device, now=now,
        secret_key=current_app.config["SECRET_KEY"],
        policy=checkin.CheckInPolicy.from_config(current_app.config))
    answer = {"ticket": ticket_body(ticket, now)}
    return answer, 201 if created else 200


@blp.post("/tickets")
@kiosk_or_staff_required
@blp.arguments(WalkInIn())
@blp.response(201, TicketOut)
def create_walk_in(body):
    """A walk-in ticket for a procedure, if the place serves walk-ins now."""
    now = _now()
    location, service = booking.get_place_and_service(db.session, body["location"], body["service"])
    ensure_own_location(g.actor, location)
    ticket = queue.issue_walk_in(db.session, location=location, service=service, now=now,
                                 actor=g.actor.name)
    answer = ticket_body(ticket, now, staff=g.actor.is_staff)
    return answer


@blp.get("/tickets/<ticket_id>")
@blp.response(200, TicketOut)
def get_ticket(ticket_id):
    """A ticket with its position and estimated wait (public: the id is the secret)."""
    ticket = queue.get_ticket(db.session, ticket_id)
    return ticket_body(ticket, _now()), 200, {"Cache-Control": "no-store"}


def _act(ticket_id: str, action, **kwargs) -> dict:
    now = _now()
    ticket = queue.get_ticket(db.session, ticket_id, lock=True)
    action(db.session, ticket, now, g.actor.name, **kwargs)
    answer = ticket_body(ticket, now, staff=True)
    return answer


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

"""The counters and the queue of a place, for the staff console and the kiosk:
counters (list, open, close, call-next), the queue in the order of service, the day's
reservations, and the walk-in procedures a kiosk may offer right now."""
from __future__ import annotations

from datetime import time, timedelta

from flask import g
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..extensions import db
from ..models import Reservation, Ticket
from ..services import booking, calendar, places, queue, reception, waits
from .auth import ensure_own_location, kiosk_or_staff_required, staff_required
from .schemas_queue import (CloseIn, CounterOut, QueueOut, QueueQuery, ReservationQuery, ReservationRow,
                            ReservationRowOut, TicketEnvelope, TicketView, WalkInOfferOut)

blp = Blueprint("queue", __name__, url_prefix="/api/v1", description="Counters and the queue")



@blp.get("/locations/<slug>/counters")
@staff_required
@blp.response(200, CounterOut(many=True))
def list_counters(slug):
    """The counters of a place, with the procedures each serves and whether it is open."""
    location = places.get_location(db.session, slug)
    return queue.get_counters(db.session, location)


@blp.get("/locations/<slug>/queue")
@staff_required
@blp.arguments(QueueQuery(), location="query")
@blp.response(200, QueueOut)
def get_queue(query, slug):
    """Today's waiting tickets in the exact order they will be called, and those at a counter."""
    now = clock.now()
    location = places.get_location(db.session, slug)
    day = queue.business_date(now)
    waiting = list(db.session.scalars(
        queue.waiting_query(location.id, day).options(selectinload(Ticket.reservation))
        .limit(query["limit"])))
    estimates = waits.queue_estimates(db.session, location, day, now)
    at_counters = queue.get_at_counters(db.session, location, day)
    return {
        "location": location, "date": day, **reception.state(db.session, location, now),
        "waiting": [TicketView(t, *estimates[t.id], staff=True) for t in waiting],
        "serving": [TicketView(t, 0, 0, [0, 0], staff=True) for t in at_counters],
    }


@blp.post("/counters/<int:counter_id>/call-next")
@staff_required
@blp.response(200, TicketEnvelope)
@blp.alt_response(204, description="Nobody is waiting for this counter")
def call_next(counter_id):
    """Call the first waiting ticket this counter may serve (atomic across counters)."""
    now = clock.now()
    counter = queue.get_counter(db.session, counter_id, lock=True)
    ticket = queue.call_next(db.session, counter, now, g.actor.name)
    if ticket is None:
        return "", 204
    return {"ticket": TicketView(ticket, 0, 0, [0, 0], staff=True)}


def _set_open(counter_id: int, is_open: bool, until=None):
    counter = queue.get_counter(db.session, counter_id)
    queue.set_counter_open(db.session, counter, is_open, clock.now(), g.actor.name, until=until)
    return counter


@blp.post("/counters/<int:counter_id>/open")
@staff_required
@blp.response(200, CounterOut)
def open_counter(counter_id):
    """Open a counter: it may call tickets again."""
    return _set_open(counter_id, True)


@blp.post("/counters/<int:counter_id>/close")
@staff_required
@blp.arguments(CloseIn(), required=False)
@blp.response(200, CounterOut)
def close_counter(body, counter_id):
    """Close a counter: it calls nobody until opened (tickets at it stay). ``until``,
    a later time today, says when its clerk expects to be back (lunch until 13:00)."""
    return _set_open(counter_id, False, until=(body or {}).get("until"))


@blp.get("/locations/<slug>/reservations")
@staff_required
@blp.arguments(ReservationQuery(), location="query")
@blp.response(200, ReservationRowOut(many=True))
def list_reservations(query, slug):
    """A day's reservations at a place (default today), with whether each checked in;
    ``q`` finds them by code, phone or name. Staff only: it holds residents' names."""
    location = places.get_location(db.session, slug)
    day = query["date"] or queue.business_date(clock.now())
    if query["q"]:  # a resident without the QR code: by code, phone or name
        rows = booking.find_reservations(db.session, location, day, query["q"])
    else:
        start = calendar.at(day, time(0, 0))
        rows = db.session.scalars(
            select(Reservation).where(Reservation.location_id == location.id,
                                      Reservation.starts_at >= start,
                                      Reservation.starts_at < start + timedelta(days=1))
            .options(selectinload(Reservation.service))
            .order_by(Reservation.starts_at, Reservation.id)).all()
    tickets = {t.reservation_id: t for t in db.session.scalars(
        select(Ticket).where(Ticket.reservation_id.in_([r.id for r in rows])))} if rows else {}
    return [ReservationRow(r, tickets.get(r.id)) for r in rows]


@blp.get("/locations/<slug>/walk-in-services")
@kiosk_or_staff_required
@blp.response(200, WalkInOfferOut)
def get_walk_in_services(slug):
    """The walk-in procedures offered now (for the kiosk's buttons), or why there are none."""
    location = places.get_location(db.session, slug)
    ensure_own_location(g.actor, location)
    offer = reception.get_walk_in_offer(db.session, location, clock.now())
    return offer, 200, {"Cache-Control": "no-store"}


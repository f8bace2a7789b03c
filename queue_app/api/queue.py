"""The counters and the queue of a place, for the staff console and the kiosk:
counters (list, open, close, call-next), the queue in the order of service, the day's
reservations, and the walk-in procedures a kiosk may offer right now."""
from __future__ import annotations

from datetime import time, timedelta

from flask import current_app, g
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Reservation, Ticket
from ..services import calendar, queue, waits
from .auth import ensure_own_location, kiosk_or_staff_required, staff_required
from .schemas_queue import (CloseIn, CounterOut, DateQuery, QueueOut, QueueQuery, ReservationRowOut,
                            TicketEnvelope, WalkInOfferOut, counter_json, ticket_json)

blp = Blueprint("queue", __name__, url_prefix="/api/v1", description="Counters and the queue")


def _now():
    return current_app.config["CLOCK"]()


@blp.get("/locations/<slug>/counters")
@staff_required
@blp.response(200, CounterOut(many=True))
def list_counters(slug):
    """The counters of a place, with the procedures each serves and whether it is open."""
    location = queue.get_location(db.session, slug)
    return [counter_json(c) for c in queue.get_counters(db.session, location)]


@blp.get("/locations/<slug>/queue")
@staff_required
@blp.arguments(QueueQuery(), location="query")
@blp.response(200, QueueOut)
def get_queue(query, slug):
    """Today's waiting tickets in the exact order they will be called, and those at a counter."""
    now = _now()
    location = queue.get_location(db.session, slug)
    day = queue.business_date(now)
    waiting = list(db.session.scalars(
        queue.waiting_query(location.id, day).options(selectinload(Ticket.reservation))
        .limit(query["limit"])))
    estimates = waits.estimate_queue(db.session, location, day, waiting, now)
    at_counters = queue.get_at_counters(db.session, location, day)
    return {
        "location": location.slug, "date": day,
        "waiting": [ticket_json(t, *estimates[t.id], staff=True) for t in waiting],
        "serving": [ticket_json(t, 0, 0, staff=True) for t in at_counters],
    }


@blp.post("/counters/<int:counter_id>/call-next")
@staff_required
@blp.response(200, TicketEnvelope)
@blp.alt_response(204, description="Nobody is waiting for this counter")
def call_next(counter_id):
    """Call the first waiting ticket this counter may serve (atomic across counters)."""
    now = _now()
    counter = queue.get_counter(db.session, counter_id, lock=True)
    ticket = queue.call_next(db.session, counter, now, g.actor.name)
    if ticket is None:
        return "", 204
    answer = {"ticket": ticket_json(ticket, 0, 0, staff=True)}
    return answer


def _set_open(counter_id: int, is_open: bool, until=None) -> dict:
    counter = queue.get_counter(db.session, counter_id)
    queue.set_counter_open(db.session, counter, is_open, _now(), g.actor.name, until=until)
    answer = counter_json(counter)
    return answer


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
@blp.arguments(DateQuery(), location="query")
@blp.response(200, ReservationRowOut(many=True))
def list_reservations(query, slug):
    """A day's reservations at a place (default today), with whether each checked in.
    Staff only: it holds residents' names."""
    location = queue.get_location(db.session, slug)
    day = query["date"] or queue.business_date(_now())
    start = calendar.at(day, time(0, 0))
    rows = db.session.scalars(
        select(Reservation).where(Reservation.location_id == location.id,
                                  Reservation.starts_at >= start,
                                  Reservation.starts_at < start + timedelta(days=1))
        .options(selectinload(Reservation.service))
        .order_by(Reservation.starts_at, Reservation.id)).all()
    tickets = {t.reservation_id: t for t in db.session.scalars(
        select(Ticket).where(Ticket.reservation_id.in_([r.id for r in rows])))} if rows else {}
    result = []
    for r in rows:
        ticket = tickets.get(r.id)
        result.append({
            "code": r.code, "status": r.status, "service": r.service.slug,
            "start": r.starts_at, "end": r.ends_at, "name": r.name, "furigana": r.furigana,
            "proxy": r.proxy,
            "language": r.language, "checked_in": r.checked_in_at is not None,
            "checked_in_at": r.checked_in_at,
            "ticket": None if ticket is None else {
                "id": ticket.id, "number": ticket.number, "status": ticket.status},
        })
    return result


@blp.get("/locations/<slug>/walk-in-services")
@kiosk_or_staff_required
@blp.response(200, WalkInOfferOut)
def get_walk_in_services(slug):
    """The walk-in procedures offered now (for the kiosk's buttons), or why there are none."""
    location = queue.get_location(db.session, slug)
    ensure_own_location(g.actor, location)
    offer = queue.get_walk_in_offer(db.session, location, _now())
    window = offer["window"]
    return {
        **offer,
        "window": None if window is None else {"kind": window.kind, "starts": window.starts,
                                                "ends": window.ends},
        "services": [{"slug": s.slug, "name": s.name(), "duration_minutes": s.duration_minutes,
                      "walk_in": True} for s in offer["services"]],
    }, 200, {"Cache-Control": "no-store"}


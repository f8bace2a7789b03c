"""The waitlist of a full day: join it, read or leave an entry, and book (or let go)
a seat held for you. Everything a resident does here also has a page (web/waitlist.py)."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from .. import clock
from ..extensions import db, limiter
from ..limits import booking_limit, contact_key
from ..models import Location
from ..services import booking, waitlist
from .schemas import ReservationOut, ReservationView
from .schemas_waitlist import (EntryView, HoldBookingIn, OfferView, SeatOfferOut, WaitlistEntryOut,
                               WaitlistIn, WaitlistTokenQuery)

blp = Blueprint("waitlist", __name__, url_prefix="/api/v1", description="The waitlist of a full day")


def _policy() -> booking.BookingPolicy:
    return booking.BookingPolicy.from_config(current_app.config)


def _offer_view(hold) -> OfferView:
    return OfferView(hold, waitlist.hold_state(hold, clock.now()), db.session.get(Location, hold.slot.location_id))


@blp.post("/waitlist")
@limiter.limit(booking_limit, methods=["POST"])
@limiter.limit(booking_limit, key_func=contact_key, methods=["POST"])
@blp.arguments(WaitlistIn())
@blp.response(201, WaitlistEntryOut)
@blp.alt_response(409, response="CONFLICT",
                  description="not_full (seats remain: book one), already_waiting, duplicate")
def join_waitlist(body):
    """Join the waitlist of a full day for a procedure. The answer holds the secret token
    (also in the e-mail) to read or leave the entry."""
    location, service = booking.get_place_and_service(db.session, body["location"], body["service"])
    entry, token = waitlist.join_waitlist(
        db.session, location=location, service=service, day=body["date"], name=body["name"],
        email=body["email"], language=body["language"], now=clock.now(), policy=_policy())
    return EntryView(entry, token, waitlist.position_of(db.session, entry), current_app.config)


@blp.get("/waitlist/<int:entry_id>")
@blp.arguments(WaitlistTokenQuery(), location="query")
@blp.response(200, WaitlistEntryOut)
def get_waitlist_entry(query, entry_id):
    """A waitlist entry and its place on the list, for whoever holds its token."""
    entry = waitlist.get_entry(db.session, entry_id, query["token"])
    return EntryView(entry, query["token"], waitlist.position_of(db.session, entry), current_app.config)


@blp.delete("/waitlist/<int:entry_id>")
@blp.arguments(WaitlistTokenQuery(), location="query")
@blp.response(200, WaitlistEntryOut)
def leave_waitlist(query, entry_id):
    """Leave the list (a seat held for you goes to the next resident); status ``left``."""
    entry = waitlist.get_entry(db.session, entry_id, query["token"])
    waitlist.leave_waitlist(db.session, entry, clock.now(), _policy())
    return EntryView(entry, query["token"], None, current_app.config)


@blp.get("/waitlist/offers/<int:hold_id>")
@blp.arguments(WaitlistTokenQuery(), location="query")
@blp.response(200, SeatOfferOut)
def get_seat_offer(query, hold_id):
    """A seat held for a resident on a waitlist: which, and until when."""
    return _offer_view(waitlist.get_hold(db.session, hold_id, query["token"]))


@blp.post("/waitlist/offers/<int:hold_id>/reservation")
@limiter.limit(booking_limit, methods=["POST"])
@blp.arguments(WaitlistTokenQuery(), location="query")
@blp.arguments(HoldBookingIn())
@blp.response(201, ReservationOut)
@blp.alt_response(409, response="CONFLICT", description="hold_gone (ran out or used), duplicate")
def book_seat_offer(query, body, hold_id):
    """Book the held seat, with the rules of any booking: the Reservation."""
    hold = waitlist.get_hold(db.session, hold_id, query["token"])
    contact = booking.validate_contact(body["name"], body["email"], body["phone"], body["language"],
                                       body["proxy"], body["furigana"])
    reservation, token = waitlist.book_hold(db.session, hold, contact, clock.now(), _policy())
    return ReservationView(reservation, token, current_app.config)


@blp.post("/waitlist/offers/<int:hold_id>/decline")
@blp.arguments(WaitlistTokenQuery(), location="query")
@blp.response(200, SeatOfferOut)
@blp.alt_response(409, response="CONFLICT", description="hold_gone")
def decline_seat_offer(query, hold_id):
    """Let the held seat go to the next resident (you leave the list)."""
    hold = waitlist.get_hold(db.session, hold_id, query["token"])
    return _offer_view(waitlist.decline_hold(db.session, hold, clock.now(), _policy()))

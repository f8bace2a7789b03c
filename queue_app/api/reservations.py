"""Online reservations: book, read, cancel, and the QR code of the check-in payload."""
from __future__ import annotations

import io

from flask import current_app, send_file
from flask_smorest import Blueprint

from ..extensions import db, limiter
from ..limits import contact_key
from ..links import check_in_payload, qr_png
from ..services import booking
from ..services.errors import Forbidden
from .auth import current_actor
from .schemas import ReservationIn, ReservationOut, ReservationView, TokenQuery
from .. import clock

blp = Blueprint("reservations", __name__, url_prefix="/api/v1", description="Reservations")


def _booking_limit() -> str:
    return current_app.config["BOOKING_RATE_LIMIT"]


def _booked_by_staff() -> bool:
    """A clerk booking for callers all day is not a flood: staff are not rate-limited."""
    actor = current_actor()
    return actor is not None and actor.is_staff


@blp.post("/reservations")
@limiter.limit(_booking_limit, methods=["POST"], exempt_when=_booked_by_staff)
@limiter.limit(_booking_limit, key_func=contact_key, methods=["POST"], exempt_when=_booked_by_staff)
@blp.arguments(ReservationIn())
@blp.response(201, ReservationOut)
def create_reservation(body):
    """Reserve a slot. The answer holds the secret token: keep it to manage the booking.
    With a staff token (or the console's session), a clerk books for a resident on the
    phone or at the counter (``channel``), under the same rules; a phone number alone is
    enough, as it is online."""
    actor = current_actor()
    staff = actor is not None and actor.is_staff
    if body["channel"] is not None and not staff:
        raise Forbidden("Only staff book for a caller.")
    contact = booking.validate_contact(body["name"], body["email"], body["phone"],
                                       body["language"], body["proxy"], body["furigana"])
    location, service = booking.get_place_and_service(db.session, body["location"], body["service"])
    reservation, token = booking.book_slot(
        db.session, location=location, service=service, start=body["start"], contact=contact,
        now=clock.now(), policy=booking.BookingPolicy.from_config(current_app.config),
        booked_by=actor.name if staff else None, channel=body["channel"] or "online")
    return ReservationView(reservation, token, current_app.config)


@blp.get("/reservations/<code>")
@blp.arguments(TokenQuery(), location="query")
@blp.response(200, ReservationOut)
def get_reservation(query, code):
    """A reservation, for whoever holds its token."""
    reservation = booking.get_reservation(db.session, code, query["token"])
    return ReservationView(reservation, query["token"], current_app.config)


@blp.delete("/reservations/<code>")
@blp.arguments(TokenQuery(), location="query")
@blp.response(200, ReservationOut)
def cancel_reservation(query, code):
    """Cancel a reservation; its slot is free again at once."""
    reservation = booking.get_reservation(db.session, code, query["token"])
    booking.cancel_reservation(db.session, reservation, clock.now(),
                               booking.BookingPolicy.from_config(current_app.config))
    return ReservationView(reservation, query["token"], current_app.config)


@blp.get("/reservations/<code>/qr.png")
@blp.arguments(TokenQuery(), location="query")
@blp.response(200, content_type="image/png")
def get_reservation_qr(query, code):
    """The QR code the kiosk scans: its text is the reservation's check-in payload."""
    reservation = booking.get_reservation(db.session, code, query["token"])
    payload = check_in_payload(current_app.config, reservation.code)
    return send_file(io.BytesIO(qr_png(payload)), mimetype="image/png", max_age=0)

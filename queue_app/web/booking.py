"""The residents' booking pages, mobile first, Japanese by default (``?lang=en``):
place → procedure (with what to bring) → month calendar → the day's slots → the form
→ the confirmation with the QR code, the manage link and the ``.ics``.

The manage page (``/reservations/<code>?token=``) is in manage.py; both share the
blueprint and helpers of resident_pages.py.
Routes parse, call one booking service and render; the service holds every rule.
"""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import clock, i18n
from ..extensions import db, limiter
from ..limits import booking_limit, contact_key
from ..models import Location
from ..services import booking
from ..services.errors import DomainError
from . import calendar_view
from .forms import BookingForm, FormErrors, check_contact, explain
from .resident_pages import (bp, get_place, get_procedure, parse_day, parse_start, policy,
                             render_day, render_month, reservation_links, reservation_or_404)

# ---------------------------------------------------------------- the booking flow

@bp.get("/")
def places():
    """Step 1: the place named on the postcard."""
    locations = db.session.scalars(select(Location).order_by(Location.id)).all()
    return render_template("booking/places.html", locations=locations, step=1)


@bp.get("/book/<location>")
def procedures(location: str):
    """Step 2: the procedure, with what to bring."""
    place = get_place(location)
    services = calendar_view.reservable_services(db.session, place)
    return render_template("booking/services.html", place=place, services=services, step=2)


def _booking_links(place, service):
    return {
        "month_url": lambda first: url_for(".month", location=place.slug, service=service.slug,
                                           month=f"{first:%Y-%m}"),
        "day_url": lambda day: url_for(".day_slots", location=place.slug, service=service.slug,
                                       day=day.isoformat()),
        "slot_url": lambda start: url_for(".reserve", location=place.slug, service=service.slug,
                                          day=start.date().isoformat(), hhmm=f"{start:%H%M}"),
        "back_url": url_for(".procedures", location=place.slug),
    }


@bp.get("/book/<location>/<service>")
def month(location: str, service: str):
    """Step 3: a month calendar of open, nearly full, full and closed days."""
    place = get_place(location)
    procedure, window_only = get_procedure(place, service)
    return render_month(place, procedure, window_only, _booking_links(place, procedure))


@bp.get("/book/<location>/<service>/<day>")
def day_slots(location: str, service: str, day: str):
    """Step 4: the day's 15-minute slots and how many seats each has left."""
    place = get_place(location)
    procedure, _window_only = get_procedure(place, service)
    return render_day(place, procedure, parse_day(day), _booking_links(place, procedure))


@bp.route("/book/<location>/<service>/<day>/<hhmm>", methods=["GET", "POST"])
@limiter.limit(booking_limit, methods=["POST"])
@limiter.limit(booking_limit, key_func=contact_key, methods=["POST"])
def reserve(location: str, service: str, day: str, hhmm: str):
    """Step 5: the resident's details; a valid form books the slot."""
    place = get_place(location)
    procedure, _window_only = get_procedure(place, service)
    start = parse_start(parse_day(day), hhmm)
    _availability, slots = calendar_view.get_day_slots(
        db.session, place, procedure, start.date(), clock.now(), policy())
    slot = next((s for s in slots if s["start"] == start), None)
    if slot is None:
        abort(404)
    form, errors, status = BookingForm(), FormErrors(), 200
    if request.method == "POST":
        status = 422
        contact = check_contact(form, errors, i18n.stored_language()) if form.validate_on_submit() else None
        if contact is not None:
            try:
                reservation, token = booking.book_slot(
                    db.session, location=place, service=procedure, start=start, contact=contact,
                    now=clock.now(), policy=policy())
                return redirect(url_for(".confirmed", code=reservation.code, token=token), 303)
            except DomainError as error:
                db.session.rollback()
                explain(error, form, errors, policy())
                status = error.status
    return render_template(
        "booking/form.html", place=place, service=procedure, slot=slot, form=form, errors=errors,
        links=_booking_links(place, procedure), step=5), status


@bp.get("/reservations/<code>/confirmed")
def confirmed(code: str):
    """Step 6: the reservation is made: code, QR code, manage link, calendar file."""
    token = request.args.get("token")
    reservation = reservation_or_404(code, token)
    return render_template("booking/confirmed.html", r=reservation, token=token, step=6,
                           **reservation_links(reservation, token))

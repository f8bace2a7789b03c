"""The residents' booking pages, mobile first, Japanese by default (``?lang=en``):
place → procedure (with what to bring) → month calendar → the day's slots → the form
→ the confirmation with the QR code, the manage link and the ``.ics``.

The manage page (``/reservations/<code>?token=``) is in manage.py, on this blueprint.
Routes parse, call one booking service and render; the service holds every rule.
"""
from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from .. import i18n
from ..config import TOKYO
from ..extensions import db, limiter
from ..limits import booking_limit, contact_key
from ..models import Location
from ..services import booking
from ..services.errors import DomainError, NotFound
from . import calendar_view
from .forms import BookingForm, FormErrors, explain, screen_my_number

bp = Blueprint("booking", __name__)


# ---------------------------------------------------------------- shared helpers

def now() -> datetime:
    return current_app.config["CLOCK"]()


def policy() -> booking.BookingPolicy:
    return booking.BookingPolicy.from_config(current_app.config)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def parse_start(day: date, hhmm: str) -> datetime:
    if len(hhmm) != 4 or not hhmm.isdigit() or int(hhmm[:2]) > 23 or int(hhmm[2:]) > 59:
        abort(404)
    return datetime.combine(day, time(int(hhmm[:2]), int(hhmm[2:])), tzinfo=TOKYO)


def parse_month(text: str | None, months: list[date]) -> date:
    """``?month=2027-02`` among the bookable months; the first one otherwise."""
    for first in months:
        if text == f"{first:%Y-%m}":
            return first
    return months[0]


def get_place(slug: str) -> Location:
    place = db.session.scalar(select(Location).where(Location.slug == slug))
    if place is None:
        abort(404)
    return place


def get_procedure(place: Location, slug: str):
    """The procedure if it can be booked at ``place`` (with its holiday-window-only flag)."""
    for service, window_only in calendar_view.reservable_services(db.session, place):
        if service.slug == slug:
            return service, window_only
    abort(404)


@bp.app_context_processor
def _page_helpers():
    """Helpers for base.html, whichever blueprint renders a page."""

    def lang_switch_url() -> str:
        args = request.args.to_dict()
        args["lang"] = "en" if i18n.current_language() == "ja" else "ja"
        if request.endpoint and request.method == "GET":
            return url_for(request.endpoint, **{**args, **(request.view_args or {})})
        return url_for("booking.places", lang=args["lang"])

    return {"current_language": i18n.current_language, "lang_switch_url": lang_switch_url,
            "localised": i18n.localised, "weekday_names": i18n.weekday_names}


for _name, _filter in (("day", i18n.day), ("month", i18n.month), ("clock", i18n.clock_time),
                       ("when", i18n.when)):
    bp.add_app_template_filter(_filter, _name)


@bp.errorhandler(404)
def _not_found(_error):
    return render_template("booking/not_found.html"), 404


@bp.errorhandler(429)
def _too_many(_error):
    return render_template("booking/error.html", kind="rate_limited"), 429


@bp.errorhandler(CSRFError)
def _expired(_error):
    return render_template("booking/error.html", kind="expired"), 400


def reservation_or_404(code: str, token: str | None):
    """The reservation for a code and token; a wrong token is exactly an unknown code."""
    try:
        return booking.get_reservation(db.session, code, token)
    except NotFound:
        abort(404)


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


def render_month(place, service, window_only, links, **extra):
    """The month calendar page, for booking and for moving a reservation."""
    months = calendar_view.bookable_months(now(), policy())
    first = parse_month(request.args.get("month"), months)
    index = months.index(first)
    weeks = calendar_view.get_month(db.session, place, service, first, now(), policy())
    return render_template(
        "booking/calendar.html", place=place, service=service, window_only=window_only,
        first=first, weeks=weeks, links=links, step=3,
        previous=months[index - 1] if index > 0 else None,
        following=months[index + 1] if index + 1 < len(months) else None, **extra)


@bp.get("/book/<location>/<service>")
def month(location: str, service: str):
    """Step 3: a month calendar of open, nearly full, full and closed days."""
    place = get_place(location)
    procedure, window_only = get_procedure(place, service)
    return render_month(place, procedure, window_only, _booking_links(place, procedure))


def render_day(place, service, day, links, errors=None, status=200, **extra):
    """The day's slots page, for booking and for moving."""
    availability, slots = calendar_view.get_day_slots(db.session, place, service, day, now(), policy())
    return render_template(
        "booking/day.html", place=place, service=service, day=day, availability=availability,
        slots=slots, links=links, errors=errors or FormErrors(), step=4, **extra), status


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
        db.session, place, procedure, start.date(), now(), policy())
    slot = next((s for s in slots if s["start"] == start), None)
    if slot is None:
        abort(404)
    form, errors, status = BookingForm(), FormErrors(), 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit() and not screen_my_number(form, errors):
            try:
                contact = booking.validate_contact(
                    form.name.data, (form.email.data or "").strip() or None,
                    (form.phone.data or "").strip() or None, i18n.current_language(), form.proxy.data)
                reservation, token = booking.book_slot(
                    db.session, location=place, service=procedure, start=start, contact=contact,
                    now=now(), policy=policy())
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


def reservation_links(reservation, token: str) -> dict:
    """The QR code, the manage link (absolute, as in the e-mail) and the .ics file."""
    from ..notify import manage_url

    return {
        "qr_url": url_for("reservations.get_reservation_qr", code=reservation.code, token=token),
        "manage_link": manage_url(current_app.config, reservation.code, token,
                                  i18n.current_language()),
        "ics_url": url_for(".calendar_file", code=reservation.code, token=token),
    }


from . import manage  # noqa: E402,F401  (the manage page's routes live on this blueprint)

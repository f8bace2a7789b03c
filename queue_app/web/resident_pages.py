"""What the residents' pages share: their blueprint (``booking``: the booking flow in
booking.py, the manage page in manage.py), the clock and policy, parsing of the URL's
day and time, finding a place and a procedure, and the calendar pages both flows show.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from .. import i18n
from ..config import TOKYO
from ..extensions import db
from ..links import manage_url
from ..models import Location
from ..services import booking, calendar, forecast, places
from ..services.errors import Invalid, NotFound, UnknownPlace
from . import calendar_view
from .forms import FormErrors
from .. import clock

bp = Blueprint("booking", __name__)


# ---------------------------------------------------------------- shared helpers


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
    try:
        return places.get_location(db.session, slug)
    except UnknownPlace:
        abort(404)


def get_procedure(place: Location, slug: str):
    """The procedure if it can be booked at ``place`` (with its holiday-window-only flag)."""
    for service, window_only in calendar_view.reservable_services(db.session, place):
        if service.slug == slug:
            return service, window_only
    abort(404)


@bp.app_context_processor
def _page_helpers():
    """Helpers for base.html, whichever blueprint renders a page."""

    def language_url(code: str) -> str:
        """This page (its query kept) in another language; after a POST, the start page."""
        args = request.args.to_dict()
        args["lang"] = code
        if request.endpoint and request.method == "GET":
            return url_for(request.endpoint, **{**args, **(request.view_args or {})})
        return url_for("booking.places", lang=code)

    def language_links() -> list[dict]:
        """The language picker: every language, named in itself, with this page's URL."""
        current = i18n.current_language()
        return [{"code": language.code, "tag": language.tag, "name": language.name,
                 "url": language_url(language.code), "current": language.code == current}
                for language in i18n.LANGUAGES]

    return {"current_language": i18n.current_language, "html_lang": i18n.html_lang,
            "language_links": language_links, "language_name": lambda: i18n.language().name,
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


def render_month(place, service, window_only, links, **extra):
    """The month calendar page, for booking and for moving a reservation."""
    months = calendar_view.bookable_months(clock.now(), policy())
    first = parse_month(request.args.get("month"), months)
    index = months.index(first)
    weeks = calendar_view.get_month(db.session, place, service, first, clock.now(), policy())
    return render_template(
        "booking/calendar.html", place=place, service=service, window_only=window_only,
        first=first, weeks=weeks, links=links, step=3,
        previous=months[index - 1] if index > 0 else None,
        following=months[index + 1] if index + 1 < len(months) else None, **extra)


def render_day(place, service, day, links, errors=None, status=200, **extra):
    """The day's slots page, for booking and for moving."""
    availability, slots = calendar_view.get_day_slots(db.session, place, service, day, clock.now(), policy())
    return render_template(
        "booking/day.html", place=place, service=service, day=day, availability=availability,
        slots=slots, links=links, errors=errors or FormErrors(), step=4,
        busy_hours=_busy_hours(place, day), **extra), status


def _busy_hours(place, day: date) -> list[dict]:
    """The day's 混雑予想 (quiet, normal, busy by hour), so a resident can pick a quiet
    time; none for a day beyond the forecast."""
    try:
        [forecast_day] = forecast.get_forecast(db.session, place, day, 1, clock.now())
    except Invalid:
        return []
    return forecast_day["hours"]


def reservation_links(reservation, token: str) -> dict:
    """The QR code, the manage link (absolute, as in the e-mail), the .ics file, and
    when check-in at the kiosk closes (``CHECKIN_LATE_MINUTES`` after the start)."""
    late = current_app.config["CHECKIN_LATE_MINUTES"]
    return {
        "qr_url": url_for("reservations.get_reservation_qr", code=reservation.code, token=token),
        "manage_link": manage_url(current_app.config, reservation.code, token,
                                  i18n.current_language()),
        "ics_url": url_for(".calendar_file", code=reservation.code, token=token),
        "checkin_closes": i18n.clock_time(reservation.starts_at + timedelta(minutes=late)),
    }


@bp.app_template_global("closure_notices")
def closure_notices(place: Location, first: date, whole_month: bool = False) -> list:
    """The closures of ``place`` on ``first`` (or in its whole month), for the booking
    pages' notice; each has ``starts``, ``ends``, ``whole_day`` and the reason in both
    languages (``localised(notice, "reason")``)."""
    last = first
    if whole_month:
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return calendar.get_notices(db.session, place, first, last)

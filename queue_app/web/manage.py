"""The manage page (``/reservations/<code>?token=``): details and QR code, the calendar
file, cancel, and move to another slot.

A move goes through booking.move_reservation, which takes the new seat before it frees
the old one: a slot that filled up meanwhile leaves the reservation as it was. A wrong
token answers the same 404 page as an unknown code.
"""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock, i18n
from ..extensions import db, limiter
from ..limits import booking_limit
from ..links import manage_url
from ..models import ReservationStatus
from ..notify import ics_calendar
from ..services import booking
from ..services.errors import DomainError
from .resident_pages import (bp, parse_day, parse_start, policy, render_day, render_month,
                             reservation_links, reservation_or_404)
from .forms import FormErrors, TokenForm, explain


def _token() -> str | None:
    return request.values.get("token")


def _changeable(reservation) -> bool:
    return reservation.status == ReservationStatus.BOOKED and reservation.starts_at > clock.now()


@bp.get("/reservations/<code>")
def manage(code: str):
    """A reservation's details, QR code and what can be done with it."""
    token = _token()
    reservation = reservation_or_404(code, token)
    return render_template("booking/manage.html", r=reservation, token=token,
                           changeable=_changeable(reservation),
                           **reservation_links(reservation, token))


@bp.get("/reservations/<code>/calendar.ics")
def calendar_file(code: str):
    """The visit as an iCalendar file, to add to the phone's calendar."""
    token = _token()
    reservation = reservation_or_404(code, token)
    url = manage_url(current_app.config, reservation.code, token, i18n.current_language())
    body = ics_calendar(reservation, clock.now(), current_app.config, url)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="reservation-{reservation.code}.ics"',
        "Cache-Control": "no-store"})


@bp.route("/reservations/<code>/cancel", methods=["GET", "POST"])
def cancel(code: str):
    """Ask once more, then cancel: the slot is free for someone else at once."""
    token = _token()
    reservation = reservation_or_404(code, token)
    form, errors = TokenForm(token=token), FormErrors()
    if request.method == "POST" and form.validate_on_submit():
        if not _changeable(reservation):  # a stale page: checked in, past, or cancelled already
            errors.add(None, _("This reservation can no longer be changed."))
        else:
            booking.cancel_reservation(db.session, reservation, clock.now(), policy())
            flash(_("Your reservation has been cancelled."), "success")
            return redirect(url_for(".manage", code=reservation.code, token=token), 303)
    return render_template("booking/cancel.html", r=reservation, token=token, form=form,
                           errors=errors, changeable=_changeable(reservation)), 409 if errors else 200


def _move_links(reservation, token: str) -> dict:
    code = reservation.code
    return {
        "month_url": lambda first: url_for(".move_month", code=code, token=token, month=f"{first:%Y-%m}"),
        "day_url": lambda day: url_for(".move_day", code=code, token=token, day=day.isoformat()),
        "slot_url": lambda start: url_for(".move_to", code=code, token=token,
                                          day=start.date().isoformat(), hhmm=f"{start:%H%M}"),
        "back_url": url_for(".manage", code=code, token=token),
    }


def _movable_or_manage(code: str, token: str | None):
    reservation = reservation_or_404(code, token)
    return reservation, (None if _changeable(reservation) else
                         redirect(url_for(".manage", code=reservation.code, token=token), 303))


@bp.get("/reservations/<code>/move")
def move_month(code: str):
    """Moving, step 1: the month calendar of the same place and procedure."""
    token = _token()
    reservation, elsewhere = _movable_or_manage(code, token)
    if elsewhere:
        return elsewhere
    return render_month(reservation.location, reservation.service, False,
                        _move_links(reservation, token), moving=reservation)


@bp.get("/reservations/<code>/move/<day>")
def move_day(code: str, day: str):
    """Moving, step 2: the day's slots."""
    token = _token()
    reservation, elsewhere = _movable_or_manage(code, token)
    if elsewhere:
        return elsewhere
    return render_day(reservation.location, reservation.service, parse_day(day),
                      _move_links(reservation, token), moving=reservation)


@bp.route("/reservations/<code>/move/<day>/<hhmm>", methods=["GET", "POST"])
@limiter.limit(booking_limit, methods=["POST"])
def move_to(code: str, day: str, hhmm: str):
    """Moving, step 3: confirm the new time; the old one is kept if the new one is taken."""
    token = _token()
    reservation, elsewhere = _movable_or_manage(code, token)
    if elsewhere:
        return elsewhere
    start = parse_start(parse_day(day), hhmm)
    links = _move_links(reservation, token)
    form = TokenForm(token=token)
    if request.method == "POST" and form.validate_on_submit():
        try:
            booking.move_reservation(db.session, reservation, start, clock.now(), policy())
            flash(_("Your reservation has been moved to %(when)s.", when=i18n.when(start)), "success")
            return redirect(url_for(".manage", code=reservation.code, token=token), 303)
        except DomainError as error:
            db.session.rollback()
            errors = FormErrors()
            explain(error, None, errors, policy())
            db.session.refresh(reservation)
            return render_day(reservation.location, reservation.service, start.date(), links,
                              errors=errors, status=error.status, moving=reservation)
    return render_template("booking/move_confirm.html", r=reservation, token=token, form=form,
                           start=start, links=links)

"""The waitlist pages of the residents' site: join the list from a full day's page,
see your place and leave the list (the link of the first e-mail), and the offer of a
held seat (the link of the second): book it with the usual form, or let it go.

Routes parse, call one waitlist service and render (services/waitlist.py holds the
rules); a wrong token answers the same 404 page as an unknown id.
"""
from __future__ import annotations

from datetime import timedelta

from flask import abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.fields import EmailField

from .. import clock, i18n
from ..extensions import db, limiter
from ..limits import booking_limit, contact_key
from ..models import Location
from ..models.waitlist import HOLD_OFFERED
from ..services import booking, waitlist
from ..services.errors import (AlreadyWaiting, DomainError, Duplicate, HoldGone, Invalid, MyNumberRejected,
                               NotFound, NotFull)
from .booking import _booking_links
from .forms import BookingForm, FormErrors, check_contact, explain, screen_my_number
from .resident_pages import bp, get_place, get_procedure, parse_day, policy, render_day


class WaitlistForm(FlaskForm):
    name = StringField(_l("Name"), render_kw={"autocomplete": "name", "maxlength": 100})
    email = EmailField(_l("E-mail address"), render_kw={"autocomplete": "email", "maxlength": 254,
                                                        "inputmode": "email"})


@bp.app_template_global("new_waitlist_form")
def new_waitlist_form() -> WaitlistForm:
    """The join form of a full day's page (its CSRF token included)."""
    return WaitlistForm()


def _token() -> str | None:
    token = request.values.get("token")
    return token if token and len(token) <= 100 else None


def _entry_or_404(entry_id: int):
    try:
        return waitlist.get_entry(db.session, entry_id, _token())
    except NotFound:
        abort(404)


def _hold_or_404(hold_id: int):
    try:
        return waitlist.get_hold(db.session, hold_id, _token())
    except NotFound:
        abort(404)


def _explain_join(error: DomainError, form: WaitlistForm, errors: FormErrors, skip=frozenset()) -> None:
    if isinstance(error, NotFull):
        errors.add(None, _l("Seats have become free on this day: please choose a time and book it."))
    elif isinstance(error, AlreadyWaiting):
        errors.add("email", _l("This e-mail address is already on the waitlist of this day."))
    elif isinstance(error, Duplicate):
        errors.add("email", _l("This e-mail address already holds a reservation for this procedure. "
                               "Please move that reservation with the link in its confirmation instead."))
    elif isinstance(error, Invalid) and set(error.extra.get("errors") or {}) & {"date"}:
        errors.add(None, _l("This day has no waitlist: it cannot be reserved."))
    else:
        explain(error, form, errors, skip=skip)


@bp.post("/book/<location>/<service>/<day>/waitlist")
@limiter.limit(booking_limit, methods=["POST"])
@limiter.limit(booking_limit, key_func=contact_key, methods=["POST"])
def join_waitlist(location: str, service: str, day: str):
    """Join the waitlist of a full day (the form of the day's page)."""
    place = get_place(location)
    procedure, _window_only = get_procedure(place, service)
    the_day = parse_day(day)
    form, errors = WaitlistForm(), FormErrors()
    if form.validate_on_submit():
        # Every field in one round, as the booking form does (forms.check_contact).
        screen_my_number(form, errors)
        email = (form.email.data or "").strip()
        if not email and "email" not in errors.fields:
            errors.add("email", _l("Please enter an e-mail address: we tell you of a free seat by e-mail."))
        try:
            booking.validate_contact(form.name.data, email or None, None, i18n.stored_language())
        except (Invalid, MyNumberRejected) as error:
            _explain_join(error, form, errors, skip=set(errors.fields))
        if not errors:
            try:
                entry, token = waitlist.join_waitlist(
                    db.session, location=place, service=procedure, day=the_day, name=form.name.data,
                    email=email, language=i18n.stored_language(), now=clock.now(), policy=policy())
                return redirect(url_for(".waitlist_entry", entry_id=entry.id, token=token, joined=1), 303)
            except DomainError as error:
                db.session.rollback()
                _explain_join(error, form, errors)
    else:
        errors.add(None, _l("The page had expired. Please try again."))
    errors.in_order(["name", "email"])
    return render_day(place, procedure, the_day, _booking_links(place, procedure), errors=errors,
                      status=422, waitlist_form=form)


class _TokenForm(FlaskForm):
    token = HiddenField()


@bp.get("/waitlist/<int:entry_id>")
def waitlist_entry(entry_id: int):
    """Your place on a day's waitlist, and the button to leave it."""
    entry = _entry_or_404(entry_id)
    return render_template("booking/waitlist_entry.html", entry=entry, token=_token(),
                           place=db.session.get(Location, entry.location_id),
                           position=waitlist.position_of(db.session, entry),
                           joined=request.args.get("joined") == "1", form=_TokenForm(token=_token()))


@bp.post("/waitlist/<int:entry_id>/leave")
def leave_waitlist(entry_id: int):
    """Leave the waitlist (a seat held for you goes to the next resident)."""
    entry = _entry_or_404(entry_id)
    if not _TokenForm().validate_on_submit():
        abort(400)
    waitlist.leave_waitlist(db.session, entry, clock.now(), policy())
    return redirect(url_for(".waitlist_entry", entry_id=entry.id, token=_token()), 303)


@bp.route("/waitlist/offers/<int:hold_id>", methods=["GET", "POST"])
@limiter.limit(booking_limit, methods=["POST"])
def seat_offer(hold_id: int):
    """A seat held for you: its time and place, until when it is held, and the form to book it."""
    hold = _hold_or_404(hold_id)
    entry = hold.entry
    place = db.session.get(Location, hold.slot.location_id)
    form, errors, status = BookingForm(), FormErrors(), 200
    if request.method == "GET":
        form.name.data = entry.name
        form.email.data = entry.email
    elif form.validate_on_submit():
        status = 422
        contact = check_contact(form, errors, i18n.stored_language())
        if contact is not None:
            try:
                reservation, token = waitlist.book_hold(db.session, hold, contact, clock.now(), policy())
                return redirect(url_for(".confirmed", code=reservation.code, token=token), 303)
            except DomainError as error:
                db.session.rollback()
                status = error.status
                if not isinstance(error, HoldGone):
                    explain(error, form, errors, policy())
    state = waitlist.hold_state(hold, clock.now())
    return render_template(
        "booking/waitlist_offer.html", hold=hold, entry=entry, place=place, state=state,
        offered=state == HOLD_OFFERED, form=form, errors=errors, token=_token(),
        decline_form=_TokenForm(token=_token()),
        end=hold.starts_at + timedelta(minutes=hold.service.duration_minutes)), status


@bp.post("/waitlist/offers/<int:hold_id>/decline")
def decline_offer(hold_id: int):
    """Let the held seat go to the next resident on the list."""
    hold = _hold_or_404(hold_id)
    if not _TokenForm().validate_on_submit():
        abort(400)
    try:
        waitlist.decline_hold(db.session, hold, clock.now(), policy())
    except HoldGone:
        db.session.rollback()
    return redirect(url_for(".seat_offer", hold_id=hold.id, token=_token()), 303)

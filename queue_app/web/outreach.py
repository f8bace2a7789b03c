"""The public home-visit application form, ``/outreach`` (出張申請): Japanese first, every
language of the residents' site with ``?lang=``, the look of the booking pages.

The form is Flask-WTF (its CSRF token), its fields are checked by the same service as
the API (services/outreach.py ``validate_application``) and every message is put next to
its field in the page's language; what the applicant typed is kept, but a field that
held a My Number, which is blanked and never echoed back. A valid application redirects
(303) to a page that says it was received.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.fields import EmailField, TelField

from .. import clock, i18n
from ..extensions import db, limiter
from ..limits import booking_limit, contact_key
from ..services import outreach
from ..services.errors import Invalid, MyNumberRejected, OutreachPending
from ..screening import NOT_SCREENED_FOR_MY_NUMBER
from ..services.privacy import my_number_fields
from .forms import FormErrors

bp = Blueprint("outreach", __name__)

ROWS = range(1, outreach.MAX_CANDIDATES + 1)
TEXT_FIELDS = ("contact_name", "email", "phone", "postcode", "address", "applicants", "note")


class OutreachForm(FlaskForm):
    # Rendered as radio buttons and selects by the template (KINDS, PARTS): the service
    # checks the values, so WTForms' choice fields would only add a second opinion.
    kind = StringField(_l("Who is applying"))
    contact_name = StringField(_l("Contact person"), render_kw={
        "autocomplete": "name", "maxlength": outreach.NAME_MAX})
    email = EmailField(_l("E-mail address"), render_kw={
        "autocomplete": "email", "maxlength": 254, "inputmode": "email"})
    phone = TelField(_l("Phone number"), render_kw={
        "autocomplete": "tel", "maxlength": 30, "inputmode": "tel"})
    postcode = StringField(_l("Postcode"), render_kw={
        "autocomplete": "postal-code", "maxlength": 10, "inputmode": "numeric"})
    address = StringField(_l("Address of the visit"), render_kw={
        "autocomplete": "street-address", "maxlength": outreach.ADDRESS_MAX})
    applicants = StringField(_l("Number of applicants"), render_kw={
        "inputmode": "numeric", "maxlength": 3})
    express = BooleanField(_l("We would like express issue (特急発行申請)"))
    note = TextAreaField(_l("Note (optional)"), render_kw={"maxlength": outreach.NOTE_MAX, "rows": 4})


for _row in ROWS:
    setattr(OutreachForm, f"date_{_row}", StringField(
        _l("Candidate date %(number)s", number=_row), render_kw={"type": "date"}))
    setattr(OutreachForm, f"part_{_row}", StringField(
        _l("Morning or afternoon (candidate %(number)s)", number=_row), default="am"))
del _row

# The service's messages (its MESSAGES keys) as the page words them.
_TEXTS = {
    "kind": _l("Please choose who is applying."),
    "name": _l("Please enter the contact person's name (up to 100 characters)."),
    "email": _l("Please enter a valid e-mail address, e.g. taro@example.jp."),
    "phone": _l("Please enter a Japanese phone number, e.g. 090-1234-5678."),
    "contact": _l("Please enter an e-mail address or a phone number."),
    "postcode": _l("Please enter the 7-digit postcode, e.g. 910-0001."),
    "address": _l("Please enter the address of the visit (up to 300 characters)."),
    "applicants": _l("Please enter the number of applicants (1 to 200)."),
    "note": _l("Please keep the note within 1,000 characters."),
    "count": _l("Please give two to five candidate dates."),
    "date": _l("Please choose a date."),
    "part": _l("Please choose the morning or the afternoon."),
    "too_soon": _l("Please choose a day from the day after tomorrow on."),
    "too_far": _l("Please choose a day within about three months."),
    "not_open": _l("There are no visits on this day (a weekend, a holiday or a closure). "
                   "Please choose another day."),
    "repeated": _l("This date and time of day is already one of your candidates."),
}
KIND_LABELS = {"individual": _l("An individual or a family"), "company": _l("A company"),
               "group": _l("A group")}
PART_LABELS = {"am": _l("Morning"), "pm": _l("Afternoon")}
_KEY_OF = {text: key for key, text in outreach.MESSAGES.items()}
MY_NUMBER_TEXT = _l("Please do not enter your My Number (the 12-digit individual number). "
                    "It is not needed for this application.")


def _field_names(form: OutreachForm) -> list[str]:
    return [field.name for field in form]


def _screen(form: OutreachForm, errors: FormErrors) -> None:
    """Blank every field that holds a My Number and say why next to it."""
    texts = {field.name: field.data for field in form
             if isinstance(field.data, str) and field.name not in NOT_SCREENED_FOR_MY_NUMBER}
    for name in my_number_fields(texts):
        form[name].data = ""
        form[name].raw_data = [""]
        errors.add(name, MY_NUMBER_TEXT)


def _application(form: OutreachForm, errors: FormErrors):
    """The checked application, or None with ``errors`` filled in."""
    rows = [row for row in ROWS if (form[f"date_{row}"].data or "").strip()]
    raw = {name: form[name].data for name in TEXT_FIELDS}
    raw.update(kind=form.kind.data, express=bool(form.express.data),
               language=i18n.stored_language(), channel="online",
               candidates=[{"date": form[f"date_{row}"].data.strip(), "part": form[f"part_{row}"].data}
                           for row in rows])
    try:
        return outreach.validate_application(db.session, raw, clock.now())
    except MyNumberRejected:
        errors.add(None, MY_NUMBER_TEXT)  # the screen above blanks every text field that holds one
    except Invalid as error:
        for field, messages in (error.extra.get("errors") or {}).items():
            key = _KEY_OF.get(messages[0])
            target = _target(field, rows)
            if target in errors.fields:
                continue  # a blanked My Number: its message says enough
            if field == "email" and key == "contact" and "phone" in errors.fields:
                continue
            errors.add(target, _TEXTS.get(key, _l("Some of the details are not valid.")))
    return None


def _target(field: str, rows: list[int]) -> str | None:
    """The form field a service error names (``candidates.1.date`` → the second filled row)."""
    if field.startswith("candidates."):
        _prefix, index, part = field.split(".", 2)
        return f"{part}_{rows[int(index)]}" if int(index) < len(rows) else None
    if field == "candidates":
        return next((f"date_{row}" for row in ROWS if row not in rows), "date_1")
    return field if field in TEXT_FIELDS or field == "kind" else None


@bp.route("/outreach", methods=["GET", "POST"])
@limiter.limit(booking_limit, methods=["POST"])
@limiter.limit(booking_limit, key_func=contact_key, methods=["POST"])
def apply():
    """The application form; a valid one is stored and the applicant is told by e-mail."""
    form, errors, status = OutreachForm(), FormErrors(), 200
    if request.method == "GET" and not form.kind.data:
        form.kind.data = "individual"
    if request.method == "POST" and form.validate_on_submit():
        status = 422
        _screen(form, errors)
        application = _application(form, errors)
        if application is not None and not errors:
            try:
                outreach.submit_request(db.session, application, clock.now())
            except OutreachPending:
                db.session.rollback()
                status = 409
                errors.add("email" if application.email else "phone", _l(
                    "This e-mail address or phone number already has a home-visit application "
                    "being handled. The division will contact you about it."))
            else:
                return redirect(url_for(".received", lang=i18n.current_language()), 303)
        errors.in_order(_field_names(form))
    now = clock.now()
    for row in ROWS:  # the date pickers offer the days a visit can be asked for
        form[f"date_{row}"].render_kw = {"type": "date", "min": outreach.first_day(now).isoformat(),
                                         "max": outreach.last_day(now).isoformat()}
    return render_template("outreach/form.html", form=form, errors=errors, rows=ROWS,
                           kinds=KIND_LABELS, parts=PART_LABELS,
                           first_day=outreach.first_day(now), last_day=outreach.last_day(now)), status


@bp.get("/outreach/received")
def received():
    """The application was received: what happens next."""
    return render_template("outreach/received.html")


@bp.errorhandler(429)
def _too_many(_error):
    return render_template("booking/error.html", kind="rate_limited"), 429


@bp.errorhandler(CSRFError)
def _expired(_error):
    return render_template("booking/error.html", kind="expired"), 400

"""The resident's forms (Flask-WTF, so each carries its CSRF token) and the translation
of the booking service's errors into messages next to the fields they concern."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.fields import EmailField, TelField

from ..services import booking
from ..services.errors import Duplicate, Invalid, MyNumberRejected, NotReservable, SlotFull
from ..screening import NOT_SCREENED_FOR_MY_NUMBER
from ..services.privacy import my_number_fields


class BookingForm(FlaskForm):
    name = StringField(_l("Name"), render_kw={"autocomplete": "name", "maxlength": 100})
    # Optional: how the name is read, so the clerk can call the resident by it.
    furigana = StringField(_l("Reading of the name (furigana, optional)"),
                           render_kw={"maxlength": 100, "autocomplete": "off"})
    email = EmailField(_l("E-mail address"), render_kw={"autocomplete": "email", "maxlength": 254,
                                                        "inputmode": "email"})
    phone = TelField(_l("Phone number"), render_kw={"autocomplete": "tel", "maxlength": 30,
                                                    "inputmode": "tel"})
    proxy = BooleanField(_l("A proxy will come instead of the card holder"))


class TokenForm(FlaskForm):
    """Cancel, and confirm a move: the reservation's token rides along."""

    token = HiddenField()


class FormErrors:
    """Messages per field plus a summary for the top of the page."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}
        self.general: list[str] = []

    def add(self, field: str | None, message) -> None:
        if field is None:
            self.general.append(str(message))
        else:
            self.fields.setdefault(field, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def in_order(self, names) -> None:
        """List the fields' messages in the order the form shows the fields, so the
        summary at the top reads like the form."""
        rank = {name: index for index, name in enumerate(names)}
        self.fields = dict(sorted(self.fields.items(), key=lambda item: rank.get(item[0], len(rank))))


def screen_my_number(form: FlaskForm, errors: FormErrors) -> bool:
    """Find the text fields holding a My Number (services/privacy.py, the one rule):
    blank them (never echo a My Number back) and say why next to each. True when one
    was found."""
    texts = {field.name: field.data for field in form
             if isinstance(field.data, str) and field.name not in NOT_SCREENED_FOR_MY_NUMBER}
    held = my_number_fields(texts)
    for name in held:
        field = form[name]
        field.data = ""
        field.raw_data = [""]
        errors.add(name, _l("Please do not enter your My Number (the 12-digit individual "
                            "number). It is not needed for a reservation."))
    return bool(held)


def check_contact(form: BookingForm, errors: FormErrors, language: str):
    """Screen the form for a My Number and check every other field in the same round,
    so the resident sees all that is wrong at once (a My Number in the name must not
    hide an invalid e-mail address). The Contact, or None with ``errors`` filled in."""
    screen_my_number(form, errors)
    contact = None
    try:
        contact = booking.validate_contact(
            form.name.data, (form.email.data or "").strip() or None,
            (form.phone.data or "").strip() or None, language, form.proxy.data, form.furigana.data)
    except (Invalid, MyNumberRejected) as error:
        # A field that held a My Number is empty now: its message already says why.
        explain(error, form, errors, skip=set(errors.fields))
    errors.in_order([field.name for field in form])
    return None if errors else contact


def explain(error: Exception, form: BookingForm | None, errors: FormErrors, policy=None,
            skip: set[str] = frozenset()) -> None:
    """Put a domain error where the resident will look for it, in the page's language.
    Fields in ``skip`` already carry a message and get no second one."""
    if isinstance(error, MyNumberRejected):
        errors.add(None, _l("Please do not enter your My Number (the 12-digit individual number)."))
    elif isinstance(error, Invalid):
        for field in (error.extra.get("errors") or {}):
            if field in skip or (field == "email" and "phone" in skip and form is not None
                                 and not form.email.data):
                continue  # "e-mail or phone" when the phone was a My Number: its message says enough
            if field == "name":
                errors.add("name", _l("Please enter your name (up to 100 characters)."))
            elif field == "email" and form is not None and not (form.email.data or form.phone.data):
                errors.add("email", _l("Please enter an e-mail address or a phone number."))
            elif field == "email":
                errors.add("email", _l("Please enter a valid e-mail address, e.g. taro@example.jp."))
            elif field == "phone":
                errors.add("phone", _l("Please enter a Japanese phone number, e.g. 090-1234-5678."))
            elif field == "furigana":
                errors.add("furigana", _l("Please write the reading of the name in katakana or "
                                          "hiragana, e.g. ヤマダ ハナコ (or leave it empty)."))
            else:
                errors.add(None, _l("Some of the details are not valid."))
    elif isinstance(error, Duplicate):
        message = _l("This contact already holds a reservation for this procedure. Please move or "
                     "cancel that reservation with the link in its confirmation instead.")
        errors.add("email" if form is not None and form.email.data else "phone", message)
    elif isinstance(error, SlotFull):
        errors.add(None, _l("Sorry, this time has just been fully booked. Please choose another time."))
    elif isinstance(error, NotReservable):
        errors.add(None, _l("This time cannot be reserved. Reservations open %(horizon)s days ahead "
                            "and close %(cutoff)s minutes before the time. Please choose another time.",
                            horizon=getattr(policy, "horizon_days", 30),
                            cutoff=getattr(policy, "cutoff_minutes", 30)))
    else:
        raise error

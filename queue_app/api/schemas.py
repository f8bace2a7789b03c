"""Request and response schemas. The same classes validate requests and generate the
OpenAPI document, so the two cannot disagree. Routes take instances: given a class,
webargs builds a new schema for every request.

Every JSON shape is written once, here: a response schema dumps the models (or a small
view of a model and what goes with it, such as ``ReservationView``), and the routes
return those, never a dict built beside the schema."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from marshmallow import EXCLUDE, Schema, fields, validate

from ..i18n import STORED_CODES
from ..links import base_url, check_in_payload, manage_path
from ..models import Reservation
from ..problems import Problem  # noqa: F401  every error body; ProblemApi documents it


# Days the calendar can reason about: date arithmetic around year 1 or 9999 overflows,
# and no city hall books or reports outside these.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)


def calendar_date(**kwargs) -> fields.Date:
    """A ``YYYY-MM-DD`` query or body field, within FIRST_DAY..LAST_DAY (else 422)."""
    return fields.Date(validate=validate.Range(FIRST_DAY, LAST_DAY), **kwargs)


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


class Names(Schema):
    ja = fields.String()
    en = fields.String()


class NameOf(fields.Nested):
    """``Names`` from a model's ``name()`` method (a place's, a procedure's)."""

    def __init__(self, **kwargs):
        super().__init__(Names, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(value() if callable(value) else value, attr, obj, **kwargs)


class LocationOut(Schema):
    slug = fields.String()
    name = NameOf()


class ServiceOut(Schema):
    slug = fields.String()
    name = NameOf()
    duration_minutes = fields.Integer()
    reservable = fields.Boolean()


class AvailabilityQuery(_In):
    location = fields.String(required=True)
    service = fields.String(required=True)
    date = calendar_date(required=True)


class SlotOut(Schema):
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    capacity = fields.Integer()
    remaining = fields.Integer()


class AvailabilityOut(Schema):
    date = fields.Date()
    location = fields.String()
    service = fields.String()
    open = fields.Boolean()
    reservation_only = fields.Boolean()
    waitlist = fields.Boolean(metadata={
        "description": "A waitlist is open for the day (POST /waitlist): it is bookable and full, "
                       "or residents already wait for it"})
    slots = fields.List(fields.Nested(SlotOut))


class ReservationIn(_In):
    location = fields.String(required=True, validate=validate.Length(1, 40))
    service = fields.String(required=True, validate=validate.Length(1, 40))
    start = fields.AwareDateTime(required=True)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    # Optional: the reading of the name in kana (フリガナ), shown to the clerk.
    furigana = fields.String(load_default=None, validate=validate.Length(max=100))
    email = fields.String(load_default=None, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, validate=validate.Length(max=30))
    # The stored 2-character codes of i18n.LANGUAGES (ez: Easy Japanese).
    language = fields.String(load_default="ja", validate=validate.OneOf(list(STORED_CODES)))
    proxy = fields.Boolean(load_default=False)
    # Staff only: booked for a resident on the phone or at the counter (窓口・電話予約).
    channel = fields.String(load_default=None, validate=validate.OneOf(["phone", "counter"]))


class TokenQuery(_In):
    token = fields.String(load_default=None)


@dataclass(frozen=True)
class ReservationView:
    """What ``ReservationOut`` dumps: the reservation, the caller's ``token`` (only its
    hash is stored) and the app's ``config``, which its links and payload depend on."""

    reservation: Reservation
    token: str
    config: Mapping


class ReservationFields(Schema):
    """What every shape of a reservation says, read from the view's ``reservation``."""

    code = fields.String(attribute="reservation.code")
    status = fields.String(attribute="reservation.status")
    service = fields.String(attribute="reservation.service.slug")
    start = fields.AwareDateTime(attribute="reservation.starts_at")
    end = fields.AwareDateTime(attribute="reservation.ends_at")
    name = fields.String(attribute="reservation.name", allow_none=True)
    language = fields.String(attribute="reservation.language")
    proxy = fields.Boolean(attribute="reservation.proxy")


class ReservationOut(ReservationFields):
    """The Reservation of the contract, dumped from a ``ReservationView``."""

    token = fields.String()
    location = fields.String(attribute="reservation.location.slug")
    email = fields.String(attribute="reservation.email", allow_none=True)
    phone = fields.String(attribute="reservation.phone", allow_none=True)
    manage_url = fields.Method("_manage_url", metadata={"type": "string"})
    qr_url = fields.Method("_qr_url", metadata={"type": "string"})
    check_in_payload = fields.Method("_check_in_payload", metadata={"type": "string"})

    def _manage_url(self, view: ReservationView) -> str:
        return base_url(view.config) + manage_path(view.reservation.code, view.token)

    def _qr_url(self, view: ReservationView) -> str:
        return (f"{base_url(view.config)}/api/v1/reservations/{view.reservation.code}/qr.png"
                f"?token={quote(view.token)}")

    def _check_in_payload(self, view: ReservationView) -> str:
        return check_in_payload(view.config, view.reservation.code)


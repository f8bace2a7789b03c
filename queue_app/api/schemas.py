"""Request and response schemas. The same classes validate requests and generate the
OpenAPI document, so the two cannot disagree. Routes take instances: given a class,
webargs builds a new schema for every request."""
from __future__ import annotations

from datetime import date

from marshmallow import EXCLUDE, Schema, fields, validate

from ..i18n import STORED_CODES
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


class LocationOut(Schema):
    slug = fields.String()
    name = fields.Nested(Names)


class ServiceOut(Schema):
    slug = fields.String()
    name = fields.Nested(Names)
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


class TokenQuery(_In):
    token = fields.String(load_default=None)


class ReservationOut(Schema):
    code = fields.String()
    token = fields.String()
    status = fields.String()
    location = fields.String()
    service = fields.String()
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    language = fields.String()
    proxy = fields.Boolean()
    manage_url = fields.String()
    qr_url = fields.String()
    check_in_payload = fields.String()


"""Schemas of the waitlist of a full day and of its seat offers (api/waitlist.py)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from marshmallow import Schema, fields, validate

from ..i18n import STORED_CODES
from ..links import base_url, waitlist_path
from ..models import Location, SeatHold, WaitlistEntry
from .schemas import _In, calendar_date

TOKEN = validate.Length(max=100)


class WaitlistIn(_In):
    location = fields.String(required=True, validate=validate.Length(1, 40))
    service = fields.String(required=True, validate=validate.Length(1, 40))
    date = calendar_date(required=True)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    email = fields.String(required=True, validate=validate.Length(1, 254))
    language = fields.String(load_default="ja", validate=validate.OneOf(list(STORED_CODES)))


class WaitlistTokenQuery(_In):
    token = fields.String(load_default=None, validate=TOKEN)


class HoldBookingIn(_In):
    """The resident's details for the held seat: as a booking's (``ReservationIn``)."""

    name = fields.String(required=True, validate=validate.Length(1, 100))
    furigana = fields.String(load_default=None, validate=validate.Length(max=100))
    email = fields.String(load_default=None, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, validate=validate.Length(max=30))
    language = fields.String(load_default="ja", validate=validate.OneOf(list(STORED_CODES)))
    proxy = fields.Boolean(load_default=False)


@dataclass(frozen=True)
class EntryView:
    """What ``WaitlistEntryOut`` dumps: the entry, its token when the caller has it (only
    its hash is stored), its place on the list and the app's config (for the link)."""

    entry: WaitlistEntry
    token: str | None
    position: int | None
    config: Mapping


class WaitlistEntryOut(Schema):
    id = fields.Integer(attribute="entry.id")
    status = fields.String(attribute="entry.status", metadata={
        "enum": ["waiting", "offered", "booked", "left", "lapsed", "ended"],
        "description": "offered: a seat is held for this resident (see the e-mail); lapsed: "
                       "the offer ran out; ended: the day has passed"})
    location = fields.String(attribute="entry.location.slug")
    service = fields.String(attribute="entry.service.slug")
    date = fields.Date(attribute="entry.day")
    position = fields.Integer(allow_none=True, metadata={
        "description": "1 for the next resident to be offered a seat; null unless waiting"})
    token = fields.String(allow_none=True, metadata={"description": "The secret to read or leave the entry"})
    manage_url = fields.Method("_manage_url", metadata={"type": "string", "nullable": True,
                                                        "description": "The page to see or leave the entry"})

    def _manage_url(self, view: EntryView):
        if not view.token:
            return None
        return base_url(view.config) + waitlist_path(view.entry.id, view.token)


@dataclass(frozen=True)
class OfferView:
    """What ``SeatOfferOut`` dumps: the hold, its state now (waitlist.hold_state) and its place."""

    hold: SeatHold
    status: str
    location: Location


class SeatOfferOut(Schema):
    id = fields.Integer(attribute="hold.id")
    status = fields.String(metadata={"enum": ["offered", "taken", "expired", "declined", "released"],
                                     "description": "offered: it can be booked until expires_at"})
    location = fields.String(attribute="location.slug")
    service = fields.String(attribute="hold.service.slug")
    start = fields.AwareDateTime(attribute="hold.starts_at")
    end = fields.Method("_end", metadata={"type": "string", "format": "date-time"})
    expires_at = fields.AwareDateTime(attribute="hold.expires_at", metadata={"description": "Held until then"})

    def _end(self, view: OfferView) -> str:
        hold = view.hold
        return (hold.starts_at + timedelta(minutes=hold.service.duration_minutes)).isoformat()


__all__ = ["EntryView", "HoldBookingIn", "OfferView", "SeatOfferOut", "WaitlistEntryOut", "WaitlistIn",
           "WaitlistTokenQuery"]

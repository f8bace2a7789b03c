"""Request and response schemas of the counter side (tickets, check-ins, counters,
queue, sign-in), and ``ticket_json``, the one place a Ticket becomes the contract's
JSON. The schemas also write the OpenAPI document."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from ..models import BAND_NAMES, TicketStatus
from ..screening import MAX_DATABASE_INT
from ..services.transitions import suggests_no_show
from .schemas import Names, calendar_date


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


# ---------------------------------------------------------------- requests

class LoginIn(_In):
    username = fields.String(required=True, validate=validate.Length(1, 60))
    password = fields.String(required=True, validate=validate.Length(1, 200))


class CheckInIn(_In):
    payload = fields.String(required=True, validate=validate.Length(1, 500))


class WalkInIn(_In):
    location = fields.String(required=True, validate=validate.Length(1, 40))
    service = fields.String(required=True, validate=validate.Length(1, 40))


class TransferIn(_In):
    service = fields.String(load_default=None, validate=validate.Length(1, 40))
    counter = fields.Integer(load_default=None, strict=True,
                             validate=validate.Range(1, MAX_DATABASE_INT))


class PrioritiseIn(_In):
    reason = fields.String(required=True, validate=validate.Length(1, 200))


class CancelIn(_In):
    reason = fields.String(load_default=None, validate=validate.Length(max=200))


class QueueQuery(_In):
    limit = fields.Integer(load_default=None, validate=validate.Range(1, 10000))


class DateQuery(_In):
    date = calendar_date(load_default=None)


# ---------------------------------------------------------------- responses

class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.AwareDateTime()
    user = fields.Dict()


class SessionOut(Schema):
    user = fields.Dict()
    via = fields.String()
    csrf_token = fields.String()


class CounterRef(Schema):
    id = fields.Integer()
    name = fields.String()


class TicketReservation(Schema):
    code = fields.String()
    start = fields.AwareDateTime()
    proxy = fields.Boolean()


class TicketOut(Schema):
    id = fields.String()
    number = fields.String()
    kind = fields.String(metadata={"enum": ["reservation", "walk_in"]})
    location = fields.String()
    service = fields.String()
    status = fields.String(metadata={"enum": [str(s) for s in TicketStatus]})
    priority = fields.String(metadata={"enum": ["normal", "high"]})
    counter = fields.Nested(CounterRef, allow_none=True)
    issued_at = fields.AwareDateTime()
    called_at = fields.AwareDateTime(allow_none=True)
    position = fields.Integer(allow_none=True)
    estimated_wait_minutes = fields.Integer(allow_none=True)
    # Beyond the contract's minimum:
    band = fields.String(metadata={"enum": list(BAND_NAMES.values())})
    business_date = fields.Date()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    recall_count = fields.Integer()
    suggest_no_show = fields.Boolean()
    target_counter = fields.Nested(CounterRef, allow_none=True)
    # Staff views only:
    priority_reason = fields.String(allow_none=True)
    reservation = fields.Nested(TicketReservation, allow_none=True)


class TicketEnvelope(Schema):
    ticket = fields.Nested(TicketOut)


class QueueOut(Schema):
    location = fields.String()
    date = fields.Date()
    waiting = fields.List(fields.Nested(TicketOut))
    serving = fields.List(fields.Nested(TicketOut))


class CounterOut(Schema):
    id = fields.Integer()
    name = fields.String()
    services = fields.List(fields.String())
    open = fields.Boolean()
    # A closed counter: when its clerk expects to be back (null: not said, or open).
    until = fields.AwareDateTime(allow_none=True)
    takes_reservations = fields.Boolean()


class CloseIn(_In):
    until = fields.AwareDateTime(load_default=None, allow_none=True,
                                 metadata={"description": "When the clerk expects to be back, today"})


class WindowOut(Schema):
    kind = fields.String()
    starts = fields.AwareDateTime()
    ends = fields.AwareDateTime()


class WalkInServiceOut(Schema):
    slug = fields.String()
    name = fields.Nested(Names)
    duration_minutes = fields.Integer()
    walk_in = fields.Boolean()


class WalkInOfferOut(Schema):
    location = fields.String()
    open = fields.Boolean()
    reservation_only = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"enum": ["closed", "reservation_only", None]})
    window = fields.Nested(WindowOut, allow_none=True)
    services = fields.List(fields.Nested(WalkInServiceOut))


class ReservationRowOut(Schema):
    code = fields.String()
    status = fields.String()
    service = fields.String()
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    name = fields.String(allow_none=True)
    furigana = fields.String(allow_none=True)
    proxy = fields.Boolean()
    language = fields.String()
    checked_in = fields.Boolean()
    checked_in_at = fields.AwareDateTime(allow_none=True)
    ticket = fields.Dict(allow_none=True)


# ---------------------------------------------------------------- models to JSON

def _counter_ref(counter) -> dict | None:
    return None if counter is None else {"id": counter.id, "name": counter.name}


def ticket_json(ticket, position: int | None, wait: int | None, staff: bool = False) -> dict:
    """The Ticket object of the contract (plus a few fields). Nothing personal: it is
    served publicly by ``GET /tickets/{id}``; ``staff`` adds what only staff may see."""
    body = {
        "id": ticket.id,
        "number": ticket.number,
        "kind": ticket.kind,
        "location": ticket.location.slug,
        "service": ticket.service.slug,
        "status": ticket.status,
        "priority": ticket.priority,
        "counter": _counter_ref(ticket.counter),
        "issued_at": ticket.issued_at,
        "called_at": ticket.called_at,
        "position": position,
        "estimated_wait_minutes": wait,
        "band": BAND_NAMES[ticket.band],
        "business_date": ticket.business_date,
        "started_at": ticket.started_at,
        "finished_at": ticket.finished_at,
        "recall_count": ticket.recall_count,
        "suggest_no_show": suggests_no_show(ticket),
        "target_counter": _counter_ref(ticket.target_counter),
    }
    if staff:
        body["priority_reason"] = ticket.priority_reason
        reservation = ticket.reservation
        body["reservation"] = None if reservation is None else {
            "code": reservation.code, "start": reservation.starts_at, "proxy": reservation.proxy}
    return body


def counter_json(counter) -> dict:
    return {"id": counter.id, "name": counter.name, "services": [s.slug for s in counter.services],
            "open": counter.is_open, "until": counter.closed_until,
            "takes_reservations": counter.takes_reservations}

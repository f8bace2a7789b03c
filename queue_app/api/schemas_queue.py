"""Request and response schemas of the counter side (tickets, check-ins, counters,
queue, sign-in). ``TicketOut`` is the one place a Ticket becomes the contract's JSON,
dumped from a ``TicketView``. The schemas also write the OpenAPI document."""
from __future__ import annotations

from dataclasses import dataclass

from marshmallow import EXCLUDE, Schema, fields, validate

from ..models import BAND_NAMES, Reservation, Ticket, TicketStatus
from ..screening import MAX_DATABASE_INT
from ..services.transitions import suggests_no_show
from .schemas import LocationOut, NameOf, ReservationFields, ServiceOut, calendar_date


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


# ---------------------------------------------------------------- requests

class LoginIn(_In):
    username = fields.String(required=True, validate=validate.Length(1, 60))
    password = fields.String(required=True, validate=validate.Length(1, 200))


class CheckInIn(_In):
    payload = fields.String(load_default=None, validate=validate.Length(1, 500),
                            metadata={"description": "A kiosk: the QR code's signed payload"})
    code = fields.String(load_default=None, validate=validate.Length(1, 20),
                         metadata={"description": "Staff: the reservation's code (no QR at hand)"})


class WalkInIn(_In):
    location = fields.String(required=True, validate=validate.Length(1, 40))
    service = fields.String(required=True, validate=validate.Length(1, 40))
    override = fields.Boolean(load_default=False, metadata={
        "description": "Staff only: issue the ticket even after reception has closed (受付終了)."})


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


class ReservationQuery(_In):
    date = calendar_date(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(1, 100),
                      metadata={"description": "Find by code, phone (4 digits or more) or name"})


# ---------------------------------------------------------------- responses

class UserRef(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserRef)


class SessionOut(Schema):
    user = fields.Nested(UserRef)
    via = fields.String()
    csrf_token = fields.String()


class CounterRef(Schema):
    id = fields.Integer()
    name = fields.String()


class TicketReservation(Schema):
    code = fields.String()
    start = fields.AwareDateTime(attribute="starts_at")
    proxy = fields.Boolean()


@dataclass(frozen=True)
class TicketView:
    """What ``TicketOut`` dumps: a ticket, its place in the queue and who reads it.

    ``wait_range`` is the ``[low, high]`` minutes of ``estimated_wait_range``
    (services/waits.py), None when there is no estimate."""

    ticket: Ticket
    position: int | None
    wait: int | None
    wait_range: tuple[int, int] | None = None
    staff: bool = False

    @property
    def for_staff(self) -> Ticket | None:
        """The ticket for a staff reader, None for the public: ``TicketOut``'s
        staff-only fields read through it, so a public dump leaves them out."""
        return self.ticket if self.staff else None


class TicketOut(Schema):
    """The Ticket of the contract (plus a few fields), from a ``TicketView``. Nothing
    personal: ``GET /tickets/{id}`` serves it publicly."""

    id = fields.String(attribute="ticket.id")
    number = fields.String(attribute="ticket.number")
    kind = fields.String(attribute="ticket.kind", metadata={"enum": ["reservation", "walk_in"]})
    location = fields.String(attribute="ticket.location.slug")
    service = fields.String(attribute="ticket.service.slug")
    status = fields.String(attribute="ticket.status", metadata={"enum": [str(s) for s in TicketStatus]})
    priority = fields.String(attribute="ticket.priority", metadata={"enum": ["normal", "high"]})
    counter = fields.Nested(CounterRef, attribute="ticket.counter", allow_none=True)
    issued_at = fields.AwareDateTime(attribute="ticket.issued_at")
    called_at = fields.AwareDateTime(attribute="ticket.called_at", allow_none=True)
    position = fields.Integer(allow_none=True)
    estimated_wait_minutes = fields.Integer(attribute="wait", allow_none=True)
    estimated_wait_range = fields.List(
        fields.Integer(), attribute="wait_range", allow_none=True, validate=validate.Length(equal=2),
        metadata={"description": "[low, high] minutes; null when there is no estimate"})
    # Beyond the contract's minimum:
    band = fields.Function(lambda view: BAND_NAMES[view.ticket.band],
                           metadata={"type": "string", "enum": list(BAND_NAMES.values())})
    business_date = fields.Date(attribute="ticket.business_date")
    started_at = fields.AwareDateTime(attribute="ticket.started_at", allow_none=True)
    finished_at = fields.AwareDateTime(attribute="ticket.finished_at", allow_none=True)
    recall_count = fields.Integer(attribute="ticket.recall_count")
    suggest_no_show = fields.Function(lambda view: suggests_no_show(view.ticket),
                                      metadata={"type": "boolean"})
    target_counter = fields.Nested(CounterRef, attribute="ticket.target_counter", allow_none=True)
    # Staff readers only (absent for the public, see TicketView.for_staff):
    priority_reason = fields.String(attribute="for_staff.priority_reason", allow_none=True)
    reservation = fields.Nested(TicketReservation, attribute="for_staff.reservation", allow_none=True)


class TicketEnvelope(Schema):
    ticket = fields.Nested(TicketOut)


class QueueOut(Schema):
    location = fields.Pluck(LocationOut, "slug")
    date = fields.Date()
    reception = fields.String(metadata={"enum": ["open", "reservation_only", "closed"]})
    reception_reason = fields.String(allow_none=True, metadata={
        "enum": ["closed", "reservation_only", "reception_closed", None],
        "description": "Why reception is not open: reception_closed is 受付終了 for the day"})
    next_opening = fields.AwareDateTime(allow_none=True)
    waiting = fields.List(fields.Nested(TicketOut))
    serving = fields.List(fields.Nested(TicketOut))


class CounterOut(Schema):
    id = fields.Integer()
    name = fields.String()
    services = fields.Pluck(ServiceOut, "slug", many=True)
    open = fields.Boolean(attribute="is_open")
    # A closed counter: when its clerk expects to be back (null: not said, or open).
    until = fields.AwareDateTime(attribute="closed_until", allow_none=True)
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
    name = NameOf()
    duration_minutes = fields.Integer()
    walk_in = fields.Constant(True, metadata={"type": "boolean"})


class WalkInOfferOut(Schema):
    location = fields.String()
    open = fields.Boolean()
    reservation_only = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={
        "enum": ["closed", "reservation_only", "reception_closed", None],
        "description": "Why no walk-in is offered; reception_closed is 受付終了 for the day"})
    window = fields.Nested(WindowOut, allow_none=True)
    services = fields.List(fields.Nested(WalkInServiceOut))
    next_opening = fields.AwareDateTime(allow_none=True, metadata={
        "description": "When walk-ins are taken again, when none are offered now"})


class StaffedHourSchema(Schema):
    hour = fields.Integer(required=True, strict=True, validate=validate.Range(0, 23),
                          metadata={"description": "From this hour:00 for the hour, Asia/Tokyo"})
    counters = fields.Integer(required=True, strict=True, validate=validate.Range(0, 50))


class UsualDayIn(_In):
    hours = fields.List(fields.Nested(StaffedHourSchema), required=True,
                        validate=validate.Length(max=24))
    cutoff_minutes = fields.Integer(load_default=None, strict=True, validate=validate.Range(0, 120), metadata={
        "description": "受付終了: refuse a walk-in who would be called later than this before closing"})


class UsualDayOut(Schema):
    location = fields.String()
    hours = fields.List(fields.Nested(StaffedHourSchema))
    cutoff_minutes = fields.Integer()


class TicketRef(Schema):
    id = fields.String()
    number = fields.String()
    status = fields.String()


@dataclass(frozen=True)
class ReservationRow:
    """What ``ReservationRowOut`` dumps: a reservation and its ticket, if it has one."""

    reservation: Reservation
    ticket: Ticket | None


class ReservationRowOut(ReservationFields):
    """A line of the day's reservations (staff only: it holds the resident's name)."""

    furigana = fields.String(attribute="reservation.furigana", allow_none=True)
    phone = fields.String(attribute="reservation.phone", allow_none=True)
    checked_in = fields.Function(lambda row: row.reservation.checked_in_at is not None,
                                 metadata={"type": "boolean"})
    checked_in_at = fields.AwareDateTime(attribute="reservation.checked_in_at", allow_none=True)
    ticket = fields.Nested(TicketRef, allow_none=True)

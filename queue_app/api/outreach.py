"""Home-visit applications (出張申請) over the API:

- ``POST /outreach-requests`` (public, rate-limited like booking) applies for a visit:
  201 ``{"id", "status": "new"}``; 422 ``invalid`` naming the fields, or
  ``my_number_rejected``; 409 ``duplicate`` while the contact has a request being handled.
  With a staff token a clerk records a request taken at the counter, by phone or by
  e-mail (``channel``), under the same rules.
- Staff: ``GET /outreach-requests?status=``, ``GET /outreach-requests/{id}``,
  ``POST /outreach-requests/{id}/schedule`` ``{"date", "start", "staff"?}``,
  ``POST /outreach-requests/{id}/decline`` ``{"reason"}`` and
  ``POST /outreach-requests/{id}/done``; a move that makes no sense answers 409
  ``invalid_transition``.
"""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import clock
from ..extensions import db, limiter
from ..i18n import STORED_CODES
from ..limits import contact_key
from ..models.outreach import OutreachStatus
from ..services import outreach
from ..services.errors import Forbidden
from .auth import current_actor, require_staff, staff_required
from .schemas import _In, calendar_date

blp = Blueprint("outreach_api", __name__, url_prefix="/api/v1",
                description="Home visits (出張申請): applications and their scheduling")


# ---------------------------------------------------------------- schemas

class CandidateIn(_In):
    date = calendar_date(required=True)
    part = fields.String(required=True, validate=validate.OneOf(outreach.PARTS),
                         metadata={"description": "am: morning, pm: afternoon"})


class OutreachIn(_In):
    kind = fields.String(required=True, validate=validate.OneOf(outreach.KINDS))
    contact_name = fields.String(required=True, validate=validate.Length(1, outreach.NAME_MAX))
    email = fields.String(load_default=None, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, validate=validate.Length(max=30))
    address = fields.String(required=True, validate=validate.Length(1, outreach.ADDRESS_MAX))
    postcode = fields.String(required=True, validate=validate.Length(1, 10),
                             metadata={"description": "7 digits: 910-0001 or 9100001"})
    applicants = fields.Integer(required=True, strict=True,
                                validate=validate.Range(1, outreach.MAX_APPLICANTS))
    express = fields.Boolean(load_default=False, metadata={"description": "Express issue (特急発行申請)"})
    candidates = fields.List(
        fields.Nested(CandidateIn), required=True,
        validate=validate.Length(outreach.MIN_CANDIDATES, outreach.MAX_CANDIDATES),
        metadata={"description": "Weekdays the calendar allows, from the day after tomorrow "
                                 f"to {outreach.HORIZON_DAYS} days ahead"})
    note = fields.String(load_default=None, validate=validate.Length(max=outreach.NOTE_MAX))
    language = fields.String(load_default="ja", validate=validate.OneOf(list(STORED_CODES)),
                             metadata={"description": "The language of the e-mails"})
    channel = fields.String(load_default=None, validate=validate.OneOf(outreach.CHANNELS[1:]),
                            metadata={"description": "Staff only: taken at the counter, by phone or e-mail"})


class OutreachCreated(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": list(OutreachStatus)})


class StatusQuery(_In):
    status = fields.String(load_default=None, validate=validate.OneOf(list(OutreachStatus)))


class ScheduleIn(_In):
    date = calendar_date(required=True, metadata={"description": "One of the candidate dates"})
    start = fields.AwareDateTime(required=True, metadata={
        "description": "When the visit starts, with its offset, within the part of the day asked for"})
    staff = fields.String(load_default=None, validate=validate.Length(max=outreach.STAFF_MAX),
                          metadata={"description": "Who goes: names or user ids"})


class DeclineIn(_In):
    reason = fields.String(required=True, validate=validate.Length(1, outreach.REASON_MAX))


class CandidateOut(Schema):
    date = fields.String()
    part = fields.String()


class OutreachOut(Schema):
    """A request as staff see it (personal data is null once purged)."""

    id = fields.Integer()
    status = fields.String(metadata={"enum": list(OutreachStatus)})
    kind = fields.String(metadata={"enum": list(outreach.KINDS)})
    channel = fields.String()
    contact_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    applicants = fields.Integer()
    express = fields.Boolean()
    language = fields.String()
    candidates = fields.List(fields.Nested(CandidateOut))
    date = fields.Date(attribute="visit_date", allow_none=True)
    start = fields.AwareDateTime(attribute="visit_start", allow_none=True)
    staff = fields.String(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    call_applicant = fields.Function(lambda r: r.email is None and r.phone is not None,
                                     metadata={"type": "boolean",
                                               "description": "No e-mail address: staff call them"})
    created_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    purged_at = fields.AwareDateTime(allow_none=True)


# ---------------------------------------------------------------- routes

def _limit() -> str:
    return current_app.config["BOOKING_RATE_LIMIT"]


def _by_staff() -> bool:
    actor = current_actor()
    return actor is not None and actor.is_staff


@blp.post("/outreach-requests")
@limiter.limit(_limit, methods=["POST"], exempt_when=_by_staff)
@limiter.limit(_limit, key_func=contact_key, methods=["POST"], exempt_when=_by_staff)
@blp.arguments(OutreachIn())
@blp.response(201, OutreachCreated)
@blp.alt_response(409, response="CONFLICT", description="duplicate: this contact has a request being handled")
def create_request(body):
    """Apply for a home visit; the division confirms one of the candidate dates."""
    actor = current_actor()
    staff = actor is not None and actor.is_staff
    if body["channel"] is not None and not staff:
        raise Forbidden("Only staff record a request taken at the counter, by phone or e-mail.")
    body = {**body, "candidates": [{"date": c["date"], "part": c["part"]} for c in body["candidates"]],
            "channel": body["channel"] or "online"}
    now = clock.now()
    application = outreach.validate_application(db.session, body, now)
    return outreach.submit_request(db.session, application, now,
                                   actor=actor.name if staff else "resident")


@blp.get("/outreach-requests")
@staff_required
@blp.arguments(StatusQuery(), location="query")
@blp.response(200, OutreachOut(many=True))
def list_requests(query):
    """The requests (of one status), the newest first."""
    return outreach.get_requests(db.session, query["status"])


@blp.get("/outreach-requests/<int:request_id>")
@staff_required
@blp.response(200, OutreachOut)
def get_request(request_id):
    """One request."""
    return outreach.get_request(db.session, request_id)


@blp.post("/outreach-requests/<int:request_id>/schedule")
@staff_required
@blp.arguments(ScheduleIn())
@blp.response(200, OutreachOut)
@blp.alt_response(409, response="CONFLICT", description="invalid_transition")
def schedule_request(body, request_id):
    """Fix the visit on a candidate date; the applicant is told by e-mail (or called)."""
    actor = require_staff()
    request = outreach.get_request(db.session, request_id, for_update=True)
    return outreach.schedule_visit(db.session, request, day=body["date"], start=body["start"],
                                   staff=body["staff"], actor=actor.name, now=clock.now())


@blp.post("/outreach-requests/<int:request_id>/decline")
@staff_required
@blp.arguments(DeclineIn())
@blp.response(200, OutreachOut)
@blp.alt_response(409, response="CONFLICT", description="invalid_transition")
def decline_request(body, request_id):
    """Decline with a reason; the applicant is told by e-mail (or called)."""
    actor = require_staff()
    request = outreach.get_request(db.session, request_id, for_update=True)
    return outreach.decline_request(db.session, request, reason=body["reason"], actor=actor.name,
                                    now=clock.now())


@blp.post("/outreach-requests/<int:request_id>/done")
@staff_required
@blp.response(200, OutreachOut)
@blp.alt_response(409, response="CONFLICT", description="invalid_transition")
def complete_request(request_id):
    """The visit took place."""
    actor = require_staff()
    request = outreach.get_request(db.session, request_id, for_update=True)
    return outreach.complete_visit(db.session, request, actor=actor.name, now=clock.now())

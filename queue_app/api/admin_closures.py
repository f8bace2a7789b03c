"""The back office's API for closures and the audit log (administrators only):

- ``POST /admin/closures`` closes a place for a day or part of one; an emergency closure
  cancels the reservations in its time and answers the call list (services/closures.py).
- ``GET /admin/closures?location=`` lists the closures in force from today on.
- ``DELETE /admin/closures/{id}`` reopens what the closure closed.
- ``GET /admin/audit`` browses the audit log, filtered and a page at a time, and
  ``GET /admin/audit.csv`` downloads it (UTF-8 with BOM, streamed; Japanese headers with
  ``lang=ja``). The log holds no personal data, and the CSV adds none.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from flask import Response, stream_with_context
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import clock
from ..extensions import db
from ..models import Closure
from ..services import audit_log, calendar, closures, places
from ..services.errors import Invalid, UnknownPlace
from .auth import admin_required, require_admin
from .schemas import _In, calendar_date

blp = Blueprint("admin_closures_api", __name__, url_prefix="/api/v1",
                description="Back office: closures and the audit log (administrators)")


# ---------------------------------------------------------------- schemas

class ReasonSchema(Schema):
    ja = fields.String(required=True, validate=validate.Length(1, closures.REASON_MAX))
    en = fields.String(required=True, validate=validate.Length(1, closures.REASON_MAX))


class ClosureIn(_In):
    location = fields.String(required=True, validate=validate.Length(1, 40))
    date = calendar_date(required=True)
    start = fields.Time(load_default=None, allow_none=True,
                        metadata={"description": "HH:MM; with end, closes part of the day"})
    end = fields.Time(load_default=None, allow_none=True)
    reason = fields.Nested(ReasonSchema, required=True,
                           metadata={"description": "Shown to residents, in Japanese and English"})
    emergency = fields.Boolean(load_default=False, metadata={
        "description": "Cancel the reservations in the closed time and tell the residents"})


class ClosuresQuery(_In):
    location = fields.String(load_default=None, validate=validate.Length(1, 40))


class CallOut(Schema):
    code = fields.String()
    start = fields.AwareDateTime()
    phone = fields.String()


@dataclass
class ClosureView:
    """A closure with its place and, when just made, what it did."""

    closure: Closure
    location: str | None
    affected: list[str] = field(default_factory=list)
    call_list: list[dict] = field(default_factory=list)


def _hhmm(value) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


class ClosureOut(Schema):
    id = fields.Integer(attribute="closure.id")
    location = fields.String(allow_none=True, metadata={"description": "null: every place"})
    date = fields.Date(attribute="closure.on_date")
    start = fields.Function(lambda view: _hhmm(view.closure.starts), allow_none=True,
                            metadata={"type": "string", "description": "HH:MM; null: all day"})
    end = fields.Function(lambda view: _hhmm(view.closure.ends), allow_none=True,
                          metadata={"type": "string"})
    reason = fields.Function(lambda view: {"ja": view.closure.reason, "en": view.closure.reason_en},
                             metadata={"type": "object"})
    emergency = fields.Boolean(attribute="closure.emergency")
    created_by = fields.String(attribute="closure.created_by")
    reopened_at = fields.AwareDateTime(attribute="closure.reopened_at", allow_none=True)
    affected = fields.List(fields.String(), metadata={"description": "Codes of the reservations cancelled"})
    call_list = fields.List(fields.Nested(CallOut), metadata={
        "description": "Cancelled reservations that left only a phone number: call them"})


class ClosureList(Schema):
    closures = fields.List(fields.Nested(ClosureOut))


class AuditQuery(_In):
    who = fields.String(load_default=None, validate=validate.Length(1, 80),
                        metadata={"description": "user:3, device:2, a user's or a device's name"})
    action = fields.String(load_default=None, validate=validate.Length(1, 40),
                           metadata={"description": "An action (ticket.call) or its family (ticket)"})
    location = fields.String(load_default=None, validate=validate.Length(1, 40))
    from_ = calendar_date(load_default=None, data_key="from")
    to = calendar_date(load_default=None)


class AuditPageQuery(AuditQuery):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1_000_000))
    per_page = fields.Integer(load_default=audit_log.PER_PAGE, validate=validate.Range(1, audit_log.MAX_PER_PAGE))


class AuditCsvQuery(AuditQuery):
    lang = fields.String(load_default="en", validate=validate.OneOf(["ja", "en"]),
                         metadata={"description": "Language of the headers and actions: ja or en"})


class AuditEntryOut(Schema):
    id = fields.Integer(attribute="entry.id")
    at = fields.AwareDateTime(attribute="entry.at")
    actor = fields.String(attribute="entry.actor")
    who = fields.String(allow_none=True, metadata={"description": "The user's or device's name"})
    action = fields.String(attribute="entry.action")
    location = fields.String(allow_none=True)
    ticket_id = fields.String(attribute="entry.ticket_id", allow_none=True)
    reservation_code = fields.String(attribute="entry.reservation_code", allow_none=True)
    detail = fields.Dict(attribute="entry.detail")


class AuditPageOut(Schema):
    entries = fields.List(fields.Nested(AuditEntryOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


# ---------------------------------------------------------------- closures

def _location(slug: str):
    try:
        return places.get_location(db.session, slug)
    except UnknownPlace:
        raise Invalid("Some fields are not valid: location",
                      errors={"location": [f"No place called {slug!r}."]}) from None


@blp.post("/admin/closures")
@admin_required
@blp.arguments(ClosureIn())
@blp.response(201, ClosureOut)
@blp.alt_response(409, response="CONFLICT", description="reservations_in_the_way, with their codes")
def create_closure(body):
    """Close a place for a day or part of it (an emergency closure cancels and tells)."""
    actor = require_admin()
    location = _location(body["location"])
    result = closures.create_closure(
        db.session, location=location, day=body["date"], start=body["start"], end=body["end"],
        reason_ja=body["reason"]["ja"], reason_en=body["reason"]["en"],
        emergency=body["emergency"], actor=actor.name, now=clock.now())
    return ClosureView(result.closure, location.slug, result.affected, result.call_list)


@blp.get("/admin/closures")
@admin_required
@blp.arguments(ClosuresQuery(), location="query")
@blp.response(200, ClosureList)
def list_closures(query):
    """The closures in force from today on (of one place, with those of every place)."""
    location = _location(query["location"]) if query["location"] else None
    rows = closures.get_upcoming(db.session, calendar.today(clock.now()), location)
    return {"closures": [ClosureView(c, c.location.slug if c.location else None) for c in rows]}


@blp.delete("/admin/closures/<int:closure_id>")
@admin_required
@blp.response(200, ClosureOut)
def reopen_closure(closure_id):
    """Reopen what the closure closed; reservations it cancelled stay cancelled."""
    actor = require_admin()
    closure = closures.reopen_closure(db.session, closure_id, actor=actor.name, now=clock.now())
    return ClosureView(closure, closure.location.slug if closure.location else None)


# ---------------------------------------------------------------- the audit log

def _filters(query) -> audit_log.Filters:
    return audit_log.Filters(who=query["who"], action=query["action"], location=query["location"],
                             first=query["from_"], last=query["to"])


@blp.get("/admin/audit")
@admin_required
@blp.arguments(AuditPageQuery(), location="query")
@blp.response(200, AuditPageOut)
def get_audit(query):
    """The audit log, newest first, filtered by who, action, place and days."""
    return audit_log.get_page(db.session, _filters(query), query["page"], query["per_page"])


AUDIT_HEADERS = {
    "en": ["at", "actor", "who", "action", "location", "ticket_id", "reservation_code", "detail"],
    "ja": ["日時", "操作者ID", "操作者", "操作", "場所", "受付票ID", "予約番号", "詳細"],
}


@blp.get("/admin/audit.csv")
@admin_required
@blp.arguments(AuditCsvQuery(), location="query")
@blp.response(200, content_type="text/csv", description="One row per entry, oldest first")
def get_audit_csv(query):
    """The audit log as CSV (UTF-8 with BOM), streamed; what the log holds, no more."""
    lang = query["lang"]
    rows = audit_log.iter_rows(db.session, _filters(query))

    def generate():
        yield "\ufeff".encode("utf-8")  # the BOM: Excel then reads UTF-8
        batch = [AUDIT_HEADERS[lang]]
        for row in rows:
            batch.append(_audit_row(row, lang))
            if len(batch) >= 1000:
                yield _csv_lines(batch)
                batch = []
        if batch:
            yield _csv_lines(batch)

    return Response(stream_with_context(generate()), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="audit.csv"', "Cache-Control": "no-store"})


def _audit_row(row: audit_log.Row, lang: str) -> list:
    entry = row.entry
    action = audit_log.ACTIONS_JA.get(entry.action, entry.action) if lang == "ja" else entry.action
    return [entry.at.strftime("%Y-%m-%d %H:%M:%S"), entry.actor, row.who or "", action,
            row.location or "", entry.ticket_id or "", entry.reservation_code or "",
            json.dumps(entry.detail or {}, ensure_ascii=False, sort_keys=True)]


def _csv_lines(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")

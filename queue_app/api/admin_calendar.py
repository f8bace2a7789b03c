"""The back office's API for a place's calendar (administrators only):

- ``GET /admin/locations/{slug}/calendar?month=YYYY-MM``: every day of the month, open
  or why closed (a national holiday by its name, the New Year closure, a closure), its
  windows and closures, and how full its slots are.
- ``GET|PUT /admin/locations/{slug}/hours``: the weekly plans; PUT sets the ordinary
  hours from a date on.
- ``GET|PUT /admin/locations/{slug}/capacity``: the seats per slot per procedure; PUT
  sets one procedure's from a date on.
- ``GET|POST /admin/locations/{slug}/windows``, ``DELETE /admin/windows/{id}``: the
  holiday and extended-hours windows.

A change below what is booked answers 409 ``reservations_in_the_way`` with their codes
and changes nothing (services/calendar_rules.py).
"""
from __future__ import annotations

from datetime import date

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import clock
from ..extensions import db
from ..services import calendar, calendar_rules, office, places
from ..services.calendar_rules import WeekdayHours
from ..services.errors import Invalid, NotFound
from .auth import admin_required, require_admin
from .schemas import _In, calendar_date

blp = Blueprint("admin_calendar_api", __name__, url_prefix="/api/v1",
                description="Back office: a place's calendar (administrators)")

_SLUG = validate.Length(1, 40)


def _hhmm(value) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


# ---------------------------------------------------------------- schemas

class MonthQuery(_In):
    month = fields.String(load_default=None, validate=validate.Regexp(r"^20\d{2}-(0[1-9]|1[0-2])$"),
                          metadata={"description": "YYYY-MM; default this month"})


class DayWindowOut(Schema):
    kind = fields.String(metadata={"description": "regular | extended | holiday"})
    start = fields.AwareDateTime(attribute="starts")
    end = fields.AwareDateTime(attribute="ends")
    reservation_only = fields.Boolean()


class DayClosureOut(Schema):
    start = fields.AwareDateTime(attribute="starts")
    end = fields.AwareDateTime(attribute="ends")
    all_day = fields.Boolean(attribute="whole_day")
    emergency = fields.Boolean()
    reason = fields.Function(lambda n: {"ja": n.reason_ja, "en": n.reason_en}, metadata={"type": "object"})


class MonthDayOut(Schema):
    date = fields.Date()
    open = fields.Boolean(attribute="plan.open")
    closed_reason = fields.String(attribute="plan.closed_reason", allow_none=True, metadata={
        "description": "national_holiday | new_year | closure | no_opening_hours; null when open"})
    holiday_name = fields.String(allow_none=True, metadata={"description": "The national holiday's name"})
    reservation_only = fields.Boolean(attribute="plan.reservation_only")
    windows = fields.List(fields.Nested(DayWindowOut), attribute="plan.windows")
    closures = fields.List(fields.Nested(DayClosureOut), attribute="plan.closures")
    seats = fields.Integer()
    booked = fields.Integer()
    fill = fields.Integer(allow_none=True, metadata={"description": "Per cent of the seats booked"})


class MonthOut(Schema):
    location = fields.String()
    month = fields.String()
    days = fields.List(fields.Nested(MonthDayOut))


class DayHours(_In):
    weekday = fields.Integer(required=True, strict=True, validate=validate.Range(0, 6),
                             metadata={"description": "0 = Monday … 4 = Friday"})
    opens = fields.Time(required=True)
    closes = fields.Time(required=True)
    slots_from = fields.Time(required=True)
    slots_until = fields.Time(required=True)


class HoursIn(_In):
    from_ = calendar_date(required=True, data_key="from")
    days = fields.List(fields.Nested(DayHours), required=True, validate=validate.Length(max=7), metadata={
        "description": "The weekdays open, each once; a weekday left out is closed from that date"})


class DayHoursOut(Schema):
    weekday = fields.Integer()
    opens = fields.Function(lambda row: _hhmm(row.opens), metadata={"type": "string"})
    closes = fields.Function(lambda row: _hhmm(row.closes), metadata={"type": "string"})
    slots_from = fields.Function(lambda row: _hhmm(row.slots_from), metadata={"type": "string"})
    slots_until = fields.Function(lambda row: _hhmm(row.slots_until), metadata={"type": "string"})


class PlanOut(Schema):
    from_ = fields.Date(data_key="from", allow_none=True, metadata={"description": "null: since always"})
    days = fields.List(fields.Nested(DayHoursOut))


class PlansOut(Schema):
    plans = fields.List(fields.Nested(PlanOut))


class CapacityIn(_In):
    service = fields.String(required=True, validate=_SLUG)
    from_ = calendar_date(required=True, data_key="from")
    seats = fields.Integer(required=True, strict=True, validate=validate.Range(0, calendar_rules.MAX_SEATS))


class CapacityOut(Schema):
    service = fields.String()
    from_ = fields.Date(data_key="from")
    seats = fields.Integer()


class CapacitiesOut(Schema):
    capacities = fields.List(fields.Nested(CapacityOut), metadata={"description": "Seats set from a date on"})
    counters = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "Per procedure, the seats without a setting: counters taking reservations"})


class CalendarWindowIn(_In):
    kind = fields.String(required=True, validate=validate.OneOf(calendar_rules.WINDOW_KINDS))
    date = calendar_date(load_default=None, allow_none=True, metadata={"description": "Once, on this day"})
    weekday = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 6),
                             metadata={"description": "Every week on this weekday (0 = Monday)"})
    weeks_of_month = fields.String(load_default="", validate=validate.Length(max=20),
                                   metadata={"description": "e.g. 2,4: only the 2nd and 4th"})
    start = fields.Time(required=True)
    end = fields.Time(required=True)
    reservation_only = fields.Boolean(load_default=False)
    services = fields.List(fields.String(validate=_SLUG), load_default=list,
                           validate=validate.Length(max=50),
                           metadata={"description": "Procedure slugs; empty: every procedure"})


class CalendarWindowOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    date = fields.String(allow_none=True)
    weekday = fields.Integer(allow_none=True)
    weeks_of_month = fields.String()
    start = fields.String()
    end = fields.String()
    reservation_only = fields.Boolean()
    services = fields.List(fields.String())


class CalendarWindowsOut(Schema):
    windows = fields.List(fields.Nested(CalendarWindowOut))


# ---------------------------------------------------------------- routes

def _place(slug: str):
    return places.get_location(db.session, slug)


def _month(raw: str | None) -> date:
    if raw is None:
        return calendar.today(clock.now()).replace(day=1)
    return date(int(raw[:4]), int(raw[5:7]), 1)


@blp.get("/admin/locations/<slug>/calendar")
@admin_required
@blp.arguments(MonthQuery(), location="query")
@blp.response(200, MonthOut)
def get_month(query, slug):
    """A month of the place's calendar, with how full each day is."""
    location = _place(slug)
    month = _month(query["month"])
    return {"location": location.slug, "month": month.strftime("%Y-%m"),
            "days": calendar_rules.get_month(db.session, location, month)}


def _plans(location) -> dict:
    return {"plans": [{"from_": since, "days": rows}
                      for since, rows in calendar_rules.get_weekly_plans(db.session, location)]}


@blp.get("/admin/locations/<slug>/hours")
@admin_required
@blp.response(200, PlansOut)
def get_hours(slug):
    """The weekly plans of the place, each in force from its date to the next's."""
    return _plans(_place(slug))


@blp.put("/admin/locations/<slug>/hours")
@admin_required
@blp.arguments(HoursIn())
@blp.response(200, PlansOut)
@blp.alt_response(409, response="CONFLICT", description="reservations_in_the_way, with their codes")
def set_hours(body, slug):
    """Set the ordinary hours from a date on (the weekdays left out are closed)."""
    actor = require_admin()
    location = _place(slug)
    days = [WeekdayHours(d["weekday"], d["opens"], d["closes"], d["slots_from"], d["slots_until"])
            for d in body["days"]]
    calendar_rules.set_weekly_hours(db.session, location, body["from_"], days, actor=actor.name,
                                    now=clock.now())
    return _plans(location)


def _capacities(location) -> dict:
    services = {s.id: s for s in office.get_services(db.session)}
    return {"capacities": [{"service": services[row.service_id].slug, "from_": row.valid_from,
                            "seats": row.seats} for row in calendar_rules.get_capacities(db.session, location)],
            "counters": {s.slug: calendar.reservation_capacity(db.session, location, s)
                         for s in services.values()}}


@blp.get("/admin/locations/<slug>/capacity")
@admin_required
@blp.response(200, CapacitiesOut)
def get_capacity(slug):
    """The seats per slot of each procedure."""
    return _capacities(_place(slug))


@blp.put("/admin/locations/<slug>/capacity")
@admin_required
@blp.arguments(CapacityIn())
@blp.response(200, CapacitiesOut)
@blp.alt_response(409, response="CONFLICT", description="reservations_in_the_way, with their codes")
def set_capacity(body, slug):
    """Set how many residents a slot takes for a procedure from a date on."""
    actor = require_admin()
    location = _place(slug)
    service = _service(body["service"], "service")
    calendar_rules.set_capacity(db.session, location, service, body["from_"], body["seats"],
                                actor=actor.name, now=clock.now())
    return _capacities(location)


def _service(slug: str, field: str):
    try:
        return office.get_service(db.session, slug)
    except NotFound:
        raise Invalid(f"Some fields are not valid: {field}",
                      errors={field: [calendar_rules.MESSAGES["procedures"]]}) from None


@blp.get("/admin/locations/<slug>/windows")
@admin_required
@blp.response(200, CalendarWindowsOut)
def get_windows(slug):
    """The place's holiday and extended-hours windows."""
    location = _place(slug)
    return {"windows": [calendar_rules.window_detail(w) for w in calendar_rules.get_windows(db.session, location)]}


@blp.post("/admin/locations/<slug>/windows")
@admin_required
@blp.arguments(CalendarWindowIn())
@blp.response(201, CalendarWindowOut)
def add_window(body, slug):
    """Add a holiday window or an extended-hours window, once or every week."""
    actor = require_admin()
    location = _place(slug)
    services = [_service(s, "services") for s in body["services"]]
    window = calendar_rules.add_window(
        db.session, location, kind=body["kind"], on_date=body["date"], weekday=body["weekday"],
        weeks_of_month=body["weeks_of_month"], starts=body["start"], ends=body["end"],
        reservation_only=body["reservation_only"], services=services, actor=actor.name, now=clock.now())
    return calendar_rules.window_detail(window)


@blp.delete("/admin/windows/<int:window_id>")
@admin_required
@blp.response(204)
@blp.alt_response(409, response="CONFLICT", description="reservations_in_the_way, with their codes")
def remove_window(window_id):
    """Remove a window; refused while reservations are booked in it."""
    actor = require_admin()
    calendar_rules.remove_window(db.session, window_id, actor=actor.name, now=clock.now())
    return None


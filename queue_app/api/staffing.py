"""A place's usual day: how many counters are staffed in each hour (the lunch rota), and
its reception cut-off (受付終了).
The forward estimate reads it (services/waits.py); staff read it, administrators set it."""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from ..extensions import db
from ..services import places, staffing
from ..services.errors import Invalid
from .auth import admin_required, staff_required
from .schemas_queue import UsualDayIn, UsualDayOut
from .. import clock

blp = Blueprint("staffing", __name__, url_prefix="/api/v1", description="How places are staffed")


def _answer(location, hours: dict[int, int]) -> dict:
    return {"location": location.slug, "cutoff_minutes": location.cutoff_minutes,
            "hours": [{"hour": hour, "counters": counters} for hour, counters in hours.items()]}


@blp.get("/locations/<slug>/usual-day")
@staff_required
@blp.response(200, UsualDayOut)
def get_usual_day(slug):
    """How many counters the place staffs in each hour of a usual day."""
    location = places.get_location(db.session, slug)
    return _answer(location, staffing.get_usual_day(db.session, location))


@blp.put("/locations/<slug>/usual-day")
@admin_required
@blp.arguments(UsualDayIn())
@blp.response(200, UsualDayOut)
def put_usual_day(body, slug):
    """Replace the usual day (an empty list removes it), and the reception cut-off."""
    location = places.get_location(db.session, slug)
    hours = {row["hour"]: row["counters"] for row in body["hours"]}
    if len(hours) != len(body["hours"]):
        raise Invalid("Each hour may be given once.", errors={"hours": ["Each hour may be given once."]})
    saved = staffing.set_usual_day(db.session, location, hours, clock.now(), g.actor.name,
                                   cutoff_minutes=body["cutoff_minutes"])
    return _answer(location, saved)

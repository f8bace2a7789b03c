"""``/status`` and ``/status/{location}``: the live 窓口混雑状況 residents look at before
they leave home, and the 混雑予想 of the coming weeks. Japanese with English under it,
large type, readable without JavaScript on an old phone (the page is whole as served);
the script then keeps it live from the place's ``/display`` events. Nothing personal:
counts, ticket numbers and levels only.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import Location
from ..services import calendar, congestion, forecast, places
from ..services.errors import UnknownPlace
from .. import clock

bp = Blueprint("status", __name__)

FORECAST_DAYS = 30



@bp.get("/status")
def all_places():
    """Every place's congestion now, one card each."""
    now = clock.now()
    rows = [(place, congestion.get_status(db.session, place, now))
            for place in db.session.scalars(select(Location).order_by(Location.id))]
    return render_template("status/index.html", rows=rows, now=now), 200, {"Cache-Control": "no-cache"}


@bp.get("/status/<location>")
def one_place(location: str):
    """One place: congestion now, live, and the forecast of the coming weeks."""
    try:
        place = places.get_location(db.session, location)
    except UnknownPlace:
        abort(404)  # a page: the HTML 404
    now = clock.now()
    status = congestion.get_status(db.session, place, now)
    days = forecast.get_forecast(db.session, place, calendar.today(now), FORECAST_DAYS, now)
    hours = sorted({h["start"].hour for day in days for h in day["hours"]})
    return render_template("status/place.html", place=place, status=status, days=days, hours=hours,
                           method=forecast.METHOD, now=now), 200, {"Cache-Control": "no-cache"}

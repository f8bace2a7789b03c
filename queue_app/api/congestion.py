"""Public congestion (窓口混雑状況) and forecast (混雑予想) of a place: counts, numbers
and levels only, nothing personal, cacheable for a few seconds."""
from __future__ import annotations

from flask_smorest import Blueprint

from ..extensions import db
from ..services import calendar, congestion, forecast, places
from .schemas_public import ForecastDayOut, ForecastQuery, StatusOut
from .. import clock

blp = Blueprint("congestion", __name__, url_prefix="/api/v1", description="Congestion and forecast")

# A crowd of phones refreshing the page costs one computation per place every few seconds.
STATUS_MAX_AGE = 5
FORECAST_MAX_AGE = 300


@blp.get("/locations/<slug>/status")
@blp.response(200, StatusOut)
def get_status(slug):
    """Open or not, reception, people waiting, about how long a walk-in waits now, and
    the numbers at the counters."""
    location = places.get_location(db.session, slug)
    status = congestion.get_status(db.session, location, clock.now())
    return status, 200, {"Cache-Control": f"public, max-age={STATUS_MAX_AGE}"}


@blp.get("/locations/<slug>/forecast")
@blp.arguments(ForecastQuery(), location="query")
@blp.response(200, ForecastDayOut(many=True))
def get_forecast(query, slug):
    """Quiet, normal or busy for each open hour of the coming days (default: 30 days
    from today)."""
    location = places.get_location(db.session, slug)
    now = clock.now()
    first = query["from_"] or calendar.today(now)
    days = forecast.get_forecast(db.session, location, first, query["days"], now)
    return days, 200, {"Cache-Control": f"public, max-age={FORECAST_MAX_AGE}"}

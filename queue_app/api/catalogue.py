"""Public reads: places, procedures and availability."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import select

from ..extensions import db
from ..models import Location, Service
from ..services import booking
from .schemas import AvailabilityOut, AvailabilityQuery, LocationOut, ServiceOut
from .. import clock

blp = Blueprint("catalogue", __name__, url_prefix="/api/v1", description="Places, procedures, availability")


@blp.get("/locations")
@blp.response(200, LocationOut(many=True))
def list_locations():
    """The places residents can visit."""
    return db.session.scalars(select(Location).order_by(Location.id)).all()


@blp.get("/services")
@blp.response(200, ServiceOut(many=True))
def list_services():
    """The procedures offered at the counters."""
    return db.session.scalars(select(Service).order_by(Service.position)).all()


@blp.get("/availability")
@blp.arguments(AvailabilityQuery(), location="query")
@blp.response(200, AvailabilityOut)
def get_availability(query):
    """A day's slots for a procedure at a place, with what remains of each."""
    location, service = booking.get_place_and_service(db.session, query["location"], query["service"])
    return booking.get_availability(
        db.session, location, service, query["date"], clock.now(),
        booking.BookingPolicy.from_config(current_app.config))

"""The booking's driver-level statements (services/sql.DriverStatement) store exactly
what Core stores, on SQLite and PostgreSQL, and fail the way Core fails."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import Location, Slot
from queue_app.services import booking
from queue_app.services.errors import SlotFull
from queue_app.services.sql import DriverStatement

START = datetime(2027, 1, 13, 10, 15, tzinfo=TOKYO)
_slots = Slot.__table__
INSERT_SLOT = DriverStatement(lambda insert_: insert_(_slots).returning(_slots.c.id))


def _places():
    return db.session.scalars(select(Location).order_by(Location.id)).all()[:2]


def test_a_row_written_by_the_driver_reads_back_as_one_written_by_core(make_app, backend):
    app = make_app(backend)
    with app.app_context():
        first, second = _places()
        connection = db.session.connection()
        values = {"starts_at": START + timedelta(microseconds=250), "capacity": 3, "booked": 1}
        connection.execute(insert(Slot).values(location_id=first.id, **values))
        INSERT_SLOT.execute(connection, {"location_id": second.id, **values})
        stored = connection.execute(text(
            "SELECT location_id, CAST(starts_at AS TEXT), capacity, booked FROM slots ORDER BY location_id")).all()
        assert [row[1:] for row in stored] == [stored[0][1:]] * 2  # the same text in the database
        loaded = db.session.scalars(select(Slot).order_by(Slot.location_id)).all()
        assert [slot.starts_at for slot in loaded] == [values["starts_at"]] * 2
        db.session.rollback()


def test_taking_a_seat_finds_the_slot_core_wrote(make_app, backend):
    """The seat upsert must meet the same (place, start) row, or a slot would count twice."""
    app = make_app(backend)
    with app.app_context():
        place, _ = _places()
        connection = db.session.connection()
        slot_id = connection.execute(insert(Slot).values(
            location_id=place.id, starts_at=START, capacity=2, booked=1).returning(Slot.id)).scalar()
        assert booking._take_seat(connection, place, START, 2) == slot_id
        with pytest.raises(SlotFull):
            booking._take_seat(connection, place, START, 2)
        assert db.session.scalar(select(Slot.booked).where(Slot.id == slot_id)) == 2
        db.session.rollback()


def test_a_driver_error_is_sqlalchemys_and_hides_the_values(make_app, backend):
    app = make_app(backend)
    with app.app_context():
        place, _ = _places()
        connection = db.session.connection()
        values = {"location_id": place.id, "starts_at": START, "capacity": 1, "booked": 1}
        INSERT_SLOT.execute(connection, values)
        with pytest.raises(IntegrityError) as error:
            INSERT_SLOT.execute(connection, dict(values, capacity=987654))
        assert error.value.orig is not None and "987654" not in str(error.value)
        db.session.rollback()


def test_a_missing_value_is_refused_before_anything_is_sent(make_app):
    app = make_app()
    with app.app_context():
        with pytest.raises(KeyError):
            booking._TAKE_SEAT.execute(db.session.connection(), {"location_id": 1, "capacity": 2})
        db.session.rollback()

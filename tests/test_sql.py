"""The booking's driver-level statements (services/sql.DriverStatement) store exactly
what Core stores, on SQLite and PostgreSQL, and fail the way Core fails."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import Location, OutboxMessage, Reservation, Slot
from queue_app.services import booking, outbox
from queue_app.services.errors import SlotFull
from queue_app.services.sql import DriverStatement, insert_ignore

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
        assert error.value.orig is not None
        assert "SQL parameters hidden" in str(error.value) and "987654" not in str(error.value)
        db.session.rollback()


def test_what_core_would_fill_in_is_refused_before_anything_is_sent(make_app):
    app = make_app()
    with app.app_context():
        connection = db.session.connection()
        with pytest.raises(ValueError, match="no value for starts_at"):
            booking._TAKE_SEAT.execute(connection, {"location_id": 1, "capacity": 2})
        # language, status and attempts have Python-side defaults: Core would fill them in.
        with pytest.raises(ValueError, match="language, status, attempts"):
            insert_ignore(connection, OutboxMessage, {
                "dedupe_key": "confirmation:1", "template": "confirmation", "reservation_id": 1,
                "recipient": "a@example.jp", "secret": None, "next_attempt_at": START, "created_at": START,
            }, ["dedupe_key"])
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        db.session.rollback()


def test_pending_changes_are_flushed_before_an_outbox_insert(app):
    """``insert_ignore`` given a session behaves as ``session.execute`` did: what the
    session holds unflushed is written first (the message's reservation, here)."""
    from conftest import book

    reservation_code = book(app.test_client()).get_json()["code"]
    with app.app_context():
        reservation = db.session.scalar(select(Reservation).where(Reservation.code == reservation_code))
        reservation.language = "en"  # pending, not flushed
        outbox.enqueue_reminder(db.session, reservation, START)
        language = db.session.connection().execute(text(  # a connection never flushes
            "SELECT language FROM reservations WHERE id = :id"), {"id": reservation.id}).scalar()
        assert language == "en"
        db.session.rollback()

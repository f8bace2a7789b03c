"""Capacity under real concurrent requests, on SQLite and on PostgreSQL.

The requests race from threads released together by a barrier, into a gunicorn with
four worker processes on one database (race_support.py), so what keeps a slot from
being overbooked is the database itself (the conditional upsert and the check
constraint; on SQLite also its file lock), never a lock of ours.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter as Tally
from datetime import datetime

from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import Counter, Location, Reservation, Service, Slot
from tests.concurrency.race_support import post, race, race_server

from queue_helpers import at, reserve

LAST_SEAT, EMPTY = at(10, 0, day=14), at(10, 15, day=14)  # a Thursday, two days ahead
PER_SLOT = 24  # residents racing for each slot


def _body(i: int, start: datetime, **extra) -> dict:
    return {"location": "honcho", "service": "card-pickup", "start": start.isoformat(),
            "name": f"住民 {i}", "email": f"resident{i}@example.jp", **extra}


def _three_seats(app) -> int:
    """Give honcho a third counter that takes reservations: card-pickup gets 3 seats a slot."""
    with app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        pickup = db.session.scalar(select(Service).where(Service.slug == "card-pickup"))
        db.session.add(Counter(location=place, name="予約窓口", position=10, is_open=True,
                               takes_reservations=True, services=[pickup]))
        db.session.commit()
        return 3


def test_a_rush_fills_each_slot_exactly_to_capacity(make_app, clock, tmp_path, backend):
    """24 residents race for the last seat of a 3-seat slot, and 24 for an empty one."""
    app = make_app(backend, RATELIMIT_ENABLED=False)
    capacity = _three_seats(app)
    for n in range(capacity - 1):
        reserve(app, LAST_SEAT, name=f"先約 {n}")
    bodies = [_body(i, (LAST_SEAT, EMPTY)[i % 2]) for i in range(PER_SLOT * 2)]
    with race_server(app, clock.now, tmp_path) as server:
        responses = race([post(f"{server.url}/api/v1/reservations", body) for body in bodies])
        assert len(server.pids()) >= 2, "the race ran in one process"
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    won = Tally(body["start"] for body, r in zip(bodies, responses) if r.status_code == 201)
    assert won == {LAST_SEAT.isoformat(): 1, EMPTY.isoformat(): capacity}, won
    assert {r.json()["code"] for r in responses if r.status_code != 201} == {"slot_full"}
    with app.app_context():
        slots = db.session.execute(select(Slot.id, Slot.booked, Slot.capacity)).all()
        assert sorted((booked, seats) for _, booked, seats in slots) == [(capacity, capacity)] * 2
        per_slot = dict(db.session.execute(select(Reservation.slot_id, func.count())
                                           .group_by(Reservation.slot_id)).all())
        assert per_slot == {slot_id: capacity for slot_id, _, _ in slots}


def test_one_contact_racing_for_many_slots_gets_one_reservation(make_app, clock, tmp_path, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    starts = [at(9 + i // 4, 15 * (i % 4), day=14) for i in range(30)]
    with race_server(app, clock.now, tmp_path) as server:
        responses = race([post(f"{server.url}/api/v1/reservations", _body(0, start)) for start in starts])
        assert len(server.pids()) >= 2, "the race ran in one process"
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    assert [r.status_code for r in responses].count(201) == 1
    assert {r.json()["code"] for r in responses if r.status_code != 201} == {"duplicate"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 1
        # Every seat taken by a losing request was given back with its rollback.
        assert sum(db.session.scalars(select(Slot.booked))) == 1


def test_a_booking_waits_for_another_process_writing_then_succeeds(make_app, clock, tmp_path):
    """SQLite: while another process holds the write lock (and writes), a booking waits
    for it (the busy timeout) and then books on what that process committed. This is
    what ``BEGIN IMMEDIATE`` buys: a deferred transaction would read first, and its
    write, which cannot wait for the lock from inside a read transaction, would be
    refused at once ("database is locked": 503)."""
    app = make_app("sqlite", RATELIMIT_ENABLED=False)
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with race_server(app, clock.now, tmp_path, workers=1) as server:
        holder = sqlite3.connect(database, isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE locations SET seq = seq + 1 WHERE slug = 'honcho'")
        answer: list = []
        booking = threading.Thread(target=lambda: answer.append(
            post(f"{server.url}/api/v1/reservations", _body(1, EMPTY))()))
        booking.start()
        time.sleep(0.6)
        assert not answer, "the booking did not wait for the other process's write lock"
        holder.execute("COMMIT")
        holder.close()
        booking.join(30)
    assert answer and answer[0].status_code == 201, answer and answer[0].text
    with app.app_context():
        assert db.session.scalar(select(Slot.booked)) == 1

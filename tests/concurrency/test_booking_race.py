"""Capacity under real concurrent requests, on SQLite and on PostgreSQL.

Requests go through a real threaded HTTP server; a barrier releases them together.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import Reservation, Slot

CLIENTS = 40


def _race(url: str, bodies: list[dict]) -> list[requests.Response]:
    barrier = threading.Barrier(len(bodies))

    def post(body):
        with requests.Session() as session:
            barrier.wait()
            return session.post(f"{url}/api/v1/reservations", json=body, timeout=60)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def _body(i: int, **extra) -> dict:
    return {"location": "awara", "service": "card-pickup", "start": "2027-01-14T10:00:00+09:00",
            "name": f"住民 {i}", "email": f"resident{i}@example.jp", **extra}


def test_forty_residents_race_for_a_one_place_slot(make_app, live_server, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    server = live_server(app)
    responses = _race(server.url, [_body(i) for i in range(CLIENTS)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert all(r.status_code < 500 for r in responses)
    assert {r.json()["code"] for r in responses if r.status_code != 201} == {"slot_full"}
    with app.app_context():
        assert db.session.scalar(select(Slot.booked)) == 1
        assert len(db.session.scalars(select(Reservation)).all()) == 1


def test_one_contact_racing_for_many_slots_gets_one_reservation(make_app, live_server, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    server = live_server(app)
    starts = [f"2027-01-14T{9 + i // 4:02d}:{15 * (i % 4):02d}:00+09:00" for i in range(30)]
    bodies = [_body(0, start=start, location="honcho") for start in starts]
    responses = _race(server.url, bodies)
    assert [r.status_code for r in responses].count(201) == 1
    assert all(r.status_code < 500 for r in responses)
    assert {r.json()["code"] for r in responses if r.status_code != 201} == {"duplicate"}
    with app.app_context():
        # Every seat taken by a losing request was given back with its rollback.
        assert sum(db.session.scalars(select(Slot.booked))) == 1

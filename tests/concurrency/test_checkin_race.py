"""Ten kiosks scanning one QR code at the same instant make one ticket; thirty
residents taking walk-in tickets at once get thirty different numbers. Real
concurrent requests through a threaded HTTP server, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import AuditEntry, Location, Reservation, Ticket, TicketNumberCounter

from queue_helpers import at, bearer, make_device, reserve

SCANS = 10
WALK_INS = 30


def _race(url: str, path: str, token: str, bodies: list[dict]) -> list[requests.Response]:
    barrier = threading.Barrier(len(bodies))

    def post(body):
        with requests.Session() as session:
            barrier.wait()
            return session.post(f"{url}{path}", json=body, headers=bearer(token), timeout=60)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_ten_scans_of_one_payload_make_one_ticket(make_app, live_server, clock, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    booked = reserve(app, at(10, 15))
    kiosks = [make_device(app)[1] for _ in range(2)]
    server = live_server(app)
    barrier = threading.Barrier(SCANS)

    def scan(i):
        with requests.Session() as session:
            barrier.wait()
            return session.post(f"{server.url}/api/v1/check-ins", json={"payload": booked["payload"]},
                                headers=bearer(kiosks[i % 2]), timeout=60)

    with ThreadPoolExecutor(SCANS) as pool:
        responses = list(pool.map(scan, range(SCANS)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (SCANS - 1) + [201], [r.text for r in responses]
    assert len({r.json()["ticket"]["id"] for r in responses}) == 1
    assert {r.json()["ticket"]["number"] for r in responses} == {"R-001"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
        # No number was burnt by a losing scan.
        assert db.session.scalar(select(TicketNumberCounter.last)) == 1
        assert db.session.get(Reservation, booked["id"]).status == "checked_in"
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "ticket.check_in")) == 1
        assert db.session.scalar(select(Location.seq).where(Location.slug == "honcho")) == 1


def test_simultaneous_walk_ins_get_distinct_numbers(make_app, live_server, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    _, kiosk = make_device(app)
    server = live_server(app)
    body = {"location": "honcho", "service": "reissue"}
    responses = _race(server.url, "/api/v1/tickets", kiosk, [body] * WALK_INS)
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"W-{i:03d}" for i in range(1, WALK_INS + 1)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == WALK_INS
        assert db.session.scalar(select(Location.seq).where(Location.slug == "honcho")) == WALK_INS

"""Ten kiosks scanning one QR code at the same instant make one ticket; thirty
residents taking walk-in tickets at once get thirty different numbers. Real
concurrent requests on SQLite and PostgreSQL, released together by a barrier into a
gunicorn with four worker processes (race_support.py): they meet in the database only.
"""
from __future__ import annotations

from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import AuditEntry, Location, Reservation, Ticket, TicketNumberCounter
from tests.concurrency.race_support import post, race, race_server

from queue_helpers import at, bearer, make_device, reserve

SCANS = 10
WALK_INS = 30


def test_ten_scans_of_one_payload_make_one_ticket(make_app, clock, tmp_path, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    booked = reserve(app, at(10, 15))
    kiosks = [make_device(app)[1] for _ in range(2)]
    with race_server(app, clock.now, tmp_path) as server:
        responses = race([post(f"{server.url}/api/v1/check-ins", {"payload": booked["payload"]},
                               bearer(kiosks[i % 2])) for i in range(SCANS)])
        assert len(server.pids()) >= 2, "the race ran in one process"
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


def test_simultaneous_walk_ins_get_distinct_numbers(make_app, clock, tmp_path, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    _, kiosk = make_device(app)
    body = {"location": "honcho", "service": "reissue"}
    with race_server(app, clock.now, tmp_path) as server:
        responses = race([post(f"{server.url}/api/v1/tickets", body, bearer(kiosk))
                          for _ in range(WALK_INS)])
        assert len(server.pids()) >= 2, "the race ran in one process"
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"W-{i:03d}" for i in range(1, WALK_INS + 1)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == WALK_INS
        assert db.session.scalar(select(Location.seq).where(Location.slug == "honcho")) == WALK_INS

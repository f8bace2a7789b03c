"""What a kiosk's walk-in and check-in cost the database: a fixed number of statements,
whatever the number of counters (a lazy load per counter once made a walk-in at a
place with 200 counters send 218), with the rules read from the rules cache; on
PostgreSQL at most five, the writes being one statement (services/issue.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import event, text

from queue_app.extensions import db
from queue_helpers import Desk, at, bearer, reserve

# docs/queue.md, "What a ticket costs". A walk-in: the kiosk's token 1, place +
# procedure 1, the day for the wait estimate 1 (services/waits.py ``_read_day``), the
# writes (PostgreSQL 1; SQLite 4: number, ticket, audit entry, event number), the
# waiting counts for the event 1. A check-in reads the reservation (its ticket only
# when it is no longer booked) instead of the place, and moves the reservation (one
# more write on SQLite).
WRITES = {"postgresql": 1, "sqlite": 4}
WALK_IN_STATEMENTS = {backend: 4 + writes for backend, writes in WRITES.items()}
CHECK_IN_STATEMENTS = {"postgresql": 5, "sqlite": 9}


@pytest.fixture
def desk(make_app, clock, backend):
    app = make_app(backend=backend)
    yield Desk(app, clock)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _statements(desk, path: str, body: dict) -> int:
    with desk.app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = desk.client.post(f"/api/v1{path}", json=body, headers=bearer(desk.kiosk))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 201, response.get_json()
    return len(seen)


def _add_counters(desk, how_many: int) -> None:
    with desk.app.app_context():
        location_id = db.session.execute(text("SELECT id FROM locations WHERE slug='honcho'")).scalar()
        service_ids = list(db.session.execute(text("SELECT id FROM services")).scalars())
        for i in range(how_many):
            counter_id = db.session.execute(text(
                "INSERT INTO counters (location_id, name, position, takes_reservations, is_open) "
                "VALUES (:l, :n, :p, true, true) RETURNING id"),
                {"l": location_id, "n": f"extra-{i}", "p": 100 + i}).scalar()
            for service_id in service_ids:
                db.session.execute(text("INSERT INTO counter_services (counter_id, service_id) "
                                        "VALUES (:c, :s)"), {"c": counter_id, "s": service_id})
        db.session.commit()


def test_a_walk_in_and_a_check_in_send_a_fixed_number_of_statements(desk, backend):
    desk.clock.now = at(9, 55)
    walk_in = {"location": "honcho", "service": "reissue"}
    desk.walk_in()  # the first request of a process fills the rules cache
    few = _statements(desk, "/tickets", walk_in)
    _add_counters(desk, 30)
    desk.walk_in()
    many = _statements(desk, "/tickets", walk_in)
    assert few == many == WALK_IN_STATEMENTS[backend]
    booked = reserve(desk.app, at(10))
    assert _statements(desk, "/check-ins", {"payload": booked["payload"]}) == CHECK_IN_STATEMENTS[backend]


def test_the_one_statement_writes_what_the_orm_wrote(desk, backend):
    """services/issue.py's writes, on either database: the number in sequence, the
    audit entry with its detail, the reservation checked in, one event number each."""
    from queue_app.models import AuditEntry, Location, Reservation, Ticket

    desk.clock.now = at(9, 55)
    first = desk.walk_in()
    second = desk.client.post("/api/v1/tickets", json={"location": "honcho", "service": "reissue"},
                              headers=bearer(desk.staff)).get_json()
    booked = reserve(desk.app, at(10))
    now = desk.clock.now
    checked_in = desk.client.post("/api/v1/check-ins", json={"payload": booked["payload"]},
                                  headers=bearer(desk.kiosk)).get_json()["ticket"]
    assert [first["number"], second["number"], checked_in["number"]] == ["W-001", "W-002", "R-001"]
    with desk.app.app_context():
        entries = {e.ticket_id: e for e in db.session.query(AuditEntry).filter(AuditEntry.ticket_id.isnot(None))}
        assert entries[first["id"]].action == "ticket.issue"
        assert entries[first["id"]].detail == {"number": "W-001", "service": "reissue"}
        assert entries[second["id"]].actor.startswith("user:")
        assert entries[checked_in["id"]].action == "ticket.check_in"
        assert entries[checked_in["id"]].reservation_code == db.session.get(Reservation, booked["id"]).code
        assert entries[checked_in["id"]].detail == {"number": "R-001", "service": "card-pickup"}
        reservation = db.session.get(Reservation, booked["id"])
        assert (reservation.status, reservation.checked_in_at) == ("checked_in", now)
        ticket = db.session.get(Ticket, checked_in["id"])
        assert (ticket.reservation_id, ticket.order_at, ticket.issued_at) == (booked["id"], at(10), now)
        assert db.session.query(Location.seq).filter(Location.slug == "honcho").scalar() == 3

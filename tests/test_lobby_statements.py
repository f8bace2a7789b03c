"""What a kiosk's walk-in and check-in cost the database: a fixed number of statements,
whatever the number of counters (a lazy load per counter once made a walk-in at a
place with 200 counters send 218), with the rules read from the rules cache."""
from __future__ import annotations

from sqlalchemy import event, text

from queue_app.extensions import db
from queue_helpers import at, bearer, desk, reserve  # noqa: F401

# docs/queue.md, "What a ticket costs": auth 1, place + procedure 1, number 1, ticket 1,
# audit 1, waiting counts 1, event number 1, wait estimate 3; a check-in reads the
# reservation and looks for its ticket instead of the place, and moves the reservation.
WALK_IN_STATEMENTS = 10
CHECK_IN_STATEMENTS = 12


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


def test_a_walk_in_and_a_check_in_send_a_fixed_number_of_statements(desk):
    desk.clock.now = at(9, 55)
    walk_in = {"location": "honcho", "service": "reissue"}
    desk.walk_in()  # the first request of a process fills the rules cache
    few = _statements(desk, "/tickets", walk_in)
    _add_counters(desk, 30)
    desk.walk_in()
    many = _statements(desk, "/tickets", walk_in)
    assert few == many == WALK_IN_STATEMENTS
    booked = reserve(desk.app, at(10))
    assert _statements(desk, "/check-ins", {"payload": booked["payload"]}) == CHECK_IN_STATEMENTS

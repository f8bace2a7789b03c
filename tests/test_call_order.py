"""The order of service (docs/queue.md): the priority band in the order prioritised,
then checked-in reservations by slot start and check-in time, then walk-ins by issue
time; counters call only what they serve; the queue lists the same order call-next
follows; and the queries use the call-order index."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from queue_app.extensions import db
from queue_app.models import Counter
from queue_app.services import queue as queue_service

from queue_helpers import at, audit_actions, desk, events, make_staff  # noqa: F401


def drain(desk, counter: int = 0) -> list[str]:
    numbers = []
    while (number := desk.called_number(counter)) is not None:
        numbers.append(number)
    return numbers


def test_reservations_before_walk_ins_whatever_the_arrival(desk):
    desk.clock.set(2027, 1, 12, 9, 50)
    desk.walk_in()                            # W-001, 09:51
    desk.check_in(at(10, 15))                 # R-001, 09:52
    desk.walk_in()                            # W-002
    desk.check_in(at(10, 0))                  # an earlier slot, checked in later
    assert drain(desk) == ["R-002", "R-001", "W-001", "W-002"]


def test_reservations_of_one_slot_go_by_check_in_time(desk):
    desk.clock.set(2027, 1, 12, 9, 50)
    desk.check_in(at(10, 15))   # R-001 at 09:51
    desk.check_in(at(10, 15))   # R-002 at 09:52
    desk.check_in(at(10, 0))    # earliest slot
    assert drain(desk) == ["R-003", "R-001", "R-002"]


def test_prioritised_tickets_come_first_in_the_order_prioritised(desk):
    desk.clock.set(2027, 1, 12, 9, 50)
    _w1, w2, w3 = desk.walk_in(), desk.walk_in(), desk.walk_in()
    desk.check_in(at(10, 0))
    desk.clock.advance(minutes=1)
    assert desk.act(w3["id"], "prioritise", {"reason": "ご高齢の方"}).status_code == 200
    desk.clock.advance(minutes=1)
    assert desk.act(w2["id"], "prioritise", {"reason": "急ぎの事情"}).status_code == 200
    assert drain(desk) == ["W-003", "W-002", "R-001", "W-001"]


def test_the_queue_lists_the_exact_order_call_next_follows(desk):
    rng = random.Random(20270112)
    desk.clock.set(2027, 1, 12, 9, 46)
    slots = [at(10, 15), at(10, 0), at(10, 15), at(10, 0)]  # two seats per slot
    tickets = []
    for _ in range(14):
        if slots and rng.random() < 0.4:
            tickets.append(desk.check_in(slots.pop(), advance=rng.randint(0, 2)))
        else:
            tickets.append(desk.walk_in(rng.choice(["reissue", "pin-reset", "info-change"]),
                                        advance=rng.randint(0, 2)))
    for ticket in rng.sample(tickets, 3):
        desk.clock.advance(seconds=rng.randint(1, 30))
        desk.act(ticket["id"], "prioritise", {"reason": "窓口判断"})
    queue = desk.get("/locations/honcho/queue").get_json()
    listed = [t["number"] for t in queue["waiting"]]
    assert [t["position"] for t in queue["waiting"]] == list(range(1, 15))
    called = []
    for i in range(len(listed)):
        called.append(desk.called_number(i % 3))  # three counters take turns
    assert called == listed
    serving = desk.get("/locations/honcho/queue").get_json()["serving"]
    # One resident at a counter at a time: the last three called are still there.
    assert sorted(t["number"] for t in serving) == sorted(listed[-3:])
    assert all(t["counter"] is not None and t["position"] == 0 for t in serving)
    assert desk.called_number() is None


def test_a_transferred_ticket_keeps_its_place_in_its_band(desk):
    desk.clock.set(2027, 1, 12, 9, 50)
    first = desk.walk_in("reissue")          # W-001
    desk.walk_in("pin-reset")                # W-002
    desk.walk_in("info-change")              # W-003
    assert desk.called_number(0) == "W-001"
    desk.clock.advance(minutes=5)
    moved = desk.act(first["id"], "transfer", {"service": "pin-reset"})
    assert moved.status_code == 200 and moved.get_json()["status"] == "waiting"
    # Issued first, it is still first among the walk-ins, ahead of W-002 and W-003.
    waiting = [t["number"] for t in desk.get("/locations/honcho/queue").get_json()["waiting"]]
    assert waiting == ["W-001", "W-002", "W-003"]
    assert drain(desk, 1) == ["W-001", "W-002", "W-003"]


def test_a_ticket_sent_to_a_counter_is_called_by_that_counter_only(desk):
    desk.clock.set(2027, 1, 12, 9, 50)
    first = desk.walk_in()            # W-001
    desk.walk_in()                    # W-002
    desk.called_number(0)             # W-001 at 窓口1
    desk.act(first["id"], "transfer", {"counter": desk.counters[2]})
    assert desk.called_number(1) == "W-002"      # 窓口2 skips it
    assert desk.called_number(1) is None
    response = desk.call(2)
    assert response.get_json()["ticket"]["number"] == "W-001"
    assert response.get_json()["ticket"]["counter"]["id"] == desk.counters[2]


def test_a_counter_calls_only_the_procedures_it_serves(desk):
    desk.set_counter_services(2, ["reissue"])
    desk.clock.set(2027, 1, 12, 9, 50)
    desk.check_in(at(10, 0))             # R-001 card-pickup
    desk.walk_in("pin-reset")            # W-001
    desk.walk_in("reissue")              # W-002
    assert desk.called_number(2) == "W-002"   # 窓口3 serves reissue only
    assert desk.called_number(2) is None
    assert drain(desk, 0) == ["R-001", "W-001"]


def test_a_closed_counter_cannot_call_until_opened(desk, events):
    desk.walk_in()
    closed = desk.post(f"/counters/{desk.counters[0]}/close")
    assert closed.status_code == 200 and closed.get_json()["open"] is False
    refused = desk.call(0)
    assert refused.status_code == 409 and refused.get_json()["code"] == "counter_closed"
    counters = desk.get("/locations/honcho/counters").get_json()
    assert [c["open"] for c in counters] == [False, True, True]
    assert desk.post(f"/counters/{desk.counters[0]}/open").get_json()["open"] is True
    assert desk.called_number(0) == "W-001"
    actions = [e.action for e in audit_actions(desk.app) if e.action.startswith("counter.")]
    assert actions == ["counter.close", "counter.open"]
    names = [name for _, name, _ in events]
    assert names == ["queue", "queue", "queue", "called"]


def test_the_counters_of_a_place(desk):
    counters = desk.get("/locations/honcho/counters").get_json()
    assert [c["name"] for c in counters] == ["窓口1", "窓口2", "窓口3"]
    assert set(counters[0]) >= {"id", "name", "services", "open"}
    assert "card-pickup" in counters[0]["services"] and counters[0]["open"] is True
    awara = desk.get("/locations/awara/counters").get_json()
    assert len(awara) == 1 and "card-application" not in awara[0]["services"]
    assert desk.get("/locations/atlantis/counters").status_code == 404


def test_only_todays_tickets_are_called(desk):
    desk.clock.set(2027, 1, 12, 16, 0)
    desk.walk_in()
    desk.clock.set(2027, 1, 13, 9, 0)
    desk.sign_in_again()
    assert desk.call(0).status_code == 204
    assert desk.get("/locations/honcho/queue").get_json()["waiting"] == []
    desk.walk_in()
    assert desk.called_number(0) == "W-001"
    assert desk.called_number(0) is None


def test_a_counter_calls_only_at_its_own_place(desk):
    desk.walk_in()
    awara_counter = desk.get("/locations/awara/counters").get_json()[0]["id"]
    assert desk.post(f"/counters/{awara_counter}/call-next").status_code == 204
    assert desk.called_number(0) == "W-001"


def test_call_next_with_nobody_waiting_is_204_with_no_body(desk):
    response = desk.call(0)
    assert response.status_code == 204 and response.data == b""


def test_call_next_at_an_unknown_counter_is_404(desk):
    response = desk.post("/counters/9999/call-next")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_a_call_is_announced_audited_and_answered(desk, events):
    ticket = desk.walk_in()
    response = desk.call(1)
    assert response.status_code == 200
    called = response.get_json()["ticket"]
    assert called["id"] == ticket["id"] and called["status"] == "called"
    assert called["counter"] == {"id": desk.counters[1], "name": "窓口2"}
    assert called["called_at"] == desk.clock.now.isoformat()
    room, name, data = events[-1]
    assert name == "called"
    assert {k: data[k] for k in ("number", "counter", "service", "recall")} == {
        "number": "W-001", "counter": "窓口2", "service": "reissue", "recall": False}
    assert data["seq"] == events[-2][2]["seq"] + 1
    [call] = [e for e in audit_actions(desk.app, ticket["id"]) if e.action == "ticket.call"]
    assert call.actor == f"user:{desk.staff_id}"
    assert call.detail["counter_id"] == desk.counters[1]


def _plan(session, counter, day) -> str:
    postgresql = session.get_bind().dialect.name == "postgresql"
    statement = queue_service.next_ticket_query(counter, day, postgresql)
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
    return "\n".join(str(row[-1]) for row in session.execute(text(prefix + sql)))


def test_call_next_reads_the_call_order_index(make_app, clock, backend):
    """The SELECT of call-next walks ix_tickets_call_order in order, never the table."""
    from queue_helpers import Desk

    desk = Desk(make_app(backend), clock)
    for _ in range(30):
        desk.walk_in(advance=0)
    with desk.app.app_context():
        if backend == "postgresql":
            db.session.execute(text("ANALYZE tickets"))
            db.session.execute(text("SET enable_seqscan = off"))  # tiny table: ask for the real plan
        plan = _plan(db.session, db.session.get(Counter, desk.counters[0]), clock.now.date())
        db.session.rollback()
    assert "ix_tickets_call_order" in plan, plan
    if backend == "sqlite":
        assert "SCAN tickets" not in plan and "FOR ORDER BY" not in plan.replace("RIGHT PART OF ORDER BY", "")
    else:
        assert "Seq Scan" not in plan


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_both_call(desk, role):
    _, token = make_staff(desk.app, role=role)
    desk.walk_in()
    assert desk.post(f"/counters/{desk.counters[0]}/call-next", token=token).status_code == 200

"""What staff do with a ticket: each allowed move, each refused one (409
invalid_transition), the reservation following its ticket, the audit log and the
realtime events."""
from __future__ import annotations

import json

import pytest

from queue_app.extensions import db
from queue_app.models import Ticket
from queue_helpers import at, audit_actions, desk, events, reservation_row, reserve, ticket_row  # noqa: F401

ACTIONS = ("recall", "start", "complete", "no-show", "cancel", "prioritise")


def body_for(action: str):
    return {"reason": "ご高齢の方"} if action == "prioritise" else None


def ticket_in(desk, state: str) -> dict:
    """A walk-in brought to ``state`` through the API."""
    ticket = desk.walk_in()
    if state == "waiting":
        return ticket
    assert desk.called_number() == ticket["number"]
    follow = {"called": [], "serving": ["start"], "done": ["start", "complete"],
              "no_show": ["no-show"], "cancelled": ["cancel"]}[state]
    for action in follow:
        assert desk.act(ticket["id"], action).status_code == 200
    return ticket


# Which moves each state allows (the rest answer 409 invalid_transition).
ALLOWED = {
    "waiting": {"cancel", "prioritise"},
    "called": {"recall", "start", "complete", "no-show", "cancel"},
    "serving": {"complete"},
    "done": set(),
    "no_show": set(),
    "cancelled": set(),
}
EXPECTED_STATUS = {"recall": "called", "start": "serving", "complete": "done",
                   "no-show": "no_show", "cancel": "cancelled", "prioritise": "waiting"}


@pytest.mark.parametrize("state", list(ALLOWED))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_move_from_every_state(desk, state, action):
    ticket = ticket_in(desk, state)
    response = desk.act(ticket["id"], action, body_for(action))
    if action in ALLOWED[state]:
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == EXPECTED_STATUS[action]
    else:
        assert response.status_code == 409, response.get_json()
        problem = response.get_json()
        assert problem["code"] == "invalid_transition"
        assert response.content_type == "application/problem+json"
        assert ticket_row(desk.app, ticket["id"]).status == state


@pytest.mark.parametrize("state", ["waiting", "called", "serving"])
def test_transfer_from_a_live_state_goes_back_to_waiting(desk, state):
    ticket = ticket_in(desk, state)
    response = desk.act(ticket["id"], "transfer", {"service": "pin-reset"})
    assert response.status_code == 200
    moved = response.get_json()
    assert moved["status"] == "waiting" and moved["service"] == "pin-reset"
    assert moved["counter"] is None and moved["called_at"] is None
    row = ticket_row(desk.app, ticket["id"])
    assert row.recall_count == 0 and row.started_at is None


@pytest.mark.parametrize("state", ["done", "no_show", "cancelled"])
def test_a_finished_ticket_cannot_be_transferred(desk, state):
    ticket = ticket_in(desk, state)
    response = desk.act(ticket["id"], "transfer", {"service": "pin-reset"})
    assert response.status_code == 409 and response.get_json()["code"] == "invalid_transition"


def test_three_recalls_suggest_a_no_show(desk, events):
    ticket = ticket_in(desk, "called")
    for count in (1, 2, 3):
        desk.clock.advance(minutes=1)
        response = desk.act(ticket["id"], "recall").get_json()
        assert response["recall_count"] == count
        assert response["suggest_no_show"] is (count >= 3)
        assert response["called_at"] == desk.clock.now.isoformat()
    recalls = [data for _, name, data in events if name == "called" and data["recall"]]
    assert len(recalls) == 3
    assert recalls[0]["counter"] == "窓口1" and recalls[0]["number"] == ticket["number"]
    public = desk.client.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert public["suggest_no_show"] is True and public["position"] == 0
    assert desk.act(ticket["id"], "no-show").get_json()["status"] == "no_show"


def test_completing_a_reservation_ticket_completes_the_reservation(desk):
    booked = reserve(desk.app, at(10, 15))
    ticket = desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk).get_json()["ticket"]
    desk.called_number()
    desk.act(ticket["id"], "start")
    desk.clock.advance(minutes=12)
    done = desk.act(ticket["id"], "complete").get_json()
    assert done["status"] == "done" and done["finished_at"] == desk.clock.now.isoformat()
    assert reservation_row(desk.app, booked["id"]).status == "done"


def test_a_no_show_ticket_makes_the_reservation_a_no_show(desk):
    booked = reserve(desk.app, at(10, 15))
    ticket = desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk).get_json()["ticket"]
    desk.called_number()
    assert desk.act(ticket["id"], "no-show").status_code == 200
    assert reservation_row(desk.app, booked["id"]).status == "no_show"


def test_cancelling_a_reservation_ticket_cancels_the_reservation(desk):
    booked = reserve(desk.app, at(10, 15))
    ticket = desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk).get_json()["ticket"]
    assert desk.act(ticket["id"], "cancel", {"reason": "お帰りになった"}).status_code == 200
    assert reservation_row(desk.app, booked["id"]).status == "cancelled"


def test_completing_straight_from_called_counts_service_from_the_call(desk):
    ticket = ticket_in(desk, "called")
    desk.clock.advance(minutes=7)
    done = desk.act(ticket["id"], "complete").get_json()
    row = ticket_row(desk.app, ticket["id"])
    assert done["status"] == "done" and row.started_at == row.called_at


def test_prioritise_moves_into_the_priority_band(desk):
    ticket = desk.walk_in()
    desk.clock.advance(minutes=2)
    response = desk.act(ticket["id"], "prioritise", {"reason": "車椅子をご利用の方"})
    moved = response.get_json()
    assert moved["priority"] == "high" and moved["band"] == "priority"
    assert moved["priority_reason"] == "車椅子をご利用の方"
    row = ticket_row(desk.app, ticket["id"])
    assert row.order_at == desk.clock.now and row.band == 0
    again = desk.act(ticket["id"], "prioritise", {"reason": "もう一度"})
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transition"
    # The reason is for staff eyes: the public view does not carry it.
    public = desk.client.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert "priority_reason" not in public and public["priority"] == "high"


@pytest.mark.parametrize("body", [None, {}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 201}])
def test_prioritise_needs_a_reason(desk, body):
    ticket = desk.walk_in()
    response = desk.act(ticket["id"], "prioritise", body)
    assert response.status_code == 422 and response.get_json()["code"] == "invalid"


@pytest.mark.parametrize("body, status, code", [
    ({}, 422, "invalid"),
    ({"service": "no-such-thing"}, 422, "invalid"),
    ({"counter": 9999}, 422, "invalid"),
    ({"counter": "one"}, 422, "invalid"),
    ({"service": "card-application", "counter": "AWARA"}, 422, "invalid"),
])
def test_bad_transfers(desk, body, status, code):
    ticket = desk.walk_in()
    if body.get("counter") == "AWARA":
        body = {**body, "counter": desk.get("/locations/awara/counters").get_json()[0]["id"]}
    response = desk.act(ticket["id"], "transfer", body)
    assert response.status_code == status and response.get_json()["code"] == code


def test_a_transfer_to_a_counter_that_does_not_serve_the_procedure(desk):
    desk.set_counter_services(2, ["reissue"])
    ticket = desk.walk_in("reissue")
    response = desk.act(ticket["id"], "transfer", {"service": "pin-reset", "counter": desk.counters[2]})
    assert response.status_code == 409 and response.get_json()["code"] == "service_not_offered"
    ok = desk.act(ticket["id"], "transfer", {"counter": desk.counters[2]}).get_json()
    assert ok["target_counter"] == {"id": desk.counters[2], "name": "窓口3"}


def test_a_transfer_to_a_procedure_the_place_does_not_offer(make_app, clock):
    from queue_helpers import Desk

    desk = Desk(make_app(), clock, location="awara")
    ticket = desk.walk_in("pin-reset")
    response = desk.act(ticket["id"], "transfer", {"service": "card-application"})
    assert response.status_code == 409 and response.get_json()["code"] == "service_not_offered"


def test_actions_on_an_unknown_ticket_are_404(desk):
    for action in ACTIONS + ("transfer",):
        body = {"service": "reissue"} if action == "transfer" else body_for(action)
        response = desk.act("no-such-ticket", action, body)
        assert response.status_code == 404, action


def test_staff_actions_need_staff(desk):
    ticket = desk.walk_in()
    for action in ACTIONS + ("transfer",):
        path = f"/api/v1/tickets/{ticket['id']}/{action}"
        assert desk.client.post(path, json={"reason": "x", "service": "reissue"}).status_code == 401
        assert desk.post(f"/tickets/{ticket['id']}/{action}", {"reason": "x"}, desk.kiosk).status_code == 403


def test_every_staff_action_is_audited_without_personal_data(desk):
    booked = reserve(desk.app, at(10, 15), name="伊藤 花子")
    ticket = desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk).get_json()["ticket"]
    other = desk.walk_in()
    desk.act(other["id"], "prioritise", {"reason": "伊藤様のご家族"})
    desk.called_number()                     # the prioritised walk-in
    desk.act(other["id"], "recall")
    desk.act(other["id"], "transfer", {"service": "pin-reset"})
    desk.act(other["id"], "cancel")
    desk.called_number()                     # the reservation
    desk.act(ticket["id"], "start")
    desk.act(ticket["id"], "complete")
    entries = audit_actions(desk.app)
    staff_entries = [e for e in entries if e.actor == f"user:{desk.staff_id}"]
    assert [(e.action, e.ticket_id) for e in staff_entries] == [
        ("ticket.prioritise", other["id"]), ("ticket.call", other["id"]),
        ("ticket.recall", other["id"]), ("ticket.transfer", other["id"]),
        ("ticket.cancel", other["id"]), ("ticket.call", ticket["id"]),
        ("ticket.start", ticket["id"]), ("ticket.complete", ticket["id"]),
    ]
    for entry in entries:
        text = json.dumps(entry.detail, ensure_ascii=False)
        assert "伊藤" not in text and "example.jp" not in text
        assert entry.location_id is not None and entry.at is not None


def test_every_queue_change_is_announced_without_names(desk, events):
    booked = reserve(desk.app, at(10, 15), name="渡辺 次郎")
    ticket = desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk).get_json()["ticket"]
    walk = desk.walk_in()
    desk.act(walk["id"], "prioritise", {"reason": "急ぎ"})
    desk.called_number(0)
    desk.act(walk["id"], "recall")
    desk.act(walk["id"], "transfer", {"counter": desk.counters[1]})
    desk.called_number(1)
    desk.act(walk["id"], "no-show")
    desk.called_number(0)
    desk.act(ticket["id"], "start")
    desk.act(ticket["id"], "complete")
    names = [name for _, name, _ in events]
    assert names == ["queue", "queue", "queue", "called", "called", "queue", "called", "queue",
                     "called", "queue", "queue"]
    seqs = [data["seq"] for _, _, data in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    calls = [data for _, name, data in events if name == "called"]
    assert [c["recall"] for c in calls] == [False, True, False, False]
    assert [c["counter"] for c in calls] == ["窓口1", "窓口1", "窓口2", "窓口1"]
    for _, name, data in events:
        assert "渡辺" not in json.dumps(data, ensure_ascii=False)
        if name == "queue":
            assert set(data["waiting"]) == {"priority", "reservation", "walk_in"}
    assert events[2][2]["waiting"] == {"priority": 1, "reservation": 1, "walk_in": 0}


# ---------------------------------------------------------------- one resident at a counter; undo

def test_call_next_refuses_a_counter_that_still_has_a_resident(desk):
    first, second = desk.walk_in(), desk.walk_in()
    assert desk.call().get_json()["ticket"]["id"] == first["id"]
    busy = desk.call()
    assert busy.status_code == 409
    assert busy.get_json()["code"] == "counter_busy" and busy.get_json()["number"] == first["number"]
    assert ticket_row(desk.app, second["id"]).status == "waiting"  # nobody else was called
    assert desk.act(first["id"], "start").status_code == 200
    assert desk.call().status_code == 409  # being served is still at the counter
    assert desk.act(first["id"], "complete").status_code == 200
    assert desk.call().get_json()["ticket"]["id"] == second["id"]
    # Another counter is not held up by this one.
    third = desk.walk_in()
    assert desk.call(1).get_json()["ticket"]["id"] == third["id"]


def test_a_no_show_can_be_undone_for_a_short_time(desk):
    desk.clock.now = at(9, 50)
    ticket = desk.check_in(at(10))
    desk.call()
    assert desk.act(ticket["id"], "no-show").status_code == 200
    desk.clock.advance(seconds=desk.app.config["UNDO_SECONDS"])
    undone = desk.act(ticket["id"], "undo")
    assert undone.status_code == 200, undone.get_json()
    row = ticket_row(desk.app, ticket["id"])
    assert row.status == "called" and row.finished_at is None and row.counter_id == desk.counters[0]
    with desk.app.app_context():
        reservation_id = db.session.get(Ticket, ticket["id"]).reservation_id
    assert reservation_row(desk.app, reservation_id).status == "checked_in"
    assert [e.action for e in audit_actions(desk.app, ticket["id"])][-2:] == ["ticket.no_show", "ticket.undo"]
    assert desk.call().get_json()["code"] == "counter_busy"  # the resident is back at the counter


def test_undo_after_the_time_is_refused(desk):
    ticket = desk.walk_in()
    desk.call()
    desk.act(ticket["id"], "complete")
    desk.clock.advance(seconds=desk.app.config["UNDO_SECONDS"] + 1)
    late = desk.act(ticket["id"], "undo")
    assert late.status_code == 409 and late.get_json()["code"] == "undo_expired"
    assert ticket_row(desk.app, ticket["id"]).status == "done"


def test_a_completion_undone_puts_the_resident_back_being_served(desk):
    ticket = desk.walk_in()
    desk.call()
    desk.act(ticket["id"], "start")
    desk.act(ticket["id"], "complete")
    assert desk.act(ticket["id"], "undo").status_code == 200
    assert ticket_row(desk.app, ticket["id"]).status == "serving"
    assert desk.act(ticket["id"], "complete").status_code == 200


def test_undo_is_refused_once_the_counter_has_called_someone_else(desk):
    first, second = desk.walk_in(), desk.walk_in()
    desk.call()
    desk.act(first["id"], "no-show")
    assert desk.call().get_json()["ticket"]["id"] == second["id"]
    refused = desk.act(first["id"], "undo")
    assert refused.status_code == 409 and refused.get_json()["code"] == "counter_busy"
    assert ticket_row(desk.app, first["id"]).status == "no_show"


def test_only_a_finished_ticket_can_be_undone(desk):
    ticket = desk.walk_in()
    refused = desk.act(ticket["id"], "undo")
    assert refused.status_code == 409 and refused.get_json()["code"] == "invalid_transition"


# ---------------------------------------------------------------- a counter closed until a time

def test_a_counter_closed_for_lunch_says_when_it_is_back(desk):
    desk.clock.now = at(11, 55)
    counter = desk.counters[0]
    closed = desk.post(f"/counters/{counter}/close", {"until": at(13, 0).isoformat()})
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["open"] is False
    assert closed.get_json()["until"] == "2027-01-12T13:00:00+09:00"
    listed = {c["id"]: c for c in desk.get("/locations/honcho/counters").get_json()}
    assert listed[counter]["until"] == "2027-01-12T13:00:00+09:00"
    assert [e.detail.get("until") for e in audit_actions(desk.app) if e.action == "counter.close"] == [
        "2027-01-12T13:00:00+09:00"]
    later = desk.post(f"/counters/{counter}/close", {"until": at(13, 30).isoformat()})
    assert later.get_json()["until"] == "2027-01-12T13:30:00+09:00"  # the clerk is later than said
    reopened = desk.post(f"/counters/{counter}/open")
    assert reopened.get_json()["open"] is True and reopened.get_json()["until"] is None
    plain = desk.post(f"/counters/{counter}/close")  # no body: closed, no time said
    assert plain.status_code == 200 and plain.get_json()["until"] is None


@pytest.mark.parametrize("until", ["2027-01-12T11:00:00+09:00", "2027-01-13T09:00:00+09:00"])
def test_back_at_must_be_later_today(desk, until):
    desk.clock.now = at(11, 55)
    refused = desk.post(f"/counters/{desk.counters[0]}/close", {"until": until})
    assert refused.status_code == 422 and "until" in refused.get_json()["errors"]
    assert desk.get("/locations/honcho/counters").get_json()[0]["open"] is True

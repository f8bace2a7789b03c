"""The states have one home (models/states.py) and one module performs every move
(services/transitions.py): the tables are the rules of docs/queue.md, the API obeys
them move by move, a reservation follows its ticket, and no other module spells a
status or sets one."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from queue_app.extensions import db
from queue_app.models import RESERVATION_MOVES, TICKET_MOVES, Reservation, Ticket, TicketStatus
from queue_app.services import booking, transitions

from queue_helpers import at, audit_actions, desk, reservation_row, reserve, ticket_row  # noqa: F401

W, C, S, D, N, X = ("waiting", "called", "serving", "done", "no_show", "cancelled")


def test_the_move_tables_are_the_rules_of_the_queue():
    expected = {
        "call": ({W}, C), "recall": ({C}, C), "start": ({C}, S), "complete": ({C, S}, D),
        "no_show": ({C}, N), "cancel": ({W, C}, X), "expire": ({W}, X),
        "transfer": ({W, C, S}, W), "prioritise": ({W}, W),
        "undo_complete": ({D}, S), "undo_no_show": ({N}, C),
    }
    assert {name: (set(move.sources), move.target) for name, move in TICKET_MOVES.items()} == expected
    assert {name: (set(move.sources), move.target) for name, move in RESERVATION_MOVES.items()} == {
        "check_in": ({"booked"}, "checked_in"), "cancel": ({"booked"}, "cancelled"),
        "no_show": ({"booked"}, "no_show"), "ticket_done": ({"checked_in"}, "done"),
        "ticket_no_show": ({"checked_in"}, "no_show"),
        "ticket_cancelled": ({"booked", "checked_in"}, "cancelled"),
        "ticket_reopened": ({"done", "no_show"}, "checked_in"),
    }


# The staff actions of the API and the move each one performs.
ACTIONS = {"recall": "recall", "start": "start", "complete": "complete", "no-show": "no_show",
           "cancel": "cancel", "prioritise": "prioritise"}
BODIES = {"cancel": {"reason": "left"}, "prioritise": {"reason": "高齢の方"}}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("status", [str(s) for s in TicketStatus])
def test_every_staff_action_is_allowed_from_exactly_the_states_of_its_move(desk, action, status):
    ticket = desk.walk_in()
    with desk.app.app_context():
        row = db.session.get(Ticket, ticket["id"])
        row.status = status
        row.counter_id = desk.counters[0] if status in (C, S) else None
        row.called_at = desk.clock() if status in (C, S) else None
        db.session.commit()
    response = desk.act(ticket["id"], action, BODIES.get(action))
    if status in TICKET_MOVES[ACTIONS[action]].sources:
        assert response.status_code == 200, response.get_json()
        assert ticket_row(desk.app, ticket["id"]).status == TICKET_MOVES[ACTIONS[action]].target
    else:
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["code"] == "invalid_transition"
        assert ticket_row(desk.app, ticket["id"]).status == status  # nothing moved
        assert [e.action for e in audit_actions(desk.app, ticket["id"])] == ["ticket.issue"]


@pytest.mark.parametrize("action, reservation_status", [
    ("complete", "done"), ("no-show", "no_show"), ("cancel", "cancelled")])
def test_a_checked_in_reservation_follows_its_ticket_to_the_end(desk, action, reservation_status):
    desk.clock.now = at(9, 50)
    ticket = desk.check_in(at(10))
    assert desk.call().status_code == 200
    assert desk.act(ticket["id"], action, BODIES.get(action)).status_code == 200
    with desk.app.app_context():
        reservation_id = db.session.get(Ticket, ticket["id"]).reservation_id
    assert reservation_row(desk.app, reservation_id).status == reservation_status


def test_a_residents_cancellation_is_a_move_with_its_audit_entry(desk):
    booked = reserve(desk.app, at(11))
    with desk.app.app_context():
        reservation = db.session.get(Reservation, booked["id"])
        booking.cancel_reservation(db.session, reservation, desk.clock())
        db.session.commit()
    entries = [e for e in audit_actions(desk.app) if e.reservation_code == booked["code"]]
    assert [e.action for e in entries] == ["reservation.cancel"]
    assert reservation_row(desk.app, booked["id"]).status == "cancelled"


def test_a_move_outside_the_table_raises_and_changes_nothing(desk):
    ticket = desk.walk_in()
    with desk.app.app_context():
        row = db.session.get(Ticket, ticket["id"])
        with pytest.raises(transitions.InvalidTransition):
            transitions.start(db.session, row, desk.clock(), actor="test")
        assert row.status == W and row.started_at is None


# A status written as a string literal outside the states' home: compared, assigned,
# filtered on, or given to an UPDATE.
_SPELLED = re.compile(
    r"""status\s*(==|!=|=|\.in_\(\(?)\s*["'](waiting|called|serving|done|no_show|cancelled|booked|checked_in)["']""")


def test_no_module_spells_a_status_outside_the_states_module():
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in sorted(list((root / "queue_app").rglob("*.py")) + list((root / "kiosk").rglob("*.py"))
                       + list((root / "display").rglob("*.py"))):
        if path.name == "states.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _SPELLED.search(line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []

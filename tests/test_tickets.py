"""Walk-in tickets, their numbers, the public view of a ticket, and what a kiosk may
offer right now."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from queue_app.extensions import db
from queue_app.models import Location, Ticket

from queue_helpers import at, audit_actions, desk, events, make_device, reserve  # noqa: F401

CONTRACT_KEYS = {"id", "number", "kind", "location", "service", "status", "priority", "counter",
                 "issued_at", "called_at", "position", "estimated_wait_minutes"}


def issue(desk, service="reissue", location="honcho", token=None):
    return desk.post("/tickets", {"location": location, "service": service}, token or desk.kiosk)


def test_a_walk_in_ticket_has_the_contract_shape(desk):
    response = issue(desk)
    assert response.status_code == 201
    ticket = response.get_json()
    assert CONTRACT_KEYS <= set(ticket)
    assert ticket["number"] == "W-001"
    assert ticket["kind"] == "walk_in" and ticket["status"] == "waiting"
    assert ticket["priority"] == "normal" and ticket["counter"] is None
    assert ticket["location"] == "honcho" and ticket["service"] == "reissue"
    assert ticket["issued_at"] == "2027-01-12T10:00:00+09:00" and ticket["called_at"] is None
    assert ticket["position"] == 1 and ticket["estimated_wait_minutes"] == 0
    assert len(ticket["id"]) >= 20  # random and unguessable (token_urlsafe(16))


def test_numbers_run_per_place_day_and_kind(desk):
    assert [issue(desk).get_json()["number"] for _ in range(3)] == ["W-001", "W-002", "W-003"]
    _, awara = make_device(desk.app, "awara")
    assert issue(desk, "pin-reset", "awara", awara).get_json()["number"] == "W-001"
    booked = reserve(desk.app, at(10, 15))
    checked = desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk)
    assert checked.get_json()["ticket"]["number"] == "R-001"
    assert issue(desk).get_json()["number"] == "W-004"
    desk.clock.set(2027, 1, 13, 9, 0)
    assert issue(desk).get_json()["number"] == "W-001"


def test_the_database_refuses_a_second_ticket_with_the_same_number(desk):
    first = issue(desk).get_json()
    with desk.app.app_context():
        row = db.session.get(Ticket, first["id"])
        db.session.add(Ticket(id="duplicate-number-1", location_id=row.location_id,
                              service_id=row.service_id, business_date=row.business_date,
                              number=row.number, kind="walk_in", status="waiting", priority="normal",
                              band=row.band, order_at=row.order_at, issued_at=row.issued_at,
                              recall_count=0))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_staff_may_issue_for_any_place_a_kiosk_only_for_its_own(desk):
    assert issue(desk, "pin-reset", "awara", desk.staff).status_code == 201
    refused = issue(desk, "pin-reset", "awara", desk.kiosk)
    assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
    _, display = make_device(desk.app, "honcho", kind="display")
    assert issue(desk, token=display).status_code == 403
    assert desk.client.post("/api/v1/tickets", json={"location": "honcho", "service": "reissue"}).status_code == 401


def test_a_walk_in_is_audited_and_announced(desk, events):
    ticket = issue(desk).get_json()
    [entry] = audit_actions(desk.app, ticket["id"])
    assert entry.action == "ticket.issue" and entry.actor == f"device:{desk.kiosk_id}"
    [(room, name, data)] = events
    assert (room, name) == ("location:honcho", "queue")
    assert data["waiting"] == {"priority": 0, "reservation": 0, "walk_in": 1}
    with desk.app.app_context():
        assert db.session.scalar(select(Location.seq).where(Location.slug == "honcho")) == data["seq"]
    issue(desk)
    assert events[1][2]["seq"] == data["seq"] + 1


@pytest.mark.parametrize("moment", [
    (2027, 1, 12, 8, 29),   # before opening
    (2027, 1, 12, 17, 15),  # at closing
    (2027, 1, 16, 10, 0),   # a Saturday
    (2027, 1, 11, 10, 0),   # 成人の日, a national holiday
    (2027, 1, 17, 10, 0),   # the 3rd Sunday: no holiday window
    (2027, 1, 2, 10, 0),    # the New Year closure
])
def test_no_walk_ins_outside_opening_hours(desk, moment):
    desk.clock.set(*moment)
    response = issue(desk)
    assert response.status_code == 409
    assert response.get_json()["code"] == "closed"


@pytest.mark.parametrize("moment", [(2027, 1, 10, 10, 0), (2027, 1, 24, 8, 0), (2027, 1, 24, 11, 59)])
def test_the_holiday_window_is_reservation_only(desk, moment):
    desk.clock.set(*moment)  # the 2nd and 4th Sundays at honcho
    response = issue(desk, "card-application")
    assert response.status_code == 409
    assert response.get_json()["code"] == "reservation_only"


def test_the_extended_window_takes_walk_ins_for_applications_only(desk):
    desk.clock.set(2027, 1, 14, 18, 0)  # a Thursday evening
    assert issue(desk, "card-application").status_code == 201
    refused = issue(desk, "reissue")
    assert refused.status_code == 409 and refused.get_json()["code"] == "closed"


def test_a_procedure_the_place_does_not_offer(desk):
    _, awara = make_device(desk.app, "awara")
    response = issue(desk, "card-application", "awara", awara)
    assert response.status_code == 409
    assert response.get_json()["code"] == "service_not_offered"


@pytest.mark.parametrize("body, field", [
    ({"location": "honcho"}, "service"),
    ({"service": "reissue"}, "location"),
    ({"location": "honcho", "service": "no-such-thing"}, "service"),
    ({"location": "atlantis", "service": "reissue"}, "location"),
    ({"location": 3, "service": "reissue"}, "location"),
])
def test_bad_walk_in_requests_are_422(desk, body, field):
    response = desk.post("/tickets", body, desk.staff)
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "invalid" and field in problem.get("errors", {})


def test_a_my_number_in_a_walk_in_body_is_refused(desk):
    response = desk.post("/tickets", {"location": "honcho", "service": "reissue",
                                      "note": "1234 5678 9012"}, desk.kiosk)
    assert response.status_code == 422 and response.get_json()["code"] == "my_number_rejected"


def test_the_public_view_of_a_ticket_holds_nothing_personal(desk):
    booked = reserve(desk.app, at(10, 15), name="高橋 三郎")
    ticket = desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk).get_json()["ticket"]
    response = desk.client.get(f"/api/v1/tickets/{ticket['id']}")  # no credentials
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert CONTRACT_KEYS <= set(body)
    text = json.dumps(body, ensure_ascii=False)
    assert "高橋" not in text and booked["code"] not in text and "example.jp" not in text
    assert "reservation" not in body and "priority_reason" not in body


def test_an_unknown_ticket_is_404(desk):
    for ticket_id in ("nope", "x" * 40, "a" * 22):
        response = desk.client.get(f"/api/v1/tickets/{ticket_id}")
        assert response.status_code == 404
        assert response.get_json()["code"] == "not_found"


def test_the_kiosk_learns_which_walk_ins_are_offered_now(desk):
    offer = desk.get("/locations/honcho/walk-in-services", desk.kiosk).get_json()
    assert offer["open"] is True and offer["reason"] is None
    assert len(offer["services"]) == 8
    assert offer["window"]["kind"] == "regular"
    assert offer["window"]["ends"] == "2027-01-12T17:15:00+09:00"
    assert {"slug", "name", "walk_in"} <= set(offer["services"][0])

    desk.clock.set(2027, 1, 14, 18, 0)
    evening = desk.get("/locations/honcho/walk-in-services", desk.kiosk).get_json()
    assert [s["slug"] for s in evening["services"]] == ["card-application"]

    desk.clock.set(2027, 1, 10, 10, 0)
    sunday = desk.get("/locations/honcho/walk-in-services", desk.kiosk).get_json()
    assert sunday["services"] == [] and sunday["reason"] == "reservation_only"
    assert sunday["reservation_only"] is True

    desk.clock.set(2027, 1, 12, 20, 0)
    night = desk.get("/locations/honcho/walk-in-services", desk.kiosk).get_json()
    assert night["services"] == [] and night["reason"] == "closed" and night["open"] is False


def test_only_the_places_kiosk_or_staff_read_the_walk_in_offer(desk):
    _, awara = make_device(desk.app, "awara")
    assert desk.get("/locations/honcho/walk-in-services", awara).status_code == 403
    awara_offer = desk.get("/locations/awara/walk-in-services", awara).get_json()
    assert "card-application" not in [s["slug"] for s in awara_offer["services"]]
    assert desk.get("/locations/honcho/walk-in-services", desk.staff).status_code == 200
    assert desk.client.get("/api/v1/locations/honcho/walk-in-services").status_code == 401
    assert desk.get("/locations/atlantis/walk-in-services").status_code == 404


def test_the_openapi_document_describes_the_counter_side(desk):
    document = desk.client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert set(document["components"]["securitySchemes"]) >= {"bearerAuth", "consoleSession"}
    assert {"bearerAuth": []} in paths["/api/v1/counters/{counter_id}/call-next"]["post"]["security"]
    assert "security" not in paths["/api/v1/tickets/{ticket_id}"]["get"]
    for path in ("/api/v1/check-ins", "/api/v1/tickets", "/api/v1/tickets/{ticket_id}",
                 "/api/v1/counters/{counter_id}/call-next", "/api/v1/locations/{slug}/queue",
                 "/api/v1/tickets/{ticket_id}/transfer", "/api/v1/auth/token"):
        assert path in paths, path

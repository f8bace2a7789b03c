"""Check-in at the kiosk: the signed payload, the window, the idempotent re-scan, and
every refusal of the contract."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import BAND_RESERVATION, Reservation, Ticket
from queue_app.services.credentials import sign_check_in

from queue_helpers import (at, audit_actions, bearer, desk, events, make_device,  # noqa: F401
                           make_staff, reservation_row, reserve, ticket_row)


def scan(desk, payload, token=None):
    return desk.post("/check-ins", {"payload": payload}, token or desk.kiosk)


def test_check_in_makes_a_reservation_ticket_and_a_rescan_answers_the_same(desk):
    booked = reserve(desk.app, at(10, 15))
    desk.clock.set(2027, 1, 12, 10, 2)
    first = scan(desk, booked["payload"])
    assert first.status_code == 201
    ticket = first.get_json()["ticket"]
    assert ticket["number"] == "R-001"
    assert ticket["kind"] == "reservation" and ticket["status"] == "waiting"
    assert ticket["service"] == "card-pickup" and ticket["location"] == "honcho"
    assert ticket["issued_at"] == "2027-01-12T10:02:00+09:00"
    assert ticket["position"] == 1 and ticket["estimated_wait_minutes"] == 0

    desk.clock.advance(minutes=3)
    again = scan(desk, booked["payload"])
    assert again.status_code == 200
    assert again.get_json()["ticket"]["id"] == ticket["id"]
    assert again.get_json()["ticket"]["issued_at"] == "2027-01-12T10:02:00+09:00"

    row = ticket_row(desk.app, ticket["id"])
    assert row.band == BAND_RESERVATION
    assert row.order_at == at(10, 15)  # the slot start orders reservations
    assert row.issued_at == at(10, 2)  # the check-in time breaks ties
    assert row.reservation_id == booked["id"]
    reservation = reservation_row(desk.app, booked["id"])
    assert reservation.status == "checked_in"
    assert reservation.checked_in_at == at(10, 2)
    with desk.app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Ticket)) == 1


def test_check_in_is_audited_without_personal_data_and_announced(desk, events):
    booked = reserve(desk.app, at(10, 15), name="佐藤 一郎")
    response = scan(desk, booked["payload"])
    ticket_id = response.get_json()["ticket"]["id"]
    [entry] = audit_actions(desk.app, ticket_id)
    assert entry.action == "ticket.check_in"
    assert entry.actor == f"device:{desk.kiosk_id}"
    assert entry.reservation_code == booked["code"]
    assert "佐藤" not in json.dumps(entry.detail, ensure_ascii=False)
    [(room, name, data)] = events
    assert (room, name) == ("location:honcho", "queue")
    assert data["waiting"] == {"priority": 0, "reservation": 1, "walk_in": 0}
    assert "佐藤" not in json.dumps(data, ensure_ascii=False)
    # A re-scan changes nothing: no second event, no second audit entry.
    scan(desk, booked["payload"])
    assert len(events) == 1 and len(audit_actions(desk.app, ticket_id)) == 1


@pytest.mark.parametrize("payload", [
    "not a payload",
    "K7QM-A4TX.forged-signature",
    "",
])
def test_forged_or_garbage_payloads_are_unknown(desk, payload):
    response = scan(desk, payload)
    if payload == "":
        assert response.status_code == 422 and response.get_json()["code"] == "invalid"
    else:
        assert response.status_code == 404
        assert response.get_json()["code"] == "unknown"
        assert response.content_type == "application/problem+json"


def test_an_altered_payload_is_unknown(desk):
    booked = reserve(desk.app, at(10, 15))
    code, signature = booked["payload"].split(".", 1)
    other = "ACDE-FGHJ" if code != "ACDE-FGHJ" else "KMNP-QRTW"
    assert scan(desk, f"{other}.{signature}").get_json()["code"] == "unknown"


def test_a_genuine_signature_of_a_code_we_do_not_have_is_unknown(desk):
    payload = sign_check_in("ACDE-FGHJ", desk.app.config["SECRET_KEY"])
    response = scan(desk, payload)
    assert response.status_code == 404 and response.get_json()["code"] == "unknown"


def test_a_payload_signed_with_another_key_is_unknown(desk):
    booked = reserve(desk.app, at(10, 15))
    payload = sign_check_in(booked["code"], "another city's key")
    assert scan(desk, payload).get_json()["code"] == "unknown"


def test_a_kiosk_of_another_place_answers_wrong_location(desk):
    booked = reserve(desk.app, at(10, 15))
    _, awara_kiosk = make_device(desk.app, "awara")
    response = scan(desk, booked["payload"], awara_kiosk)
    assert response.status_code == 409
    assert response.get_json()["code"] == "wrong_location"
    assert reservation_row(desk.app, booked["id"]).status == "booked"


def test_a_reservation_of_another_day_answers_wrong_day(desk):
    booked = reserve(desk.app, at(10, 15, day=13))
    response = scan(desk, booked["payload"])
    assert response.status_code == 409 and response.get_json()["code"] == "wrong_day"
    yesterday = reserve(desk.app, at(10, 15, day=8))  # Friday the 8th
    assert scan(desk, yesterday["payload"]).get_json()["code"] == "wrong_day"


@pytest.mark.parametrize("now, expected", [
    ((9, 44, 59), "too_early"),
    ((9, 45, 0), 201),          # exactly 30 minutes before 10:15
    ((10, 30, 0), 201),         # exactly 15 minutes after 10:15
    ((10, 30, 1), "too_late"),
])
def test_the_check_in_window_edges(desk, now, expected):
    booked = reserve(desk.app, at(10, 15))
    desk.clock.set(2027, 1, 12, *now)
    response = scan(desk, booked["payload"])
    if expected == 201:
        assert response.status_code == 201
    else:
        assert response.status_code == 409
        assert response.get_json()["code"] == expected
        assert reservation_row(desk.app, booked["id"]).status == "booked"


def test_the_window_follows_the_configuration(make_app, clock):
    from queue_helpers import Desk

    desk = Desk(make_app(CHECKIN_EARLY_MINUTES=10, CHECKIN_LATE_MINUTES=5), clock)
    booked = reserve(desk.app, at(10, 15))
    clock.set(2027, 1, 12, 10, 4)
    assert scan(desk, booked["payload"]).get_json()["code"] == "too_early"
    clock.set(2027, 1, 12, 10, 21)
    assert scan(desk, booked["payload"]).get_json()["code"] == "too_late"
    clock.set(2027, 1, 12, 10, 20)
    assert scan(desk, booked["payload"]).status_code == 201


def test_a_cancelled_reservation_answers_cancelled(desk):
    booked = reserve(desk.app, at(10, 15))
    with desk.app.app_context():
        db.session.get(Reservation, booked["id"]).status = "cancelled"
        db.session.commit()
    response = scan(desk, booked["payload"])
    assert response.status_code == 409 and response.get_json()["code"] == "cancelled"


def test_a_reservation_already_marked_no_show_is_too_late(desk):
    booked = reserve(desk.app, at(10, 15))
    with desk.app.app_context():
        db.session.get(Reservation, booked["id"]).status = "no_show"
        db.session.commit()
    assert scan(desk, booked["payload"]).get_json()["code"] == "too_late"


def test_only_a_kiosk_may_check_in_with_the_qr_and_staff_only_by_code(desk):
    booked = reserve(desk.app, at(10, 15))
    _, display = make_device(desk.app, "honcho", kind="display")
    by_staff = scan(desk, booked["payload"], desk.staff)  # a clerk gives the code (test_caller_booking)
    assert by_staff.status_code == 422 and "code" in by_staff.get_json()["errors"]
    assert scan(desk, booked["payload"], display).status_code == 403
    assert desk.client.post("/api/v1/check-ins", json={"payload": booked["payload"]}).status_code == 401
    bad = desk.client.post("/api/v1/check-ins", json={"payload": booked["payload"]},
                           headers=bearer("not-a-token"))
    assert bad.status_code == 401 and bad.get_json()["code"] == "unauthorized"
    assert reservation_row(desk.app, booked["id"]).status == "booked"


def test_a_revoked_kiosk_cannot_check_in(desk):
    from queue_app.models import Device

    booked = reserve(desk.app, at(10, 15))
    with desk.app.app_context():
        db.session.get(Device, desk.kiosk_id).revoked = True
        db.session.commit()
    assert scan(desk, booked["payload"]).status_code == 401


def test_check_ins_number_per_place_and_day(desk):
    first = reserve(desk.app, at(10, 15))
    second = reserve(desk.app, at(10, 30))
    desk.clock.set(2027, 1, 12, 10, 1)
    assert scan(desk, first["payload"]).get_json()["ticket"]["number"] == "R-001"
    assert scan(desk, second["payload"]).get_json()["ticket"]["number"] == "R-002"
    tomorrow = reserve(desk.app, at(10, 15, day=13))
    desk.clock.set(2027, 1, 13, 10, 0)
    assert scan(desk, tomorrow["payload"]).get_json()["ticket"]["number"] == "R-001"


def test_a_rescan_after_the_ticket_was_served_answers_that_ticket(desk):
    booked = reserve(desk.app, at(10, 15))
    ticket = scan(desk, booked["payload"]).get_json()["ticket"]
    desk.call()
    desk.act(ticket["id"], "complete")
    desk.clock.set(2027, 1, 12, 11, 0)  # well past the window: still the same check-in
    again = scan(desk, booked["payload"])
    assert again.status_code == 200
    assert again.get_json()["ticket"]["id"] == ticket["id"]
    assert again.get_json()["ticket"]["status"] == "done"
    assert again.get_json()["ticket"]["position"] is None


def test_the_payload_reaches_check_in_unscreened(desk):
    """A payload is a signature, not a resident's words: it is never refused as a My Number."""
    response = scan(desk, "123456789012")
    assert response.get_json()["code"] == "unknown"


def test_staff_see_the_days_reservations_with_their_check_in(desk):
    first = reserve(desk.app, at(10, 15), name="佐藤 一郎")
    reserve(desk.app, at(11, 0), name="鈴木 花子")
    reserve(desk.app, at(10, 0, day=13))
    desk.clock.set(2027, 1, 12, 10, 5)
    ticket = scan(desk, first["payload"]).get_json()["ticket"]
    rows = desk.get("/locations/honcho/reservations").get_json()
    assert [r["name"] for r in rows] == ["佐藤 一郎", "鈴木 花子"]
    assert rows[0]["checked_in"] is True and rows[0]["status"] == "checked_in"
    assert rows[0]["ticket"] == {"id": ticket["id"], "number": "R-001", "status": "waiting"}
    assert rows[1]["checked_in"] is False and rows[1]["ticket"] is None
    other_day = desk.get("/locations/honcho/reservations?date=2027-01-13").get_json()
    assert len(other_day) == 1
    assert desk.get("/locations/honcho/reservations", desk.kiosk).status_code == 403
    assert desk.client.get("/api/v1/locations/honcho/reservations").status_code == 401
    assert desk.get("/locations/nowhere/reservations").status_code == 404
    assert desk.get("/locations/honcho/reservations?date=yesterday").status_code == 422


def test_an_admin_reads_the_reservations_too(desk):
    _, admin = make_staff(desk.app, role="admin")
    assert desk.get("/locations/honcho/reservations", admin).status_code == 200

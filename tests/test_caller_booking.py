"""Booking for a caller (窓口・電話予約): a clerk books for a resident on the phone or at
the counter under the same rules, finds the reservation by code, phone or name, and
checks them in from the console when they have no QR code."""
from __future__ import annotations

from queue_helpers import at, audit_actions, desk  # noqa: F401

SLOT = "2027-01-12T10:30:00+09:00"


def _book(desk, token=None, **overrides):
    body = {"location": "honcho", "service": "card-pickup", "start": SLOT, "name": "佐藤 一郎",
            "phone": "090-1234-5678", "channel": "phone", **overrides}
    return desk.post("/reservations", body, token)


def test_a_clerk_books_for_a_caller_with_a_phone_number_alone(desk):
    response = _book(desk)
    assert response.status_code == 201, response.get_json()
    booked = response.get_json()
    assert booked["phone"] == "09012345678" and booked["email"] is None and booked["status"] == "booked"
    [entry] = [e for e in audit_actions(desk.app) if e.action == "reservation.book"]
    assert entry.actor == f"user:{desk.staff_id}" and entry.detail == {"code": booked["code"], "channel": "phone"}


def test_the_same_rules_hold_for_a_clerk(desk):
    assert _book(desk).status_code == 201
    again = _book(desk, start="2027-01-12T11:00:00+09:00")  # the same contact and procedure
    assert again.status_code == 409 and again.get_json()["code"] == "duplicate"
    my_number = _book(desk, name="１２３４ ５６７８ ９０１２", phone="080-1111-2222")
    assert my_number.status_code == 422 and my_number.get_json()["code"] == "my_number_rejected"
    for phone in ("080-2222-3333", "080-4444-5555"):  # two counters take reservations: two seats
        assert _book(desk, phone=phone, start="2027-01-12T14:00:00+09:00").status_code == 201
    full = _book(desk, phone="080-6666-7777", start="2027-01-12T14:00:00+09:00")
    assert full.status_code == 409 and full.get_json()["code"] == "slot_full"


def test_only_staff_say_a_channel_and_staff_are_not_rate_limited(desk):
    anonymous = desk.client.post("/api/v1/reservations", json={
        "location": "honcho", "service": "card-pickup", "start": SLOT, "name": "佐藤 一郎",
        "phone": "090-1234-5678", "channel": "phone"})
    assert anonymous.status_code == 403
    desk.app.config["BOOKING_RATE_LIMIT"] = "2 per hour"
    for i in range(4):  # a busy morning on the phone
        response = _book(desk, phone=f"080-1000-{i:04d}", start=f"2027-01-12T{13 + i // 2}:{30 * (i % 2):02d}:00+09:00")
        assert response.status_code == 201, response.get_json()


def test_a_resident_without_the_qr_is_found_and_checked_in_by_the_clerk(desk):
    booked = _book(desk, name="山本 花子", phone="090-8765-4321").get_json()
    _book(desk, name="山田 太郎", phone="080-1111-0000", start="2027-01-12T11:00:00+09:00")
    for query in (booked["code"], booked["code"].lower(), "4321", "山本", "090-8765-4321"):
        rows = desk.get(f"/locations/honcho/reservations?q={query}").get_json()
        assert [r["code"] for r in rows] == [booked["code"]], query
    assert desk.get("/locations/honcho/reservations?q=山").get_json().__len__() == 2
    assert desk.get("/locations/honcho/reservations?q=%25").get_json() == []  # no wildcard

    desk.clock.now = at(10, 15)
    response = desk.post("/check-ins", {"code": booked["code"]})
    assert response.status_code == 201, response.get_json()
    ticket = response.get_json()["ticket"]
    assert ticket["kind"] == "reservation" and ticket["reservation"]["code"] == booked["code"]
    assert desk.post("/check-ins", {"code": booked["code"]}).status_code == 200  # the same ticket
    [entry] = [e for e in audit_actions(desk.app) if e.action == "ticket.check_in"]
    assert entry.actor == f"user:{desk.staff_id}"


def test_a_check_in_by_code_keeps_the_kiosks_rules(desk):
    booked = _book(desk).get_json()
    desk.clock.now = at(9, 0)  # more than 30 minutes early
    early = desk.post("/check-ins", {"code": booked["code"]})
    assert early.status_code == 409 and early.get_json()["code"] == "too_early"
    unknown = desk.post("/check-ins", {"code": "NOSUCHCODE"})
    assert unknown.status_code in (404, 409, 422) and unknown.get_json()["code"] == "unknown"
    assert desk.post("/check-ins", {}).status_code == 422
    kiosk = desk.post("/check-ins", {"code": booked["code"]}, desk.kiosk)  # a kiosk needs the QR
    assert kiosk.status_code == 422

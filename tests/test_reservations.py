"""Availability and reservations through the public API (its OpenAPI document)."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import Reservation, Slot
from queue_app.services import booking
from queue_app.services.credentials import hash_token

from conftest import DEFAULT_NOW, book, decode_qr

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["code"] == code
    assert set(body) >= {"type", "title", "status", "detail", "code"}
    assert body["status"] == status
    return body


def test_locations_and_services(client):
    places = client.get("/api/v1/locations").get_json()
    assert [p["slug"] for p in places] == ["honcho", "awara"]
    assert places[0]["name"] == {"ja": "市役所 市民課", "en": "City Hall, Citizens' Division"}
    services = {s["slug"]: s for s in client.get("/api/v1/services").get_json()}
    assert len(services) == 8
    assert services["card-pickup"]["reservable"] and not services["reissue"]["reservable"]
    assert services["cert-renewal"]["duration_minutes"] == 15
    assert services["cert-renewal"]["name"]["ja"] == "電子証明書の更新"


def test_availability_of_an_open_day(client):
    body = client.get("/api/v1/availability?location=honcho&service=card-pickup&date=2027-01-14").get_json()
    assert body["open"] is True and body["reservation_only"] is False
    assert body["date"] == "2027-01-14" and body["location"] == "honcho" and body["service"] == "card-pickup"
    assert body["slots"][0] == {"start": "2027-01-14T09:00:00+09:00", "end": "2027-01-14T09:15:00+09:00",
                                "capacity": 2, "remaining": 2}


def test_availability_of_a_closed_day_and_of_a_holiday_window(client, clock):
    closed = client.get("/api/v1/availability?location=honcho&service=card-pickup&date=2027-02-11").get_json()
    assert closed["open"] is False and closed["slots"] == []
    clock.set(2027, 2, 1, 10, 0)
    window = client.get("/api/v1/availability?location=honcho&service=card-pickup&date=2027-02-14").get_json()
    assert window["open"] is True and window["reservation_only"] is True and len(window["slots"]) == 12


def test_availability_counts_bookings_down(client):
    book(client, start="2027-01-14T10:00:00+09:00")
    slots = client.get("/api/v1/availability?location=honcho&service=card-pickup&date=2027-01-14").get_json()["slots"]
    ten = next(s for s in slots if s["start"] == "2027-01-14T10:00:00+09:00")
    assert ten["remaining"] == 1


@pytest.mark.parametrize("query", [
    "location=honcho&service=card-pickup",                 # no date
    "location=honcho&service=card-pickup&date=14-01-2027",  # not a date
    "location=nowhere&service=card-pickup&date=2027-01-14",
    "location=honcho&service=nothing&date=2027-01-14",
])
def test_availability_refuses_bad_queries(client, query):
    assert_problem(client.get(f"/api/v1/availability?{query}"), 422, "invalid")


def test_booking_returns_the_reservation(client):
    response = book(client, name="山田 花子", email="Hanako@Example.jp", phone="090-1234-5678", proxy=True)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "booked"
    assert (body["location"], body["service"]) == ("honcho", "card-pickup")
    assert (body["start"], body["end"]) == ("2027-01-14T09:00:00+09:00", "2027-01-14T09:15:00+09:00")
    assert body["name"] == "山田 花子" and body["email"] == "hanako@example.jp" and body["phone"] == "09012345678"
    assert body["proxy"] is True
    assert body["manage_url"].endswith(f"/reservations/{body['code']}?token={body['token']}")
    assert f"/api/v1/reservations/{body['code']}/qr.png?token=" in body["qr_url"]


def test_the_code_reads_over_the_phone_and_the_token_is_stored_hashed(client, app):
    body = book(client).get_json()
    code, token = body["code"], body["token"]
    assert len(code) == 9 and code[4] == "-"
    assert not set(code.replace("-", "")) & set("0O1IL2Z5S8BUV")
    assert len(token) >= 22  # 128 bits or more, URL-safe base64
    with app.app_context():
        stored = db.session.scalar(select(Reservation).where(Reservation.code == code))
        assert stored.token_hash == hash_token(token) and token not in stored.token_hash


def test_the_holder_reads_the_reservation_with_any_spelling_of_the_code(client):
    body = book(client).get_json()
    sloppy = body["code"].replace("-", " ").lower()
    response = client.get(f"/api/v1/reservations/{sloppy}?token={body['token']}")
    assert response.status_code == 200 and response.get_json()["code"] == body["code"]


def test_a_wrong_token_answers_exactly_like_an_unknown_code(client):
    body = book(client).get_json()
    wrong = client.get(f"/api/v1/reservations/{body['code']}?token=not-the-token")
    missing = client.get(f"/api/v1/reservations/{body['code']}")
    unknown = client.get(f"/api/v1/reservations/ACDE-FGHJ?token={body['token']}")
    for response in (wrong, missing, unknown):
        assert_problem(response, 404, "not_found")
    assert wrong.get_data() == missing.get_data() == unknown.get_data()
    assert_problem(client.delete(f"/api/v1/reservations/{body['code']}?token=nope"), 404, "not_found")
    assert_problem(client.get(f"/api/v1/reservations/{body['code']}/qr.png?token=nope"), 404, "not_found")


def test_cancelling_frees_the_slot_at_once(client, app):
    first = book(client, location="awara").get_json()  # awara: one seat per slot
    assert_problem(book(client, location="awara"), 409, "slot_full")
    cancelled = client.delete(f"/api/v1/reservations/{first['code']}?token={first['token']}")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert book(client, location="awara").status_code == 201
    assert_problem(client.delete(f"/api/v1/reservations/{first['code']}?token={first['token']}"), 409, "cancelled")
    with app.app_context():
        assert db.session.scalar(select(Slot.booked)) == 1


def test_slot_full(client):
    assert book(client).status_code == 201
    assert book(client).status_code == 201
    assert_problem(book(client), 409, "slot_full")


@pytest.mark.parametrize("start, why", [
    ("2027-01-14T09:05:00+09:00", "not on a slot boundary"),
    ("2027-01-14T17:00:00+09:00", "after the last slot"),
    ("2027-01-14T08:45:00+09:00", "before the first slot"),
    ("2027-02-11T10:00:00+09:00", "a national holiday"),
    ("2027-01-16T10:00:00+09:00", "a Saturday"),
    ("2027-01-14T18:00:00+09:00", "the extended window takes no reservations"),
    ("2027-01-12T09:00:00+09:00", "in the past"),
    ("2027-01-12T10:15:00+09:00", "starts in 15 minutes: inside the 30-minute cut-off"),
    ("2027-02-12T10:00:00+09:00", "31 days ahead: beyond the horizon"),
])
def test_not_reservable(client, start, why):
    assert_problem(book(client, start=start), 409, "not_reservable")


def test_the_booking_window_edges_are_inclusive(client):
    # Now is 2027-01-12 10:00: 10:30 today is exactly 30 minutes ahead, 11 Feb is 30 days ahead.
    assert book(client, start="2027-01-12T10:30:00+09:00").status_code == 201
    assert book(client, start="2027-02-10T10:00:00+09:00").status_code == 201
    assert_problem(book(client, start="2027-01-12T10:15:00+09:00"), 409, "not_reservable")


def test_walk_in_procedures_are_not_reservable_on_weekdays(client):
    assert_problem(book(client, service="reissue"), 409, "not_reservable")
    assert_problem(book(client, service="card-application"), 409, "not_reservable")


def test_the_booking_window_is_configurable(make_app):
    app = make_app(BOOKING_HORIZON_DAYS=3, BOOKING_CUTOFF_MINUTES=120)
    client = app.test_client()
    assert_problem(book(client, start="2027-01-16T10:00:00+09:00", service="card-pickup"), 409, "not_reservable")
    assert_problem(book(client, start="2027-01-12T11:45:00+09:00"), 409, "not_reservable")
    assert book(client, start="2027-01-12T12:00:00+09:00").status_code == 201


def test_times_in_other_offsets_mean_the_same_instant(client):
    body = book(client, start="2027-01-14T00:00:00+00:00").get_json()  # 09:00 in Tokyo
    assert body["start"] == "2027-01-14T09:00:00+09:00"


def test_one_active_reservation_per_contact_and_procedure(client):
    first = book(client, email="same@example.jp", start="2027-01-14T09:00:00+09:00").get_json()
    assert_problem(book(client, email="SAME@example.jp", start="2027-01-15T09:00:00+09:00"), 409, "duplicate")
    # By phone too, however it is written.
    book(client, email=None, phone="080-1111-2222", service="cert-renewal")
    assert_problem(book(client, email=None, phone="08011112222", service="cert-renewal",
                        start="2027-01-15T10:00:00+09:00"), 409, "duplicate")
    # Another procedure is fine; so is the same one once the first is cancelled.
    assert book(client, email="same@example.jp", service="cert-renewal",
                start="2027-01-14T11:00:00+09:00").status_code == 201
    client.delete(f"/api/v1/reservations/{first['code']}?token={first['token']}")
    assert book(client, email="same@example.jp", start="2027-01-15T09:00:00+09:00").status_code == 201


def test_a_code_already_taken_is_drawn_again(make_app, backend, monkeypatch):
    app = make_app(backend)
    client = app.test_client()
    taken = book(client).get_json()["code"]
    draws = iter([taken, "KMNP-QRTW"])
    monkeypatch.setattr("queue_app.services.credentials.new_code", lambda: next(draws))
    second = book(client, start="2027-01-15T09:00:00+09:00")
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["code"] == "KMNP-QRTW"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 2


def test_a_duplicate_on_a_full_slot_is_told_it_is_a_duplicate(make_app, backend):
    client = make_app(backend).test_client()
    assert book(client, email="same@example.jp").status_code == 201
    full = "2027-01-15T10:00:00+09:00"
    assert book(client, start=full).status_code == 201
    assert book(client, start=full).status_code == 201  # honcho: two seats per slot
    assert_problem(book(client, email="same@example.jp", start=full), 409, "duplicate")
    assert_problem(book(client, email="other@example.jp", start=full), 409, "slot_full")


def test_an_integrity_error_other_than_a_contact_is_not_a_duplicate(make_app, backend):
    app = make_app(backend)
    with app.app_context():
        values = {"token_hash": "0" * 64, "status": "booked", "location_id": 1, "service_id": 999_999,
                  "slot_id": 1, "starts_at": DEFAULT_NOW, "ends_at": DEFAULT_NOW,
                  "name": "山田 花子", "email": "a@example.jp", "phone": None, "language": "ja",
                  "proxy": False, "created_at": DEFAULT_NOW}
        with pytest.raises(IntegrityError):  # no such procedure: a foreign key, not a duplicate
            booking._insert_reservation(db.session, values)
        db.session.rollback()


def test_a_duplicate_gives_its_seat_back(make_app, backend):
    app = make_app(backend)
    client = app.test_client()
    assert book(client, email="same@example.jp").status_code == 201
    assert_problem(book(client, email="same@example.jp", start="2027-01-15T09:00:00+09:00"), 409, "duplicate")
    with app.app_context():
        seats = dict(db.session.execute(select(Slot.starts_at, Slot.booked)).all())
    assert sum(seats.values()) == 1


@pytest.mark.parametrize("field, value", [
    ("name", "123456789012"),
    ("name", "山田 1234 5678 9012"),
    ("email", "123456789012@example.jp"),
    ("phone", "1234-5678-9012"),
    ("phone", "１２３４５６７８９０１２"),  # full-width digits
    ("service", "123456789012"),
    ("language", "123456789012"),
])
def test_a_my_number_in_any_field_is_refused_and_not_echoed(client, app, field, value, caplog):
    response = book(client, **{field: value})
    body = assert_problem(response, 422, "my_number_rejected")
    digits = "123456789012"
    assert digits not in response.get_data(as_text=True)
    assert "１２３４" not in response.get_data(as_text=True)
    assert digits not in caplog.text
    assert "マイナンバー" in body["detail"]
    with app.app_context():
        assert db.session.scalar(select(Reservation.id)) is None


def test_slots_are_shared_by_the_procedures_of_the_reservation_counters(client):
    # honcho has two reservation counters: two residents per slot, whatever the procedure.
    assert book(client, service="card-pickup").status_code == 201
    assert book(client, service="cert-renewal").status_code == 201
    assert_problem(book(client, service="expiry-change"), 409, "slot_full")


def test_eleven_and_thirteen_digit_numbers_are_not_a_my_number(client):
    assert book(client, phone="090-1234-5678").status_code == 201  # 11 digits: a phone number
    assert_problem(book(client, phone="1234567890123", start="2027-01-14T09:15:00+09:00"), 422, "invalid")


@pytest.mark.parametrize("overrides, field", [
    ({"name": ""}, "name"),
    ({"name": "あ" * 101}, "name"),
    ({"email": "not-an-address"}, "email"),
    ({"email": None, "phone": None}, "email"),
    ({"email": None, "phone": "12345"}, "phone"),
    ({"email": None, "phone": "+1 415 555 0100"}, "phone"),
    ({"language": "fr"}, "language"),
    ({"start": "tomorrow"}, "start"),
    ({"start": "2027-01-14T09:00:00"}, "start"),  # no offset: ambiguous
    ({"location": "nowhere"}, "location"),
    ({"service": "nothing"}, "service"),
    ({"proxy": "perhaps"}, "proxy"),
])
def test_invalid_fields_are_named(client, overrides, field):
    body = assert_problem(book(client, **overrides), 422, "invalid")
    assert field in body["errors"]


def test_a_name_of_100_characters_and_an_international_phone_are_fine(client):
    assert book(client, name="あ" * 100).status_code == 201
    body = book(client, email=None, phone="+81 90-1234-5678", start="2027-01-14T09:15:00+09:00").get_json()
    assert body["phone"] == "09012345678"


@pytest.mark.parametrize("data, content_type", [
    ("not json", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ('"a string"', "application/json"),
    ("null", "application/json"),
    ("name=x", "application/x-www-form-urlencoded"),
    ('{"location": {"nested": true}, "start": 12, "name": ["x"]}', "application/json"),
    ("{\"name\": \"\\ud800\"}", "application/json"),
])
def test_no_input_produces_a_500(client, data, content_type):
    response = client.post("/api/v1/reservations", data=data, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response.mimetype == PROBLEM


def test_the_check_in_payload_is_signed_and_holds_nothing_personal(client, app):
    body = book(client, name="佐藤 一郎", email="ichiro@example.jp").get_json()
    payload = body["check_in_payload"]
    assert body["code"] in payload
    for personal in ("佐藤", "ichiro", "example"):
        assert personal not in payload
    from queue_app.services.credentials import read_check_in, sign_check_in
    secret = app.config["SECRET_KEY"]
    assert read_check_in(payload, secret) == body["code"]
    forged = sign_check_in(body["code"], "another-secret")
    assert read_check_in(forged, secret) is None
    assert read_check_in(payload.replace(body["code"], "ACDE-FGHJ"), secret) is None


def test_the_qr_code_decodes_to_the_check_in_payload(client):
    body = book(client).get_json()
    response = client.get(f"/api/v1/reservations/{body['code']}/qr.png?token={body['token']}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert decode_qr(response.data) == body["check_in_payload"]


def test_the_openapi_document_describes_the_schemas_that_validate(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    post = spec["paths"]["/api/v1/reservations"]["post"]
    assert "requestBody" in post
    schemas = spec["components"]["schemas"]
    reservation_in = next(v for k, v in schemas.items() if k.startswith("ReservationIn"))
    assert set(reservation_in["required"]) == {"location", "service", "start", "name"}
    assert reservation_in["properties"]["name"]["maxLength"] == 100
    assert "/api/v1/availability" in spec["paths"]


def test_security_headers(client):
    response = client.get("/api/v1/locations")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_booking_is_rate_limited_per_address(make_app):
    app = make_app(BOOKING_RATE_LIMIT="3/minute")
    client = app.test_client()
    statuses = [book(client, start=f"2027-01-14T{9 + i}:00:00+09:00".replace("T9", "T09")).status_code
                for i in range(4)]
    assert statuses[:3] == [201, 201, 201]
    assert statuses[3] == 429


def test_rate_limits_can_be_switched_off(make_app):
    app = make_app(BOOKING_RATE_LIMIT="1/minute", RATELIMIT_ENABLED=False)
    client = app.test_client()
    assert [book(client, start=f"2027-01-14T1{i}:00:00+09:00").status_code for i in range(3)] == [201] * 3


def test_stored_times_are_the_same_instant(app, client):
    body = book(client).get_json()
    with app.app_context():
        stored = db.session.scalar(select(Reservation).where(Reservation.code == body["code"]))
        assert stored.starts_at == datetime(2027, 1, 14, 9, 0, tzinfo=TOKYO)
        assert stored.starts_at.utcoffset().total_seconds() == 9 * 3600

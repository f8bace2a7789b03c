"""Every JSON shape is written once, by its schema, and a place is found by its slug in
one way (services/places.py) with one failure style: these tests fail when a shape
loses a field or an unknown place starts answering differently."""
from __future__ import annotations

import pytest

from queue_app.extensions import db
from queue_app.services import places
from queue_app.services.errors import NotFound, UnknownPlace

from queue_helpers import at, desk, reserve  # noqa: F401

TICKET_KEYS = {"id", "number", "kind", "location", "service", "status", "priority", "counter",
               "issued_at", "called_at", "position", "estimated_wait_minutes",
               "estimated_wait_range", "band", "business_date", "started_at", "finished_at",
               "recall_count", "suggest_no_show", "target_counter"}
STAFF_ONLY_KEYS = {"priority_reason", "reservation"}
RESERVATION_KEYS = {"code", "token", "status", "location", "service", "start", "end", "name",
                    "email", "phone", "language", "proxy", "manage_url", "qr_url", "check_in_payload"}
COUNTER_KEYS = {"id", "name", "services", "open", "until", "takes_reservations"}
LONG_SLUG = "x" * 41


# ---------------------------------------------------------------- finding a place

def test_a_place_is_found_by_its_slug(app):
    with app.app_context():
        assert places.get_location(db.session, "honcho").slug == "honcho"


@pytest.mark.parametrize("slug", ["nowhere", "", LONG_SLUG, None, 7, ["honcho"], {"slug": "honcho"}])
def test_an_unknown_place_is_one_typed_error(app, slug):
    with app.app_context():
        with pytest.raises(UnknownPlace) as error:
            places.get_location(db.session, slug)
    assert isinstance(error.value, NotFound)
    assert (error.value.status, error.value.code) == (404, "not_found")


@pytest.mark.parametrize("path", ["/locations/{}/counters", "/locations/{}/queue",
                                  "/locations/{}/reservations", "/locations/{}/walk-in-services"])
@pytest.mark.parametrize("slug", ["nowhere", LONG_SLUG])
def test_an_unknown_place_in_the_url_is_404_not_found(desk, path, slug):
    token = desk.kiosk if path.endswith("walk-in-services") else desk.staff
    response = desk.get(path.format(slug), token)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "not_found"


def test_an_unknown_place_in_a_body_or_query_is_422_naming_the_field(desk):
    client = desk.client
    body = {"location": "nowhere", "service": "card-pickup", "start": "2027-01-14T09:00:00+09:00",
            "name": "山田 花子", "email": "a@example.jp"}
    answers = [client.post("/api/v1/reservations", json=body),
               desk.post("/tickets", {"location": "nowhere", "service": "reissue"}),
               client.get("/api/v1/availability?location=nowhere&service=card-pickup&date=2027-01-14"),
               client.get(f"/api/v1/availability?location={LONG_SLUG}&service=card-pickup&date=2027-01-14")]
    for response in answers:
        assert response.status_code == 422, response.get_json()
        problem = response.get_json()
        assert problem["code"] == "invalid" and problem["errors"] == {"location": ["Unknown location."]}


@pytest.mark.parametrize("page", ["/display/nowhere", "/kiosk/nowhere", "/kiosk/nowhere/setup",
                                  "/book/nowhere", f"/display/{LONG_SLUG}"])
def test_a_page_of_an_unknown_place_is_404(client, page):
    assert client.get(page).status_code == 404


def test_the_display_namespace_refuses_an_unknown_place(app):
    server = app.extensions["socketio"]
    known = server.test_client(app, namespace="/display", auth={"location": "honcho"})
    assert known.is_connected("/display")
    known.disconnect("/display")
    for auth in ({"location": "nowhere"}, {"location": LONG_SLUG}):
        refused = server.test_client(app, namespace="/display", auth=auth)
        assert not refused.is_connected("/display")


@pytest.mark.parametrize("command", [["demo-time", "--location", "nowhere"], ["announce-resync", "nowhere"]])
def test_a_command_names_an_unknown_place(app, command):
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code != 0 and "nowhere" in result.output


# ---------------------------------------------------------------- the shapes

def _assert_ticket(ticket: dict, staff: bool) -> None:
    assert set(ticket) == TICKET_KEYS | (STAFF_ONLY_KEYS if staff else set())
    low, high = ticket["estimated_wait_range"]  # services/waits.py's range, in minutes
    assert 0 <= low <= ticket["estimated_wait_minutes"] <= high
    assert ticket["issued_at"].endswith("+09:00")


def test_the_ticket_shape_public_and_staff(desk):
    client = desk.client
    kiosk = desk.post("/tickets", {"location": "honcho", "service": "reissue"}, desk.kiosk).get_json()
    _assert_ticket(kiosk, staff=False)
    staff = desk.post("/tickets", {"location": "honcho", "service": "reissue"}).get_json()
    _assert_ticket(staff, staff=True)
    assert staff["priority_reason"] is None and staff["reservation"] is None
    public = client.get(f"/api/v1/tickets/{staff['id']}").get_json()
    _assert_ticket(public, staff=False)
    assert (public["position"], public["estimated_wait_minutes"]) == (2, 0)

    booked = reserve(desk.app, at(10, 15))
    checked = desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk).get_json()["ticket"]
    _assert_ticket(checked, staff=False)

    queue = desk.get("/locations/honcho/queue").get_json()
    assert set(queue) == {"location", "date", "waiting", "serving", "reception", "reception_reason",
                          "next_opening"} and queue["location"] == "honcho"
    assert (queue["reception"], queue["reception_reason"]) == ("open", None)
    for ticket in queue["waiting"]:
        _assert_ticket(ticket, staff=True)
    first = queue["waiting"][0]
    assert first["reservation"] == {"code": booked["code"], "start": "2027-01-12T10:15:00+09:00",
                                    "proxy": False}
    assert first["band"] == "reservation" and first["position"] == 1

    called = desk.post(f"/counters/{desk.counters[0]}/call-next").get_json()["ticket"]
    _assert_ticket(called, staff=True)
    assert called["counter"] == {"id": desk.counters[0], "name": "窓口1"}
    assert called["called_at"] == "2027-01-12T10:00:00+09:00"
    prioritised = desk.post(f"/tickets/{kiosk['id']}/prioritise", {"reason": "妊婦"}).get_json()
    _assert_ticket(prioritised, staff=True)
    assert prioritised["priority"] == "high" and prioritised["priority_reason"] == "妊婦"
    assert "priority_reason" not in client.get(f"/api/v1/tickets/{kiosk['id']}").get_json()


def test_the_wait_range_is_dumped_as_a_pair(desk):
    from queue_app.api.schemas_queue import TicketOut, TicketView
    from queue_app.models import Ticket

    ticket_id = desk.post("/tickets", {"location": "honcho", "service": "reissue"}).get_json()["id"]
    with desk.app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        body = TicketOut().dump(TicketView(ticket, 1, 5, wait_range=(3, 9)))
    assert body["estimated_wait_range"] == [3, 9] and body["estimated_wait_minutes"] == 5
    assert not STAFF_ONLY_KEYS & set(body)


def test_the_reservation_shape(client):
    body = {"location": "honcho", "service": "card-pickup", "start": "2027-01-14T09:00:00+09:00",
            "name": "山田 花子", "email": "a@example.jp", "phone": "090-1234-5678", "language": "en"}
    made = client.post("/api/v1/reservations", json=body)
    assert made.status_code == 201
    reservation = made.get_json()
    assert set(reservation) == RESERVATION_KEYS
    code, token = reservation["code"], reservation["token"]
    assert reservation["start"] == "2027-01-14T09:00:00+09:00"
    assert reservation["end"] == "2027-01-14T09:15:00+09:00"
    assert (reservation["location"], reservation["service"], reservation["status"]) == (
        "honcho", "card-pickup", "booked")
    assert reservation["phone"] == "09012345678" and reservation["language"] == "en"
    assert reservation["manage_url"] == f"http://localhost/reservations/{code}?token={token}"
    assert reservation["qr_url"] == f"http://localhost/api/v1/reservations/{code}/qr.png?token={token}"
    assert reservation["check_in_payload"].startswith(code + ".")
    again = client.get(f"/api/v1/reservations/{code}?token={token}").get_json()
    assert again == reservation
    cancelled = client.delete(f"/api/v1/reservations/{code}?token={token}").get_json()
    assert cancelled == {**reservation, "status": "cancelled"}


def test_the_counter_shape(desk):
    counters = desk.get("/locations/honcho/counters").get_json()
    assert counters and all(set(c) == COUNTER_KEYS for c in counters)
    assert counters[0]["open"] is True and counters[0]["until"] is None
    assert "reissue" in counters[0]["services"]
    closed = desk.post(f"/counters/{desk.counters[1]}/close", {"until": "2027-01-12T13:00:00+09:00"})
    assert closed.get_json()["open"] is False
    assert closed.get_json()["until"] == "2027-01-12T13:00:00+09:00"
    opened = desk.post(f"/counters/{desk.counters[1]}/open").get_json()
    assert set(opened) == COUNTER_KEYS and opened["open"] is True


def test_the_catalogue_and_the_walk_in_offer(desk):
    client = desk.client
    locations = client.get("/api/v1/locations").get_json()
    assert locations[0] == {"slug": "honcho", "name": {"ja": "市役所 市民課",
                                                        "en": "City Hall, Citizens' Division"}}
    services = client.get("/api/v1/services").get_json()
    assert set(services[0]) == {"slug", "name", "duration_minutes", "reservable"}
    assert set(services[0]["name"]) == {"ja", "en"}
    offer = desk.get("/locations/honcho/walk-in-services", desk.kiosk).get_json()
    assert set(offer) == {"location", "open", "reservation_only", "reason", "window", "services",
                          "next_opening"}
    assert offer["next_opening"] is None  # walk-ins are taken now
    assert set(offer["window"]) == {"kind", "starts", "ends"}
    assert offer["window"]["starts"].endswith("+09:00")
    assert offer["services"] and all(set(s) == {"slug", "name", "duration_minutes", "walk_in"}
                                     and s["walk_in"] is True for s in offer["services"])


def test_the_day_s_reservations_and_the_signed_in_user(desk):
    booked = reserve(desk.app, at(10, 15))
    desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk)
    rows = desk.get("/locations/honcho/reservations").get_json()
    assert set(rows[0]) == {"code", "status", "service", "start", "end", "name", "furigana", "phone",
                            "proxy", "language", "checked_in", "checked_in_at", "ticket"}
    assert rows[0]["checked_in"] is True and set(rows[0]["ticket"]) == {"id", "number", "status"}
    assert rows[0]["ticket"]["number"] == "R-001"
    session = desk.get("/auth/session").get_json()
    assert set(session["user"]) == {"id", "username", "role"} and session["user"]["role"] == "staff"


def test_the_openapi_document_lists_every_field(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert set(schemas["TicketOut"]["properties"]) == TICKET_KEYS | STAFF_ONLY_KEYS
    wait_range = schemas["TicketOut"]["properties"]["estimated_wait_range"]
    assert wait_range["type"] == "array" and wait_range["items"] == {"type": "integer"}
    assert wait_range["nullable"] is True
    assert set(schemas["ReservationOut"]["properties"]) == RESERVATION_KEYS
    assert set(schemas["CounterOut"]["properties"]) == COUNTER_KEYS
    assert schemas["CounterOut"]["properties"]["services"] == {"type": "array", "items": {"type": "string"}}

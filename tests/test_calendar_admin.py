"""Calendar editing through the admin API: weekly hours and slot capacity per procedure
from a date on, holiday and extended windows added and removed, each refused with the
reservations in the way (and nothing changed) when it would leave them without room,
the month view, and who may do it. SQLite and PostgreSQL where it writes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import AuditEntry, CalendarWindow, OpeningHours, Reservation, SlotCapacity
from queue_app.services import booking, places
from queue_helpers import bearer, make_device, make_staff
from test_closures import actions, book_for, moment, slot_starts, status_of

DAY = "2027-01-14"  # a Thursday; the test clock stands at Tuesday 12 January, 10:00
WEEK = [{"weekday": d, "opens": "08:30", "closes": "17:15", "slots_from": "09:00", "slots_until": "17:00"}
        for d in range(5)]


def short_week(until: str = "12:00") -> list[dict]:
    return [{**day, "closes": until, "slots_until": until} for day in WEEK]


@pytest.fixture
def admin_app(make_app, backend):
    app = make_app(backend=backend)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def admin(admin_app):
    return make_staff(admin_app, role="admin")[1]


def put_hours(client, token, days, since=DAY):
    return client.put("/api/v1/admin/locations/honcho/hours", json={"from": since, "days": days},
                      headers=bearer(token))


def put_capacity(client, token, seats, service="card-pickup", since=DAY):
    return client.put("/api/v1/admin/locations/honcho/capacity",
                      json={"service": service, "from": since, "seats": seats}, headers=bearer(token))


def remaining(client, day=DAY, service="card-pickup") -> dict[str, int]:
    found = client.get(f"/api/v1/availability?location=honcho&service={service}&date={day}").get_json()
    return {slot["start"][11:16]: slot["remaining"] for slot in found["slots"]}


def test_weekly_hours_change_from_a_date_on_and_keep_the_days_before(admin_app, admin):
    client = admin_app.test_client()
    response = put_hours(client, admin, short_week())
    assert response.status_code == 200, response.get_json()
    plans = response.get_json()["plans"]
    assert [plan["from"] for plan in plans] == [None, DAY]
    assert plans[1]["days"][3] == {"weekday": 3, "opens": "08:30", "closes": "12:00",
                                   "slots_from": "09:00", "slots_until": "12:00"}
    # Wednesday the 13th keeps the old plan; Thursday the 14th and later take the new one.
    assert slot_starts(client, "2027-01-13")[-1] == "16:45"
    assert slot_starts(client, DAY)[-1] == "11:45"
    assert slot_starts(client, "2027-01-21")[-1] == "11:45"
    # A weekday left out of the plan is closed from then on.
    put_hours(client, admin, [day for day in WEEK if day["weekday"] != 4], since="2027-01-15")
    assert slot_starts(client, "2027-01-15") == []
    assert client.get("/api/v1/availability?location=honcho&service=card-pickup&date=2027-01-15"
                      ).get_json()["open"] is False
    assert actions(admin_app) == ["calendar.hours", "calendar.hours"]
    # The information page tells today's hours until the new plan is in force.
    assert "8:30〜17:15" in client.get("/info?lang=ja").get_data(as_text=True)
    admin_app.config["CLOCK"].set(2027, 1, 14, 8, 0)
    assert "8:30〜12:00" in client.get("/info?lang=ja").get_data(as_text=True)


def test_shorter_hours_are_refused_with_the_reservations_in_the_way(admin_app, admin):
    client = admin_app.test_client()
    late = book_for(admin_app, moment(15, 0))
    later = book_for(admin_app, moment(16, 30, day=21))
    morning = book_for(admin_app, moment(9, 0))
    response = put_hours(client, admin, short_week())
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["code"] == "reservations_in_the_way"
    assert problem["reservations"] == [late, later]
    # Nothing changed: the old hours, the reservations, no audit entry.
    assert slot_starts(client, DAY)[-1] == "16:45"
    assert {status_of(admin_app, code) for code in (late, later, morning)} == {"booked"}
    with admin_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OpeningHours)
                                 .where(OpeningHours.valid_from.is_not(None))) == 0
    assert actions(admin_app) == []
    # From the day after the last of them, the same change goes through.
    assert put_hours(client, admin, short_week(), since="2027-01-22").status_code == 200


def test_bad_hours_are_refused_by_field_and_change_nothing(admin_app, admin):
    client = admin_app.test_client()
    cases = [
        ([{**WEEK[0], "closes": "08:00"}], "days.0"),
        ([{**WEEK[1], "slots_from": "08:00"}], "days.1"),
        ([{**WEEK[2], "slots_from": "09:10"}], "days.2"),
        ([WEEK[3], WEEK[3]], "days.3"),
        ([{**WEEK[0], "weekday": 6}], "days.6"),
    ]
    for days, field in cases:
        response = put_hours(client, admin, days)
        assert response.status_code == 422, days
        assert field in response.get_json()["errors"], response.get_json()
    past = put_hours(client, admin, WEEK, since="2027-01-11")
    assert past.status_code == 422 and "from" in past.get_json()["errors"]
    assert slot_starts(client, DAY)[-1] == "16:45"
    assert actions(admin_app) == []


def test_capacity_per_procedure_from_a_date_on(admin_app, admin):
    client = admin_app.test_client()
    assert remaining(client)["09:00"] == 2  # two counters take reservations
    response = put_capacity(client, admin, 1)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["capacities"] == [{"service": "card-pickup", "from": DAY, "seats": 1}]
    assert response.get_json()["counters"]["card-pickup"] == 2
    assert remaining(client)["09:00"] == 1
    assert remaining(client, "2027-01-13")["09:00"] == 2
    assert remaining(client, service="cert-renewal")["09:00"] == 2
    # One seat: the second booking of the slot is refused.
    first = client.post("/api/v1/reservations", json={
        "location": "honcho", "service": "card-pickup", "start": f"{DAY}T09:00:00+09:00",
        "name": "山田 花子", "email": "a@example.jp"})
    assert first.status_code == 201
    second = client.post("/api/v1/reservations", json={
        "location": "honcho", "service": "card-pickup", "start": f"{DAY}T09:00:00+09:00",
        "name": "山田 太郎", "email": "b@example.jp"})
    assert second.status_code == 409 and second.get_json()["code"] == "slot_full"
    # Zero: not bookable from that date.
    put_capacity(client, admin, 0, since="2027-01-20")
    assert slot_starts(client, "2027-01-20") == []
    assert actions(admin_app) == ["calendar.capacity", "calendar.capacity"]


def test_capacity_below_what_is_booked_is_refused_with_its_list(admin_app, admin):
    client = admin_app.test_client()
    first = book_for(admin_app, moment(10, 0))
    second = book_for(admin_app, moment(10, 0))
    alone = book_for(admin_app, moment(11, 0))
    other = book_for(admin_app, moment(13, 0), service="cert-renewal")
    other_too = book_for(admin_app, moment(13, 0), service="cert-renewal")
    response = put_capacity(client, admin, 1)
    assert response.status_code == 409
    assert response.get_json()["reservations"] == [second]  # the first booked keeps its seat
    assert remaining(client)["09:00"] == 2
    with admin_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SlotCapacity)) == 0
    assert {status_of(admin_app, c) for c in (first, second, alone, other, other_too)} == {"booked"}
    assert actions(admin_app) == []
    # Another procedure's full slot is not in the way of this one's change.
    assert put_capacity(client, admin, 1, since="2027-01-15").status_code == 200


def test_bad_capacity_changes_nothing(admin_app, admin):
    client = admin_app.test_client()
    for body, field in (({"seats": -1}, "seats"), ({"seats": 51}, "seats"), ({"seats": "2"}, "seats"),
                        ({"service": "nothing"}, "service"), ({"from": "2027-01-11"}, "from")):
        payload = {"service": "card-pickup", "from": DAY, "seats": 1, **body}
        response = client.put("/api/v1/admin/locations/honcho/capacity", json=payload, headers=bearer(admin))
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], response.get_json()
    assert client.put("/api/v1/admin/locations/nowhere/capacity", json={
        "service": "card-pickup", "from": DAY, "seats": 1}, headers=bearer(admin)).status_code == 404
    assert remaining(client)["09:00"] == 2
    assert actions(admin_app) == []


def test_a_holiday_window_added_and_removed(admin_app, admin):
    client = admin_app.test_client()
    sunday = "2027-01-17"  # the 3rd Sunday: no holiday window in the demo
    assert slot_starts(client, sunday) == []
    response = client.post("/api/v1/admin/locations/honcho/windows", json={
        "kind": "holiday", "date": sunday, "start": "09:00", "end": "12:00", "reservation_only": True,
        "services": ["card-pickup"]}, headers=bearer(admin))
    assert response.status_code == 201, response.get_json()
    window = response.get_json()
    assert window["date"] == sunday and window["services"] == ["card-pickup"]
    assert slot_starts(client, sunday)[0] == "09:00" and slot_starts(client, sunday)[-1] == "11:45"
    day = client.get(f"/api/v1/availability?location=honcho&service=card-pickup&date={sunday}").get_json()
    assert day["reservation_only"] is True
    listed = client.get("/api/v1/admin/locations/honcho/windows", headers=bearer(admin)).get_json()
    assert window["id"] in [w["id"] for w in listed["windows"]]

    code = book_for(admin_app, moment(10, 0, day=17))
    refused = client.delete(f"/api/v1/admin/windows/{window['id']}", headers=bearer(admin))
    assert refused.status_code == 409 and refused.get_json()["reservations"] == [code]
    assert slot_starts(client, sunday)[0] == "09:00"
    with admin_app.app_context():
        assert db.session.get(CalendarWindow, window["id"]) is not None
    with admin_app.app_context():  # the administrator has it cancelled first
        reservation = db.session.scalar(select(Reservation).where(Reservation.code == code))
        booking.cancel_reservation(db.session, reservation, admin_app.config["CLOCK"]())
        db.session.commit()
    removed = client.delete(f"/api/v1/admin/windows/{window['id']}", headers=bearer(admin))
    assert removed.status_code == 204
    assert slot_starts(client, sunday) == []
    assert [a for a in actions(admin_app) if a.startswith("calendar")] == [
        "calendar.window_add", "calendar.window_remove"]


def test_bad_windows_are_refused_by_field(admin_app, admin):
    client = admin_app.test_client()
    cases = [
        ({"kind": "holiday", "date": DAY}, "date"),  # a Thursday
        ({"kind": "extended", "date": "2027-01-17"}, "date"),  # a Sunday
        ({"kind": "holiday", "weekday": 6, "weeks_of_month": "2,9"}, "weeks_of_month"),
        ({"kind": "holiday"}, "date"),  # neither a date nor a weekday
        ({"kind": "holiday", "date": "2027-01-17", "start": "12:00", "end": "09:00"}, "end"),
        ({"kind": "holiday", "date": "2027-01-10"}, "date"),  # past
        ({"kind": "holiday", "date": "2027-01-17", "services": ["nothing"]}, "services"),
    ]
    for body, field in cases:
        payload = {"start": "09:00", "end": "12:00", **body}
        response = client.post("/api/v1/admin/locations/honcho/windows", json=payload, headers=bearer(admin))
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], (body, response.get_json())
    assert client.delete("/api/v1/admin/windows/999999", headers=bearer(admin)).status_code == 404
    assert actions(admin_app) == []


def test_the_month_shows_holidays_windows_closures_and_how_full(admin_app, admin):
    client = admin_app.test_client()
    for _ in range(2):
        book_for(admin_app, moment(9, 0))
    client.post("/api/v1/admin/closures", json={
        "location": "honcho", "date": "2027-01-15", "reason": {"ja": "システム更新", "en": "System update"}},
        headers=bearer(admin))
    month = client.get("/api/v1/admin/locations/honcho/calendar?month=2027-01", headers=bearer(admin))
    assert month.status_code == 200
    days = {day["date"]: day for day in month.get_json()["days"]}
    assert len(days) == 31
    assert days["2027-01-01"]["closed_reason"] == "new_year"
    assert days["2027-01-11"]["closed_reason"] == "national_holiday"
    assert days["2027-01-11"]["holiday_name"] == "成人の日"
    assert days["2027-01-15"]["closed_reason"] == "closure"
    assert days["2027-01-15"]["closures"][0]["reason"] == {"ja": "システム更新", "en": "System update"}
    assert days["2027-01-10"]["reservation_only"] is True  # the 2nd Sunday's holiday window
    assert days["2027-01-16"]["open"] is False  # a Saturday
    thursday = days[DAY]
    assert thursday["open"] and [w["kind"] for w in thursday["windows"]] == ["regular", "extended"]
    assert thursday["seats"] == 32 * 2 and thursday["booked"] == 2 and thursday["fill"] == 3
    bad = client.get("/api/v1/admin/locations/honcho/calendar?month=2027-13", headers=bearer(admin))
    assert bad.status_code == 422


def test_only_administrators_edit_the_calendar(admin_app):
    client = admin_app.test_client()
    _, staff = make_staff(admin_app)
    _, kiosk = make_device(admin_app)
    calls = [("get", "/api/v1/admin/locations/honcho/calendar", None),
             ("put", "/api/v1/admin/locations/honcho/hours", {"from": DAY, "days": WEEK}),
             ("put", "/api/v1/admin/locations/honcho/capacity", {"service": "card-pickup", "from": DAY, "seats": 1}),
             ("post", "/api/v1/admin/locations/honcho/windows",
              {"kind": "holiday", "date": "2027-01-17", "start": "09:00", "end": "12:00"}),
             ("delete", "/api/v1/admin/windows/1", None)]
    for method, url, body in calls:
        assert getattr(client, method)(url, json=body).status_code == 401, url
        assert getattr(client, method)(url, json=body, headers=bearer(staff)).status_code == 403, url
        assert getattr(client, method)(url, json=body, headers=bearer(kiosk)).status_code in (401, 403), url
    with admin_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


# ---------------------------------------------------------------- the page

def signed_in_admin(app):
    from test_admin_accounts import sign_in

    make_staff(app, username="boss", role="admin")
    client = app.test_client()
    assert sign_in(client, "boss").status_code == 302
    return client


def test_the_page_refuses_bad_forms_by_field_and_keeps_what_was_typed(make_app):
    from test_admin_accounts import post_form

    app = make_app()
    client = signed_in_admin(app)
    page = "/admin/calendar?location=honcho"
    assert client.get("/admin/calendar?month=9999-12").status_code == 200  # out of range: this month
    bad = post_form(client, "/admin/calendar/hours?lang=ja", {
        "location": "honcho", "from": "2027-01-14", "open_0": "y", "opens_0": "10:00", "closes_0": "09:00",
        "slots_from_0": "09:00", "slots_until_0": "10:00"}, page)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "閉庁時刻は開庁時刻より後にしてください。" in html and 'value="10:00"' in html
    bad = post_form(client, "/admin/calendar/capacity?lang=en", {
        "location": "honcho", "service": "card-pickup", "from": "yesterday", "seats": "many"}, page)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Enter a date as YYYY-MM-DD." in html and "Enter a whole number." in html
    code = book_for(app, moment(10, 0, day=24))  # the demo's 4th-Sunday holiday window
    with app.app_context():
        window_id = db.session.scalar(select(CalendarWindow.id).where(CalendarWindow.kind == "holiday"))
    refused = post_form(client, f"/admin/calendar/windows/{window_id}/remove?lang=ja",
                        {"location": "honcho"}, page)
    assert refused.status_code == 409 and code in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CalendarWindow, window_id) is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action.like("calendar.%"))) == 0


def test_the_page_is_for_administrators(make_app):
    from test_admin_accounts import sign_in

    app = make_app()
    assert app.test_client().get("/admin/calendar").status_code == 302
    make_staff(app, username="clerk")
    client = app.test_client()
    sign_in(client, "clerk")
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar/capacity", data={}).status_code in (400, 403)


def test_the_month_shows_home_visits_and_the_waitlist(make_app):
    from test_outreach import application
    from waitlist_helpers import fill_day, join

    app = make_app()
    client = signed_in_admin(app)
    staff = bearer(make_staff(app)[1])
    applied = app.test_client().post("/api/v1/outreach-requests", json=application())
    assert applied.status_code == 201, applied.get_json()
    request_id = applied.get_json()["id"]
    scheduled = client.post(f"/api/v1/outreach-requests/{request_id}/schedule", json={
        "date": "2027-01-14", "start": "2027-01-14T10:00:00+09:00"}, headers=staff)
    assert scheduled.status_code == 200, scheduled.get_json()
    fill_day(app)
    assert join(client).status_code == 201
    assert join(client).status_code == 201
    html = client.get("/admin/calendar?location=honcho&month=2027-01&lang=ja").get_data(as_text=True)
    thursday = html[html.index('data-date="2027-01-14"'):html.index('data-date="2027-01-15"')]
    assert "出張受付 10:00 (12人)" in thursday
    sunday = html[html.index('data-date="2027-01-24"'):html.index('data-date="2027-01-25"')]
    assert "キャンセル待ち 2人" in sunday and "予約 24 / 24 枠" in sunday


def test_a_seat_held_beyond_lowered_seats_cannot_be_booked_and_is_freed(make_app, clock):
    from waitlist_helpers import NINE, SUNDAY, booked_at, cancel, fill_day, holds, join, offer_token, sweep

    app = make_app()
    client = app.test_client()
    booked = fill_day(app)  # two seats a slot, all taken
    join(client, email="first@example.jp")
    join(client, email="second@example.jp")
    cancel(client, *booked[0])  # a seat of 09:00: held for the first on the list
    [hold] = holds(app)
    assert booked_at(app, NINE) == 2
    # The seats go down to one from that Sunday (as the back office would, once the other
    # slots have room): the 09:00 slot holds its resident and the hold, one too many.
    with app.app_context():
        honcho = places.get_location(db.session, "honcho")
        db.session.add(SlotCapacity(location_id=honcho.id, service_id=hold.service_id, valid_from=SUNDAY, seats=1))
        db.session.commit()
    url = f"/api/v1/waitlist/offers/{hold.id}/reservation?token={offer_token(app, hold.id)}"
    refused = client.post(url, json={"name": "日曜 待子", "email": "first@example.jp"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "slot_full"
    assert booked_at(app, NINE) == 2
    clock.advance(minutes=31)  # the hold runs out: the seat is freed, not offered to the second
    sweep(app)
    assert booked_at(app, NINE) == 1
    assert [h.status for h in holds(app)] == ["expired"]


def test_only_what_the_change_takes_room_from_is_in_the_way(admin_app, admin):
    client = admin_app.test_client()
    assert put_capacity(client, admin, 1).status_code == 200
    pickup = book_for(admin_app, moment(10, 0))
    renewal = book_for(admin_app, moment(10, 0), service="cert-renewal")  # two seats: it shares the slot
    # The slot now holds more than card pick-up's one seat, through another procedure:
    # saving or raising pick-up's seats takes nothing from anyone and goes through.
    assert put_capacity(client, admin, 1).status_code == 200
    assert put_capacity(client, admin, 2).status_code == 200
    # Lowering renewal's seats to one: the earliest booked of the slot keeps its seat.
    refused = put_capacity(client, admin, 1, service="cert-renewal")
    assert refused.status_code == 409 and refused.get_json()["reservations"] == [renewal]
    assert {status_of(admin_app, code) for code in (pickup, renewal)} == {"booked"}

"""The waitlist of a full day through the API: joining, leaving, the availability flag,
seats held for the first resident when one frees, expiry passing the offer on, and
booking through a hold (once)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import AuditEntry, OutboxMessage, Reservation, WaitlistEntry
from queue_app.services import booking, places, waitlist

from waitlist_helpers import (NINE, SUNDAY, availability, booked_at, cancel, entries, fill_day, holds, join,
                              offer_token, sweep)


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(WaitlistEntry)),
                db.session.scalar(select(func.count()).select_from(OutboxMessage)))


def test_a_day_with_seats_left_has_no_waitlist(app, client):
    assert availability(client)["waitlist"] is False
    response = join(client)
    assert response.status_code == 409
    assert response.get_json()["code"] == "not_full"
    assert _counts(app) == (0, 0)


def test_a_full_day_opens_its_waitlist_first_come_first_placed(app, client):
    fill_day(app)
    day = availability(client)
    assert day["waitlist"] is True and all(slot["remaining"] == 0 for slot in day["slots"])
    assert availability(client, service="card-application")["waitlist"] is True  # the seats are shared
    first = join(client, email="first@example.jp", language="en")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "waiting" and body["position"] == 1 and body["date"] == "2027-01-24"
    assert body["token"] and f"/waitlist/{body['id']}?token=" in body["manage_url"]
    assert join(client, email="second@example.jp").get_json()["position"] == 2
    again = join(client, email="FIRST@example.jp")
    assert again.status_code == 409 and again.get_json()["code"] == "already_waiting"
    read = client.get(f"/api/v1/waitlist/{body['id']}?token={body['token']}").get_json()
    assert read["position"] == 1 and read["status"] == "waiting"
    with app.app_context():
        # Audited without personal data; the entry's token is stored only hashed.
        details = [entry.detail for entry in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "waitlist.join"))]
        assert len(details) == 2 and "first@example.jp" not in str(details) and "日曜" not in str(details)
        assert body["token"] not in {e.token_hash for e in db.session.scalars(select(WaitlistEntry))}


def test_bad_input_is_refused_and_changes_nothing(app, client):
    fill_day(app)
    cases = [
        ({"date": "2027-01-16"}, 422, "invalid"),  # a Saturday: closed
        ({"date": "2027-02-28"}, 422, "invalid"),  # beyond the 30-day booking window
        ({"date": "2027-01-11"}, 422, "invalid"),  # yesterday
        ({"service": "reissue"}, 422, "invalid"),  # walk-in only, never reservable
        ({"location": "nowhere"}, 422, "invalid"),
        ({"email": "not-an-address"}, 422, "invalid"),
        ({"email": None}, 422, "invalid"),
        ({"name": "1234 5678 9012"}, 422, "my_number_rejected"),
        ({"name": "x" * 101}, 422, "invalid"),
        ({"date": "24/01/2027"}, 422, "invalid"),
    ]
    for overrides, status, code in cases:
        response = join(client, **overrides)
        assert (response.status_code, response.get_json()["code"]) == (status, code), overrides
    assert _counts(app)[0] == 0


def test_an_address_that_already_holds_a_reservation_for_the_procedure_is_refused(app, client):
    booked = fill_day(app)
    with app.app_context():
        email = db.session.scalar(select(Reservation.email).where(Reservation.code == booked[0][0]))
    response = join(client, email=email)
    assert response.status_code == 409 and response.get_json()["code"] == "duplicate"


def test_a_resident_leaves_the_list_by_the_token(app, client):
    fill_day(app)
    body = join(client).get_json()
    assert client.delete(f"/api/v1/waitlist/{body['id']}?token=wrong").status_code == 404
    assert client.delete(f"/api/v1/waitlist/{body['id']}").status_code == 404
    left = client.delete(f"/api/v1/waitlist/{body['id']}?token={body['token']}")
    assert left.status_code == 200 and left.get_json()["status"] == "left"
    assert client.delete(f"/api/v1/waitlist/{body['id']}?token={body['token']}").get_json()["status"] == "left"
    assert availability(client)["waitlist"] is True  # still full


def test_a_freed_seat_is_held_for_the_first_resident_and_stays_off_sale(app, client):
    booked = fill_day(app)
    first = join(client, email="first@example.jp").get_json()
    join(client, email="second@example.jp")
    cancel(client, *booked[0])  # a seat of 09:00
    [hold] = holds(app)
    assert hold.status == "offered" and hold.entry_id == first["id"] and hold.starts_at == NINE
    assert (hold.expires_at - NINE.replace(day=12, hour=10)).total_seconds() == 30 * 60
    assert booked_at(app, NINE) == 2  # the hold owns the seat
    day = availability(client)
    assert day["slots"][0]["remaining"] == 0 and day["waitlist"] is True
    assert client.post("/api/v1/reservations", json={
        "location": "honcho", "service": "card-pickup", "start": NINE.isoformat(),
        "name": "割込 太郎", "email": "late@example.jp"}).get_json()["code"] == "slot_full"
    read = client.get(f"/api/v1/waitlist/{first['id']}?token={first['token']}").get_json()
    assert read["status"] == "offered" and read["position"] is None
    offer = client.get(f"/api/v1/waitlist/offers/{hold.id}?token={offer_token(app, hold.id)}")
    assert offer.status_code == 200 and offer.get_json()["status"] == "offered"
    assert offer.get_json()["start"] == NINE.isoformat()
    assert client.get(f"/api/v1/waitlist/offers/{hold.id}?token=nope").status_code == 404


def test_without_anyone_waiting_a_cancelled_seat_goes_back_on_sale(app, client):
    booked = fill_day(app)
    cancel(client, *booked[0])
    assert holds(app) == [] and booked_at(app, NINE) == 1
    assert availability(client)["slots"][0]["remaining"] == 1
    assert availability(client)["waitlist"] is False


def test_a_hold_that_runs_out_goes_to_the_next_then_back_on_sale(app, client, clock):
    booked = fill_day(app)
    first = join(client, email="first@example.jp").get_json()
    second = join(client, email="second@example.jp").get_json()
    cancel(client, *booked[0])
    clock.advance(minutes=29)
    assert sweep(app)["expired"] == 0
    clock.advance(minutes=1)
    assert sweep(app)["expired"] == 1
    old, new = holds(app)
    assert (old.status, new.status, new.entry_id, new.slot_id) == ("expired", "offered", second["id"], old.slot_id)
    assert [e.status for e in entries(app)] == ["lapsed", "offered"]
    assert booked_at(app, NINE) == 2
    clock.advance(minutes=30)
    sweep(app)
    assert [h.status for h in holds(app)] == ["expired", "expired"]
    assert booked_at(app, NINE) == 1 and availability(client)["slots"][0]["remaining"] == 1
    assert client.get(f"/api/v1/waitlist/{first['id']}?token={first['token']}").get_json()["status"] == "lapsed"


def test_booking_through_the_hold_takes_the_held_seat_once(app, client):
    booked = fill_day(app)
    join(client, email="first@example.jp")
    cancel(client, *booked[5])  # a seat of 09:30
    [hold] = holds(app)
    token = offer_token(app, hold.id)
    url = f"/api/v1/waitlist/offers/{hold.id}/reservation?token={token}"
    details = {"name": "日曜 待子", "email": "first@example.jp", "language": "en"}
    assert client.post(url.replace(token, "forged"), json=details).status_code == 404
    assert client.post(url, json={**details, "phone": "1234-5678-9012"}).get_json()["code"] == "my_number_rejected"
    assert holds(app)[0].status == "offered"  # a refused request changed nothing
    response = client.post(url, json=details)
    assert response.status_code == 201, response.get_json()
    reservation = response.get_json()
    assert reservation["start"] == hold.starts_at.isoformat() and reservation["status"] == "booked"
    assert booked_at(app, hold.starts_at) == 2  # no second seat counted
    [taken] = holds(app)
    assert taken.status == "taken" and [e.status for e in entries(app)] == ["booked"]
    again = client.post(url, json={**details, "email": "other@example.jp"})
    assert again.status_code == 409 and again.get_json()["code"] == "hold_gone"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "confirmation", OutboxMessage.recipient == "first@example.jp")) == 1


def test_an_expired_hold_cannot_be_booked(app, client, clock):
    booked = fill_day(app)
    join(client)
    cancel(client, *booked[0])
    [hold] = holds(app)
    clock.advance(minutes=30)  # not swept yet: the time alone decides
    response = client.post(f"/api/v1/waitlist/offers/{hold.id}/reservation?token={offer_token(app, hold.id)}",
                           json={"name": "日曜 待子", "email": "w@example.jp"})
    assert response.status_code == 409 and response.get_json()["code"] == "hold_gone"
    assert client.get(f"/api/v1/waitlist/offers/{hold.id}?token={offer_token(app, hold.id)}"
                      ).get_json()["status"] == "expired"


def test_declining_or_leaving_passes_the_seat_on_at_once(app, client):
    booked = fill_day(app)
    first = join(client, email="first@example.jp").get_json()
    second = join(client, email="second@example.jp").get_json()
    join(client, email="third@example.jp")
    cancel(client, *booked[0])
    [hold] = holds(app)
    declined = client.post(f"/api/v1/waitlist/offers/{hold.id}/decline?token={offer_token(app, hold.id)}")
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    assert client.get(f"/api/v1/waitlist/{first['id']}?token={first['token']}").get_json()["status"] == "left"
    _, to_second = holds(app)
    assert to_second.entry_id == second["id"] and to_second.status == "offered"
    client.delete(f"/api/v1/waitlist/{second['id']}?token={second['token']}")
    statuses = [(h.status, h.entry_id) for h in holds(app)]
    assert statuses[1][0] == "declined" and statuses[2][0] == "offered" and statuses[2][1] == second["id"] + 1
    assert booked_at(app, NINE) == 2


def test_a_move_away_from_the_full_day_frees_a_held_seat(app, client):
    booked = fill_day(app)
    join(client)
    code, token = booked[3]
    with app.app_context():
        reservation = booking.get_reservation(db.session, code, token)
        booking.move_reservation(db.session, reservation, NINE.replace(day=14, hour=10),
                                 NINE.replace(day=12, hour=10), booking.BookingPolicy())
        db.session.commit()
    [hold] = holds(app)
    assert hold.status == "offered" and hold.starts_at == NINE.replace(minute=15)


def test_a_capacity_raise_offers_the_new_seats(app, client):
    fill_day(app)
    for n in range(3):
        join(client, email=f"w{n}@example.jp")
    with app.app_context():
        from queue_app.models import Counter, Location, Service

        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        pickup = db.session.scalar(select(Service).where(Service.slug == "card-pickup"))
        db.session.add(Counter(location=place, name="臨時窓口", position=10, is_open=True,
                               takes_reservations=True, services=[pickup]))
        db.session.commit()  # clears the rules cache: the slot has three seats now
        held = waitlist.offer_freed_seats(db.session, places.get_location(db.session, "honcho"), SUNDAY,
                                          NINE.replace(day=12, hour=10), booking.BookingPolicy())
        db.session.commit()
    assert held == 3
    assert [(h.status, h.starts_at.minute) for h in holds(app)] == [("offered", 0), ("offered", 15), ("offered", 30)]
    assert len({h.entry_id for h in holds(app)}) == 3


def test_the_day_gone_by_purges_the_entries(app, client, clock):
    fill_day(app)
    join(client, email="gone@example.jp")
    clock.set(2027, 1, 25, 9, 0)
    assert sweep(app)["purged"] == 1
    [entry] = entries(app)
    assert (entry.status, entry.name, entry.email) == ("ended", None, None)
    with app.app_context():
        [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "waitlist_joined"))
        assert (row.recipient, row.secret) == (None, None)
    assert sweep(app)["purged"] == 0
    assert date(2027, 1, 25) > entry.day


def test_the_job_holds_seats_a_capacity_raise_added_without_telling_the_waitlist(app, client):
    fill_day(app)
    first = join(client, email="w0@example.jp").get_json()
    with app.app_context():
        from queue_app.models import Counter, Location, Service

        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        pickup = db.session.scalar(select(Service).where(Service.slug == "card-pickup"))
        db.session.add(Counter(location=place, name="臨時窓口", position=10, is_open=True,
                               takes_reservations=True, services=[pickup]))
        db.session.commit()
    assert availability(client)["slots"][0]["remaining"] == 1  # on sale, until the job runs
    assert sweep(app)["held"] == 1
    [hold] = holds(app)
    assert (hold.entry_id, hold.starts_at) == (first["id"], NINE)
    assert availability(client)["slots"][0]["remaining"] == 0
    assert sweep(app)["held"] == 0  # nobody else waits: the other new seats stay on sale
    assert availability(client)["slots"][1]["remaining"] == 1


def test_a_closure_of_a_held_seats_hours_ends_the_offer_and_its_resident_waits_on(app, client):
    """An emergency closure of 09:00-09:30 on the full Sunday: the seat held at 09:00 is
    released (the slot is gone) and its resident is back on the list, first; a hold at
    10:00, outside the closure, stays; the next seat freed goes to the first resident."""
    from queue_helpers import bearer, make_staff

    booked = fill_day(app)
    with app.app_context():
        at_ten = [code for code, _ in booked if db.session.scalar(
            select(Reservation.starts_at).where(Reservation.code == code)) == NINE.replace(hour=10)]
    tokens = dict(booked)
    first = join(client, email="first@example.jp").get_json()
    second = join(client, email="second@example.jp").get_json()
    cancel(client, *booked[0])               # 09:00: held for the first resident
    cancel(client, at_ten[0], tokens[at_ten[0]])  # 10:00: held for the second
    inside, outside = holds(app)
    _, admin = make_staff(app, role="admin")

    made = client.post("/api/v1/admin/closures", headers=bearer(admin), json={
        "location": "honcho", "date": SUNDAY.isoformat(), "start": "09:00", "end": "09:30",
        "reason": {"ja": "停電のため", "en": "Power cut"}, "emergency": True})
    assert made.status_code == 201, made.get_json()

    now_inside, now_outside = holds(app)
    assert (now_inside.status, now_outside.status) == ("released", "offered")
    assert [(e.id, e.status) for e in entries(app)] == [(first["id"], "waiting"), (second["id"], "offered")]
    assert booked_at(app, NINE) == 0  # the cancelled reservations' seats and the held one, freed
    read = client.get(f"/api/v1/waitlist/{first['id']}?token={first['token']}").get_json()
    assert read["status"] == "waiting" and read["position"] == 1
    page = client.get(f"/waitlist/offers/{inside.id}?token={offer_token(app, inside.id)}&lang=en")
    html = page.get_data(as_text=True)
    assert 'data-state="released"' in html and "still on the waitlist" in html
    ja = client.get(f"/waitlist/offers/{inside.id}?token={offer_token(app, inside.id)}&lang=ja")
    assert "臨時閉庁" in ja.get_data(as_text=True)
    with app.app_context():
        detail = db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "closure.create"))
        assert detail["holds_released"] == 1

    cancel(client, at_ten[1], tokens[at_ten[1]])  # another 10:00 seat frees: the first resident's
    newest = holds(app)[-1]
    assert (newest.entry_id, newest.status, newest.starts_at) == (first["id"], "offered", NINE.replace(hour=10))


def test_the_job_releases_a_hold_offered_while_a_closure_was_being_made(app, client):
    """A seat offered at the same moment a closure of its hours was made (the closure
    did not see the hold yet): within a minute the job releases it, and its resident
    waits on, first."""
    from queue_app.models import Closure
    from queue_app.services import calendar

    booked = fill_day(app)
    first = join(client, email="first@example.jp").get_json()
    cancel(client, *booked[0])  # 09:00: held
    with app.app_context():  # the closure, written as the other transaction left it
        honcho = places.get_location(db.session, "honcho")
        db.session.add(Closure(location_id=honcho.id, on_date=SUNDAY, reason="停電のため",
                               reason_en="Power cut", emergency=True))
        calendar.raise_version(db.session, honcho.id)
        db.session.commit()
    assert sweep(app)["released"] == 1
    [hold] = holds(app)
    assert hold.status == "released" and booked_at(app, NINE) == 1
    assert [(e.id, e.status) for e in entries(app)] == [(first["id"], "waiting")]
    assert sweep(app)["released"] == 0

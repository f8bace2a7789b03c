"""A booking and a change to the calendar of the same place, at the same time, on SQLite
and on PostgreSQL: no reservation is ever left in hours that a closure has closed.

Two ways it could happen, each tested against a gunicorn of separate processes
(race_support.py):

- a worker books with the plan or the seats it cached before another process closed
  the hours or took the seats away (both are keyed by the place's ``calendar_version``,
  which every calendar change raises);
- PostgreSQL: the closure reads what is booked while a booking is under way, and the
  booking read the plan before the closure committed. Each waits for the other instead
  (the closure takes the place's calendar lock before its read, a booking shares it
  until it commits): two tests hold one side's transaction open and show the other side
  waiting, then seeing it.

And what else meets a closure halfway: a move of a reservation the closure cancels, the
booking of a waitlist seat held in its hours, and a check-in of its hours (no deadlock:
the locks are taken in one order).
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests
from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import Location, Reservation, SeatHold, Service, Slot
from queue_app.models.states import ReservationStatus
from queue_app.services import booking, calendar, calendar_rules, closures, waitlist
from queue_app.services.errors import HoldGone, NotReservable
from tests.concurrency.race_support import post, race, race_server
from tests.conftest import TEST_DATABASE_URL, require

from queue_helpers import at, bearer, make_staff

DAY = "2027-01-14"  # a Thursday, two days after the test clock's Tuesday
CLOSED_FROM, CLOSED_UNTIL = at(10, 0, day=14), at(11, 0, day=14)
INSIDE = [at(10, 15 * i, day=14) for i in range(4)]        # the slots the closure takes
NEXT_DAY = [at(10, 15 * i, day=15) for i in range(4)]      # slots of the day the seats go
OUTSIDE = [at(13 + i // 4, 15 * (i % 4), day=14) for i in range(8)]
WAIT = 1.5  # seconds a request is given to show that it waits (it answers in ~0.05 s when it does not)


def _body(i: int, start: datetime) -> dict:
    return {"location": "honcho", "service": "card-pickup", "start": start.isoformat(),
            "name": f"住民 {i}", "email": f"resident{i}@example.jp"}


def _closure(emergency: bool = True) -> dict:
    return {"location": "honcho", "date": DAY, "start": "10:00", "end": "11:00",
            "reason": {"ja": "システム停止のため", "en": "System outage"}, "emergency": emergency}


def _booked_inside(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Reservation.code).where(
            Reservation.status == ReservationStatus.BOOKED,
            Reservation.starts_at < CLOSED_UNTIL, Reservation.ends_at > CLOSED_FROM)))


def _close_the_hours(app, admin: str) -> None:
    made = app.test_client().post("/api/v1/admin/closures", json=_closure(), headers=bearer(admin))
    assert made.status_code == 201, made.get_json()


def _take_the_seats_away(app, _admin: str) -> None:
    """The back office sets card-pickup's seats to 0 from the next day on (a change of
    the seats, not of the hours: the plan stays, the capacity goes; the seats a process
    caches are the procedure's for every day, so the warm-up's day caches them)."""
    with app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        pickup = db.session.scalar(select(Service).where(Service.slug == "card-pickup"))
        calendar_rules.set_capacity(db.session, place, pickup, NEXT_DAY[0].date(), 0,
                                    actor="test", now=app.config["CLOCK"]())
        db.session.commit()


@pytest.mark.parametrize(("change", "taken"), [(_close_the_hours, INSIDE), (_take_the_seats_away, NEXT_DAY)],
                         ids=["closure", "seats"])
def test_every_worker_books_by_a_calendar_change_the_moment_it_commits(make_app, clock, tmp_path, backend,
                                                                        change, taken):
    """Every worker books once (and so caches the day's plan and seats); the change is
    then made by another process (this test's app); at once, no worker books a slot it
    took away."""
    app = make_app(backend, RATELIMIT_ENABLED=False)
    _, admin = make_staff(app, role="admin")
    with race_server(app, clock.now, tmp_path) as server:
        url = f"{server.url}/api/v1/reservations"
        warm = race([post(url, _body(i, start)) for i, start in enumerate(OUTSIDE)])
        assert [r.status_code for r in warm] == [201] * len(OUTSIDE), [r.text for r in warm]
        warmed = _served_by(server)
        assert len(set(warmed)) >= 2, "the warm-up ran in one process"

        change(app, admin)

        bodies = [_body(100 + i, taken[i % len(taken)]) for i in range(16)]
        responses = race([post(url, body) for body in bodies])
        racers = _served_by(server)[len(warmed):]
    # A worker that had cached the old plan took part (else the test would prove nothing).
    assert set(racers) & set(warmed), (racers, warmed)
    assert [r.status_code for r in responses] == [409] * len(bodies), [r.text for r in responses]
    assert {r.json()["code"] for r in responses} == {"not_reservable"}
    with app.app_context():
        assert db.session.scalar(select(Reservation.id).where(
            Reservation.starts_at.in_(taken), Reservation.status == ReservationStatus.BOOKED)) is None


def _served_by(server) -> list[str]:
    """The worker process of each POST so far, in the order of the access log."""
    lines = server.access_log.read_text().splitlines()
    return [line.split()[0] for line in lines if line.split()[1:2] == ["POST"]]


def _pg_app(make_app):
    require(bool(TEST_DATABASE_URL), "TEST_DATABASE_URL is not set (PostgreSQL)")
    return make_app("postgresql", RATELIMIT_ENABLED=False)


def test_a_booking_waits_for_a_closure_being_made_and_is_refused(make_app, clock, tmp_path):
    """PostgreSQL: the closure has read what is booked (nothing) and not committed yet.
    A booking of a slot it closes waits for it, then is refused; without the wait it
    would be booked in closed hours, unseen by the closure."""
    app = _pg_app(make_app)
    with race_server(app, clock.now, tmp_path, workers=1) as server, app.app_context():
        url = f"{server.url}/api/v1/reservations"
        assert post(url, _body(0, OUTSIDE[0]))().status_code == 201  # the worker caches the plan
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        closures.create_closure(db.session, location=place, day=CLOSED_FROM.date(), start=CLOSED_FROM.time(),
                                end=CLOSED_UNTIL.time(), reason_ja="システム停止のため", reason_en="System outage",
                                emergency=True, actor="test", now=clock.now)
        db.session.flush()  # written, locked, not committed
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(post(url, _body(1, INSIDE[0])))
            time.sleep(WAIT)
            waited = not pending.done()
            db.session.commit()
            response = pending.result(timeout=30)
    assert waited, f"the booking did not wait for the closure: {response.status_code} {response.text}"
    assert response.status_code == 409 and response.json()["code"] == "not_reservable", response.text
    assert _booked_inside(app) == []


def test_a_closure_waits_for_a_booking_being_made_and_sees_it(make_app, clock, tmp_path):
    """PostgreSQL: a booking inside the hours has taken its seat and not committed yet.
    A planned closure of those hours waits for it, then is refused with its code (it
    would otherwise be made over a reservation it never saw)."""
    app = _pg_app(make_app)
    _, admin = make_staff(app, role="admin")
    with race_server(app, clock.now, tmp_path, workers=1) as server, app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        pickup = db.session.scalar(select(Service).where(Service.slug == "card-pickup"))
        reservation, _token = booking.book_slot(
            db.session, location=place, service=pickup, start=INSIDE[1],
            contact=booking.validate_contact("住民 1", "resident1@example.jp", None),
            now=clock.now, policy=booking.BookingPolicy())
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(lambda: requests.post(
                f"{server.url}/api/v1/admin/closures", json=_closure(emergency=False),
                headers=bearer(admin), timeout=30))
            time.sleep(WAIT)
            waited = not pending.done()
            db.session.commit()
            response = pending.result(timeout=30)
    assert waited, f"the closure did not wait for the booking: {response.status_code} {response.text}"
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "reservations_in_the_way"
    assert response.json()["reservations"] == [reservation.code]
    assert _booked_inside(app) == [reservation.code]


def test_a_move_waits_for_a_closure_that_cancels_the_reservation(make_app, clock):
    """PostgreSQL: an emergency closure has cancelled a reservation (and freed its seat),
    not committed yet. Its resident's move, begun before, waits for the closure, then is
    refused: it would otherwise take a new seat for a cancelled reservation and free the
    old seat a second time."""
    app = _pg_app(make_app)
    booked = app.test_client().post("/api/v1/reservations", json=_body(1, INSIDE[0]))
    assert booked.status_code == 201, booked.get_json()
    code = booked.get_json()["code"]

    def move() -> str:
        with app.app_context():
            reservation = db.session.scalar(select(Reservation).where(Reservation.code == code))
            try:
                booking.move_reservation(db.session, reservation, OUTSIDE[0], clock.now, booking.BookingPolicy())
                db.session.commit()
                return "moved"
            except NotReservable:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    with app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        closures.create_closure(db.session, location=place, day=CLOSED_FROM.date(), start=CLOSED_FROM.time(),
                                end=CLOSED_UNTIL.time(), reason_ja="停電のため", reason_en="Power cut",
                                emergency=True, actor="test", now=clock.now)
        db.session.flush()
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(move)
            time.sleep(WAIT)
            waited = not pending.done()
            db.session.commit()
            result = pending.result(timeout=30)
        seats = dict(db.session.execute(select(Slot.starts_at, Slot.booked)).all())
        status = db.session.scalar(select(Reservation.status).where(Reservation.code == code))
    assert waited, f"the move did not wait for the closure: {result}"
    assert result == "refused" and status == ReservationStatus.CANCELLED
    assert seats.get(OUTSIDE[0], 0) == 0 and seats[INSIDE[0]] == 0


def test_booking_a_held_seat_waits_for_a_closure_of_its_hours(make_app, clock):
    """PostgreSQL: a closure of the full Sunday's 09:00-09:30 has taken the calendar lock
    when its resident books the seat held at 09:00. The booking waits for the calendar
    before it touches the hold (the order the closure takes them in); the closure then
    releases the hold and commits, and the booking hears the seat is gone. In the other
    order the two would deadlock and one of them fail."""
    from waitlist_helpers import NINE, SUNDAY, cancel, fill_day, holds, join

    app = _pg_app(make_app)
    client = app.test_client()
    booked = fill_day(app)
    join(client, email="first@example.jp")
    cancel(client, *booked[0])
    [hold] = holds(app)

    def book_the_hold() -> str:
        with app.app_context():
            try:
                waitlist.book_hold(db.session, db.session.get(SeatHold, hold.id),
                                   booking.validate_contact("保留 花子", "first@example.jp", None),
                                   clock.now, booking.BookingPolicy())
                db.session.commit()
                return "booked"
            except HoldGone:
                db.session.rollback()
                return "gone"
            finally:
                db.session.remove()

    with app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        calendar.lock_for_change(db.session, place.id)  # the closure's first step
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(book_the_hold)
            time.sleep(WAIT)
            closures.create_closure(db.session, location=place, day=SUNDAY, start=NINE.time(),
                                    end=NINE.replace(minute=30).time(), reason_ja="停電のため",
                                    reason_en="Power cut", emergency=True, actor="test", now=clock.now)
            db.session.commit()
            result = pending.result(timeout=30)
    assert result == "gone"
    assert holds(app)[0].status == "released"


def test_an_emergency_closure_and_a_check_in_of_its_hours_do_not_deadlock(make_app, clock):
    """PostgreSQL: a check-in locks its reservation, then raises the place's event
    number (the place's row). An emergency closure cancelling that reservation waits for
    it; it must not hold the place's row meanwhile (its calendar version is raised last),
    or the check-in's second step would wait for the closure: a deadlock."""
    from queue_app.events import bump_seq

    app = _pg_app(make_app)
    booked = app.test_client().post("/api/v1/reservations", json=_body(1, INSIDE[0]))
    assert booked.status_code == 201, booked.get_json()
    code = booked.get_json()["code"]

    def close() -> str:
        with app.app_context():
            try:
                place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
                made = closures.create_closure(
                    db.session, location=place, day=CLOSED_FROM.date(), start=CLOSED_FROM.time(),
                    end=CLOSED_UNTIL.time(), reason_ja="停電のため", reason_en="Power cut",
                    emergency=True, actor="test", now=clock.now)
                db.session.commit()
                return ",".join(made.affected)
            finally:
                db.session.remove()

    with app.app_context():  # the check-in's two steps, with the closure between them
        reservation_id = db.session.scalar(select(Reservation.id).where(Reservation.code == code)
                                           .with_for_update())
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(close)
            time.sleep(WAIT)
            place_id = db.session.scalar(select(Location.id).where(Location.slug == "honcho"))
            bump_seq(db.session, place_id)
            db.session.commit()
            affected = pending.result(timeout=30)
    assert reservation_id is not None and affected == code

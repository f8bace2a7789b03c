"""The waitlist under real concurrent requests, on SQLite and on PostgreSQL.

Seats freed at the same moment go to different residents, one hold each; a held seat
raced for by its resident's bookings, their "no thanks", and the expiry job (in this
process, its clock past the hold) has exactly one outcome; and ``slots.booked`` always
equals the reservations plus the open holds of a slot, never more than its capacity.
The requests go to a gunicorn with several worker processes (race_support.py).
"""
from __future__ import annotations

from collections import Counter as Tally

from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import ACTIVE_STATUSES, Reservation, SeatHold, Slot, WaitlistEntry
from tests.concurrency.race_support import post, race, race_server

from waitlist_helpers import fill_day, join, offer_token, sweep


def _delete(url: str):
    import requests

    def job():
        with requests.Session() as session:
            return session.delete(url, timeout=60)
    return job


def _ledger(app) -> dict:
    """Per slot of the Sunday: (booked, active reservations, open holds, capacity)."""
    with app.app_context():
        slots = db.session.execute(select(Slot.id, Slot.booked, Slot.capacity)).all()
        active = dict(db.session.execute(select(Reservation.slot_id, func.count()).where(
            Reservation.status.in_(ACTIVE_STATUSES)).group_by(Reservation.slot_id)).all())
        held = dict(db.session.execute(select(SeatHold.slot_id, func.count()).where(
            SeatHold.status == "offered").group_by(SeatHold.slot_id)).all())
        return {slot_id: (booked, active.get(slot_id, 0), held.get(slot_id, 0), capacity)
                for slot_id, booked, capacity in slots}


def _assert_consistent(app) -> None:
    for slot_id, (booked, active, held, capacity) in _ledger(app).items():
        assert booked == active + held <= capacity, (slot_id, booked, active, held, capacity)
    with app.app_context():
        open_per_entry = Tally(db.session.scalars(select(SeatHold.entry_id).where(SeatHold.status == "offered")))
        assert all(n == 1 for n in open_per_entry.values()), open_per_entry
        booked_per_entry = Tally(db.session.scalars(select(SeatHold.entry_id).where(SeatHold.status == "taken")))
        assert all(n == 1 for n in booked_per_entry.values()), booked_per_entry


def test_seats_freed_at_once_go_to_different_residents(make_app, clock, tmp_path, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    booked = fill_day(app)
    client = app.test_client()
    waiting = [join(client, email=f"wait{i}@example.jp").get_json()["id"] for i in range(5)]
    # Eight residents cancel at the same moment: five seats are held, one for each of the
    # five waiting, and the other three go back on sale.
    cancelled = booked[:16:2]
    with race_server(app, clock.now, tmp_path) as server:
        responses = race([_delete(f"{server.url}/api/v1/reservations/{code}?token={token}")
                          for code, token in cancelled])
        assert len(server.pids("DELETE")) >= 2, "the race ran in one process"
    assert [r.status_code for r in responses] == [200] * len(cancelled), [r.text for r in responses]
    with app.app_context():
        holds = db.session.execute(select(SeatHold.entry_id, SeatHold.slot_id, SeatHold.status)).all()
        assert sorted(entry for entry, _slot, _status in holds) == waiting
        assert {status for _e, _s, status in holds} == {"offered"}
        assert set(db.session.scalars(select(WaitlistEntry.status))) == {"offered"}
        assert sum(db.session.scalars(select(Slot.booked))) == len(booked) - (len(cancelled) - len(waiting))
    _assert_consistent(app)


def test_a_held_seat_has_exactly_one_outcome_whatever_races_for_it(make_app, clock, tmp_path, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    booked = fill_day(app)
    client = app.test_client()
    entries = [join(client, email=f"wait{i}@example.jp").get_json() for i in range(6)]
    for code, token in booked[:3]:  # three seats freed: three holds, three still waiting
        assert client.delete(f"/api/v1/reservations/{code}?token={token}").status_code == 200
    with app.app_context():
        holds = db.session.execute(select(SeatHold.id, SeatHold.entry_id).order_by(SeatHold.id)).all()
    assert len(holds) == 3
    calls = []  # (path, body) of each racing request
    leaves = []  # the entry of each hold leaves the list too, by its own link
    for hold_id, entry_id in holds:
        token = offer_token(app, hold_id)
        base = f"/api/v1/waitlist/offers/{hold_id}"
        calls += [(f"{base}/reservation?token={token}",
                   {"name": f"住民 {hold_id}-{n}", "email": f"r{hold_id}-{n}@example.jp"}) for n in range(6)]
        calls += [(f"{base}/decline?token={token}", None) for _ in range(2)]
        [entry] = [e for e in entries if e["id"] == entry_id]
        leaves.append(f"/api/v1/waitlist/{entry_id}?token={entry['token']}")
    expiries: list[int] = []

    def expire():
        expiries.append(sweep(app)["expired"])

    with race_server(app, clock.now, tmp_path) as server:
        clock.advance(minutes=31)  # this process's expiry job sees every hold run out
        requests_jobs = [post(server.url + path, body) for path, body in calls]
        requests_jobs += [_delete(server.url + path) for path in leaves]
        results = race(requests_jobs + [expire] * 3)
        assert len(server.pids()) >= 2, "the race ran in one process"
    responses = results[:len(requests_jobs)]
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    outcomes = Tally((r.status_code, (r.json().get("code") if r.status_code >= 400 else None)) for r in responses)
    assert set(outcomes) <= {(201, None), (200, None), (409, "hold_gone")}, outcomes
    with app.app_context():
        first_holds = Tally(db.session.execute(select(SeatHold.status).where(
            SeatHold.id.in_([hold_id for hold_id, _ in holds]))).scalars().all())
    # Each hold ended exactly once: booked once, or declined (its "no thanks" or its
    # resident leaving), or expired by the job; never booked twice, never both.
    assert sum(first_holds.values()) == 3 and "offered" not in first_holds, first_holds
    assert outcomes[(201, None)] == first_holds["taken"], (outcomes, first_holds)
    with app.app_context():
        # The job may also expire a hold that a decline passed on during the race: that
        # hold was made on the servers' clock, 31 minutes behind the job's.
        expired = db.session.scalar(select(func.count()).select_from(SeatHold).where(SeatHold.status == "expired"))
    assert sum(expiries) == expired >= first_holds["expired"], (expiries, expired, first_holds)
    _assert_consistent(app)
    with app.app_context():
        # A reservation per taken hold, each on its hold's slot; nothing else booked that day.
        taken = db.session.execute(select(SeatHold.slot_id, Reservation.slot_id).join(
            Reservation, Reservation.id == SeatHold.reservation_id).where(SeatHold.status == "taken")).all()
        assert all(a == b for a, b in taken) and len(taken) == outcomes[(201, None)]

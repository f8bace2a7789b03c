"""Call-next under real concurrent requests from several counters, on SQLite and on
PostgreSQL: no ticket is ever called twice, none is lost, each counter's calls follow
the order of service, and a counter never has two residents at once (however many
times its button is pressed at the same instant).

The calls race from threads released together by a barrier, into a gunicorn with four
worker processes on one database (race_support.py), so two counters calling at once
meet in the database only (PostgreSQL's row locks, ``SKIP LOCKED``; SQLite's file
lock), never in a lock of ours.
"""
from __future__ import annotations

import requests
from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import AuditEntry, Counter, Location, Service, Ticket
from tests.concurrency.race_support import race, race_server
from tests.conftest import TEST_DATABASE_URL, require

from queue_helpers import bearer, make_device, make_staff

EXTRA_COUNTERS = 3     # honcho has three; six counters race
TICKETS = 60
CLICKS = 8             # presses of one counter's button at the same instant


def _add_counters(app) -> list[int]:
    with app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        services = list(db.session.scalars(select(Service)))
        for i in range(EXTRA_COUNTERS):
            db.session.add(Counter(location=place, name=f"臨時窓口{i + 1}", position=10 + i,
                                   is_open=True, services=services))
        db.session.commit()
        return list(db.session.scalars(select(Counter.id).where(Counter.location_id == place.id)
                                       .order_by(Counter.position)))


def _issue(app, clock, count: int) -> list[str]:
    """Walk-in tickets through the API, one second apart; their ids in issue order."""
    _, kiosk = make_device(app)
    client = app.test_client()
    ids = []
    for i in range(count):
        clock.advance(seconds=1)
        service = ("reissue", "pin-reset", "info-change")[i % 3]
        response = client.post("/api/v1/tickets", json={"location": "honcho", "service": service},
                               headers=bearer(kiosk))
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids


def _seq(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Location.seq).where(Location.slug == "honcho"))


def test_counters_racing_to_call_never_share_a_ticket(make_app, clock, tmp_path, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    counters = _add_counters(app)
    issued = _issue(app, clock, TICKETS)
    order = {ticket_id: i for i, ticket_id in enumerate(issued)}  # walk-ins: issue order
    _, token = make_staff(app)
    seq_before = _seq(app)
    workers = counters

    def calls(url: str, counter: int):
        """A clerk's morning: call, serve, complete, call the next, until nobody waits."""
        def job():
            got, errors = [], []
            with requests.Session() as http:
                http.headers.update(bearer(token))
                while True:
                    response = http.post(f"{url}/api/v1/counters/{counter}/call-next", timeout=60)
                    if response.status_code == 204:
                        return got, errors
                    if response.status_code != 200:
                        errors.append((response.status_code, response.text))
                        return got, errors
                    ticket_id = response.json()["ticket"]["id"]
                    got.append(ticket_id)
                    done = http.post(f"{url}/api/v1/tickets/{ticket_id}/complete", timeout=60)
                    if done.status_code != 200:
                        errors.append((done.status_code, done.text))
                        return got, errors
        return job

    with race_server(app, clock.now, tmp_path) as server:
        results = race([calls(server.url, counter) for counter in workers])
        assert len(server.pids()) >= 2, "the race ran in one process"

    assert [e for _, errors in results for e in errors] == []
    called = [ticket_id for got, _ in results for ticket_id in got]
    assert len(called) == len(set(called)) == TICKETS, "a ticket was called twice or lost"
    assert set(called) == set(issued)
    for got, _ in results:  # a counter's later call never takes an earlier ticket
        assert [order[t] for t in got] == sorted(order[t] for t in got)
    with app.app_context():
        rows = {t.id: t for t in db.session.scalars(select(Ticket))}
        assert {t.status for t in rows.values()} == {"done"}
        for counter, (got, _) in zip(workers, results):
            assert {rows[t].counter_id for t in got} <= {counter}
        calls_audited = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                          .where(AuditEntry.action == "ticket.call"))
        assert calls_audited == TICKETS
    assert _seq(app) == seq_before + 2 * TICKETS  # one event per call and per completion, no gap


def test_many_counters_one_ticket_one_winner(make_app, clock, tmp_path, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    counters = _add_counters(app)
    _, token = make_staff(app)
    callers = counters

    def call(url: str, counter: int):
        def job():
            with requests.Session() as http:
                return http.post(f"{url}/api/v1/counters/{counter}/call-next",
                                 headers=bearer(token), timeout=60)
        return job

    with race_server(app, clock.now, tmp_path) as server:
        for _round in range(5):
            [ticket_id] = _issue(app, clock, 1)
            responses = race([call(server.url, counter) for counter in callers])
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] + [204] * (len(callers) - 1), [r.text for r in responses]
            [winner] = [r for r in responses if r.status_code == 200]
            assert winner.json()["ticket"]["id"] == ticket_id
            done = requests.post(f"{server.url}/api/v1/tickets/{ticket_id}/complete",
                                 headers=bearer(token), timeout=60)
            assert done.status_code == 200, done.text
        assert len(server.pids()) >= 2, "the race ran in one process"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)
                                 .where(Ticket.status != "done")) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "ticket.call")) == 5


def test_a_counter_held_up_does_not_hold_up_another(make_app, clock, tmp_path):
    """PostgreSQL: while one counter's transaction holds the first ticket (here the
    test's own connection, as a call that has not committed yet), a call-next at
    another counter answers at once with the second (``FOR UPDATE SKIP LOCKED``); with
    a plain ``FOR UPDATE`` it would wait for the first transaction to end."""
    require(bool(TEST_DATABASE_URL), "TEST_DATABASE_URL is not set (PostgreSQL)")
    app = make_app("postgresql", RATELIMIT_ENABLED=False)
    counters = _add_counters(app)
    first, second = _issue(app, clock, 2)
    _, token = make_staff(app)
    with race_server(app, clock.now, tmp_path, workers=1) as server, app.app_context():
        with db.engine.connect() as holder:
            holder.begin()
            held = holder.execute(select(Ticket.id).where(Ticket.id == first).with_for_update())
            assert held.scalar_one() == first
            try:  # without SKIP LOCKED it would wait as long as the holder keeps its lock
                response = requests.post(f"{server.url}/api/v1/counters/{counters[1]}/call-next",
                                         headers=bearer(token), timeout=8)
            except requests.Timeout:
                raise AssertionError("call-next waited for the ticket another counter holds") from None
            finally:
                holder.rollback()
            assert response.status_code == 200, response.text
            assert response.json()["ticket"]["id"] == second


def test_one_counter_pressed_at_once_calls_one_resident(make_app, clock, tmp_path, backend):
    """The clerk's button pressed from several tabs at the same instant: one call, the
    other presses 409 ``counter_busy``, one ticket at the counter. Without the counter's
    row lock (PostgreSQL) or SQLite's write lock, several presses would each pass the
    "is the counter free" check and call a resident each."""
    app = make_app(backend, RATELIMIT_ENABLED=False)
    counter = _add_counters(app)[0]
    _issue(app, clock, 5)
    _, token = make_staff(app)

    def press(url: str):
        def job():
            with requests.Session() as http:
                return http.post(f"{url}/api/v1/counters/{counter}/call-next",
                                 headers=bearer(token), timeout=60)
        return job

    with race_server(app, clock.now, tmp_path) as server:
        responses = race([press(server.url) for _ in range(CLICKS)])
        assert len(server.pids()) >= 2, "the race ran in one process"
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (CLICKS - 1), [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"counter_busy"}
    with app.app_context():
        at_counter = db.session.scalars(select(Ticket.number).where(
            Ticket.counter_id == counter, Ticket.status == "called")).all()
        assert len(at_counter) == 1
        assert db.session.scalar(select(func.count()).select_from(Ticket)
                                 .where(Ticket.status == "waiting")) == 4

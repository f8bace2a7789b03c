"""Call-next under real concurrent requests from several counters, on SQLite and on
PostgreSQL: no ticket is ever called twice, none is lost, and each counter's calls
follow the order of service.

Requests go through a real threaded HTTP server; a barrier releases them together.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import AuditEntry, Counter, Location, Service, Ticket
from queue_app.services import queue as queue_service

from queue_helpers import bearer, make_device, make_staff

EXTRA_COUNTERS = 3     # honcho has three; six counters race
THREADS_PER_COUNTER = 3
TICKETS = 60


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


def test_counters_racing_to_call_never_share_a_ticket(make_app, live_server, clock, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    counters = _add_counters(app)
    issued = _issue(app, clock, TICKETS)
    order = {ticket_id: i for i, ticket_id in enumerate(issued)}  # walk-ins: issue order
    _, token = make_staff(app)
    seq_before = _seq(app)
    server = live_server(app)
    workers = [(counter, n) for counter in counters for n in range(THREADS_PER_COUNTER)]
    barrier = threading.Barrier(len(workers))

    def work(worker):
        counter, _ = worker
        got, errors = [], []
        with requests.Session() as http:
            http.headers.update(bearer(token))
            barrier.wait()
            while True:
                response = http.post(f"{server.url}/api/v1/counters/{counter}/call-next", timeout=60)
                if response.status_code == 204:
                    return got, errors
                if response.status_code != 200:
                    errors.append((response.status_code, response.text))
                    return got, errors
                got.append(response.json()["ticket"]["id"])

    with ThreadPoolExecutor(len(workers)) as pool:
        results = list(pool.map(work, workers))

    assert [e for _, errors in results for e in errors] == []
    called = [ticket_id for got, _ in results for ticket_id in got]
    assert len(called) == len(set(called)) == TICKETS, "a ticket was called twice or lost"
    assert set(called) == set(issued)
    for got, _ in results:  # a counter's later call never takes an earlier ticket
        assert [order[t] for t in got] == sorted(order[t] for t in got)
    with app.app_context():
        rows = {t.id: t for t in db.session.scalars(select(Ticket))}
        assert {t.status for t in rows.values()} == {"called"}
        for (counter, _), (got, _) in zip(workers, results):
            assert {rows[t].counter_id for t in got} <= {counter}
        calls = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "ticket.call"))
        assert calls == TICKETS
    assert _seq(app) == seq_before + TICKETS  # one event per call, no gap


def test_many_counters_one_ticket_one_winner(make_app, live_server, clock, backend):
    app = make_app(backend, RATELIMIT_ENABLED=False)
    counters = _add_counters(app)
    _, token = make_staff(app)
    server = live_server(app)
    for _round in range(5):
        [ticket_id] = _issue(app, clock, 1)
        callers = counters * 2
        barrier = threading.Barrier(len(callers))

        def call(counter):
            with requests.Session() as http:
                barrier.wait()
                return http.post(f"{server.url}/api/v1/counters/{counter}/call-next",
                                 headers=bearer(token), timeout=60)

        with ThreadPoolExecutor(len(callers)) as pool:
            responses = list(pool.map(call, callers))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [204] * (len(callers) - 1), statuses
        [winner] = [r for r in responses if r.status_code == 200]
        assert winner.json()["ticket"]["id"] == ticket_id
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)
                                 .where(Ticket.status != "called")) == 0


def test_call_next_skips_a_row_another_transaction_holds(make_app, clock):
    """PostgreSQL: while one counter's transaction holds the first ticket, another
    counter takes the second at once instead of waiting (FOR UPDATE SKIP LOCKED); with
    a plain FOR UPDATE the second SELECT would wait and hit the lock timeout."""
    from conftest import TEST_DATABASE_URL, require

    require(bool(TEST_DATABASE_URL), "TEST_DATABASE_URL is not set (PostgreSQL)")
    app = make_app("postgresql")
    first, second = _issue(app, clock, 2)
    with app.app_context():
        engine = db.engine
        counter = db.session.get(Counter, 1)
        day = queue_service.business_date(clock.now)
        statement = queue_service.next_ticket_query(counter, day, postgresql=True)
        with engine.connect() as holder, engine.connect() as other:
            holder.begin()
            assert holder.execute(statement).first().id == first
            other.exec_driver_sql("SET lock_timeout = '2s'")
            assert other.execute(statement).first().id == second
            holder.rollback()
            other.rollback()

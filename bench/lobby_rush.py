"""The lobby's writes under load: walk-in tickets and check-ins from 8 kiosks at once.

Usage:  .venv/bin/python bench/lobby_rush.py [--clients 8] [--requests 50]
        [--worker-class gevent|gthread] [--postgres postgresql+psycopg://…]

For each database (SQLite, and PostgreSQL when a URL is given or TEST_DATABASE_URL is
set) it builds a fresh database with the demo city, a kiosk device and enough
reservations for this morning, and counts the SQL statements that one walk-in and one
check-in send (through Flask's test client, on the statement events of SQLAlchemy's
engine). Then it starts the production server (gunicorn, one process, as the README's
Production section runs it) on a clock set to a Tuesday at 10:00 in Tokyo, fires the
load for each path and prints tickets/s, p50 and p99 latency, and the CPU that the
server and PostgreSQL spent per ticket. Every ticket number must be unique: a
duplicate is printed and fails the run. Last, with the day's ~800 residents waiting, it
times the staff console's queue (``GET /locations/honcho/queue``: every waiting
ticket's position and estimate), one request at a time.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import sys
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _load  # noqa: E402
from _server import free_port, postgres_cpu, scratch_postgres, server_cpu, start_gunicorn, stop  # noqa: E402
from queue_app import create_app  # noqa: E402
from queue_app.config import TOKYO  # noqa: E402
from queue_app.demo_data import seed_demo  # noqa: E402
from queue_app.extensions import db  # noqa: E402
from queue_app.services import accounts, booking  # noqa: E402
from queue_app.services.credentials import sign_check_in  # noqa: E402

MORNING = datetime(2027, 1, 12, 10, 0, tzinfo=TOKYO)  # a Tuesday: every counter open
# Reservation counters, so that three slots hold 600 reservations; the first OPEN_EXTRA
# are open and serve both procedures, so that the day's reservations and the run's
# walk-ins can all be called before closing and the reception cut-off (受付終了) lets
# every walk-in in.
EXTRA_COUNTERS = 200
OPEN_EXTRA = 50
SERVER = ["--log-level", "warning"]


def _env(database_url: str, secret: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "SCHEDULER_ENABLED": "false",
            "RATELIMIT_ENABLED": "false", "SECRET_KEY": secret,
            "CLOCK_START": MORNING.isoformat()}  # the demo's pinned clock: open counters at any hour


def prepare(database_url: str, secret: str, reservations: int) -> tuple[str, list[str], str]:
    """The demo city, a kiosk at honcho and ``reservations`` bookings for the slots
    whose check-in window is open at 10:00; the kiosk's token, the QR payloads and a
    clerk's token."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SCHEDULER_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "SECRET_KEY": secret, "CLOCK": lambda: MORNING})
    with app.app_context():
        db.create_all()
        seed_demo(db.session)
        location_id = db.session.execute(text("SELECT id FROM locations WHERE slug='honcho'")).scalar()
        service_ids = [db.session.execute(text("SELECT id FROM services WHERE slug = :s"), {"s": slug}).scalar()
                       for slug in ("card-pickup", "reissue")]
        for i in range(EXTRA_COUNTERS):
            counter_id = db.session.execute(text(
                "INSERT INTO counters (location_id, name, position, takes_reservations, is_open) "
                "VALUES (:l, :n, :p, true, :open) RETURNING id"),
                {"l": location_id, "n": f"bench-{i}", "p": 10 + i, "open": i < OPEN_EXTRA}).scalar()
            for served in service_ids if i < OPEN_EXTRA else service_ids[:1]:
                db.session.execute(text("INSERT INTO counter_services (counter_id, service_id) "
                                        "VALUES (:c, :s)"), {"c": counter_id, "s": served})
        # No usual day (staffing by hour): the estimate then counts on every open counter.
        db.session.execute(text("DELETE FROM staffed_hours WHERE location_id = :l"), {"l": location_id})
        _device, token = accounts.create_device(db.session, "bench-kiosk", "kiosk", "honcho", MORNING)
        clerk = accounts.create_user(db.session, "bench-clerk", uuid.uuid4().hex, "staff", MORNING)
        staff_token = accounts.issue_token(db.session, clerk, MORNING, 24)
        db.session.commit()
        place, service = booking.get_place_and_service(db.session, "honcho", "card-pickup")
        starts = [MORNING + timedelta(minutes=m) for m in (0, 15, 30)]
        payloads = []
        for i in range(reservations):
            reservation, _ = booking.book_slot(
                db.session, location=place, service=service, start=starts[i % len(starts)],
                contact=booking.Contact(f"ベンチ {i}", f"lobby-{i}-{uuid.uuid4().hex[:6]}@example.jp", None),
                now=MORNING - timedelta(days=1), policy=booking.BookingPolicy())
            payloads.append(sign_check_in(reservation.code, secret))
        db.session.commit()
    with app.app_context():
        db.engine.dispose()
    return token, payloads, staff_token


def time_queue(url: str, staff_token: str, requests_: int = 20) -> tuple[float, int]:
    """The median time of ``GET /locations/honcho/queue``, one request at a time, and
    how many tickets it listed as waiting."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {staff_token}"
    times, waiting = [], 0
    for _ in range(requests_ + 2):
        started = time.perf_counter()
        response = session.get(f"{url}/locations/honcho/queue", timeout=30)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
        waiting = len(response.json()["waiting"])
    return statistics.median(times[2:]) * 1000, waiting


def count_statements(database_url: str, secret: str, token: str, payload: str) -> dict[str, int]:
    """The statements of one walk-in and one check-in (after a first walk-in, which
    fills the caches as a running server has them)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SCHEDULER_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "SECRET_KEY": secret, "CLOCK": lambda: MORNING})
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(statement))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    walk_in = {"location": "honcho", "service": "reissue"}
    assert client.post("/api/v1/tickets", json=walk_in, headers=headers).status_code == 201
    counts = {}
    for label, path, body in (("walk-in", "/api/v1/tickets", walk_in),
                              ("check-in", "/api/v1/check-ins", {"payload": payload})):
        statements.clear()
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        counts[label] = len(statements)
    engine.dispose()
    return counts


class WalkIn:
    def __call__(self, i: int) -> dict:
        return {"location": "honcho", "service": "reissue" if i % 2 else "card-pickup"}


class CheckIn:
    """Each request checks in a different reservation."""

    def __init__(self, payloads: list[str]):
        self.payloads = payloads

    def __call__(self, i: int) -> dict:
        return {"payload": self.payloads[i % len(self.payloads)]}


def duplicates(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(text(
            "SELECT count(*) FROM (SELECT location_id, business_date, number FROM tickets "
            "GROUP BY location_id, business_date, number HAVING count(*) > 1) AS d")).scalar()
    engine.dispose()
    return count


def bench_database(label: str, database_url: str, args) -> None:
    secret = "bench-" + uuid.uuid4().hex
    total = args.clients * args.requests
    token, payloads, staff_token = prepare(database_url, secret, total + 10)
    counts = count_statements(database_url, secret, token, payloads[-1])
    print(f"{label}: statements per walk-in {counts['walk-in']}, per check-in {counts['check-in']}")
    port = free_port()
    server = start_gunicorn(SERVER + ["--worker-class", args.worker_class, "--workers", "1",
                                      "--threads", "8"], "wsgi:app", _env(database_url, secret), port)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        url = f"http://127.0.0.1:{port}/api/v1"
        _load.run(f"{url}/tickets", 4, 5, WalkIn(), headers=headers)  # warm-up
        for path, make_body in (("walk-in", WalkIn()), ("check-in", CheckIn(payloads[:total]))):
            server_before, postgres_before = server_cpu(server), postgres_cpu()
            result = _load.run(f"{url}/{'tickets' if path == 'walk-in' else 'check-ins'}",
                               args.clients, args.requests, make_body, headers=headers)
            per = 1000 / max(result["requests"], 1)
            cpu = f"server {(server_cpu(server) - server_before) * per:.1f} ms"
            if database_url.startswith("postgresql"):
                cpu += f", PostgreSQL {(postgres_cpu() - postgres_before) * per:.1f} ms"
            print(f"  {path:<9} {result['rps']:7.0f} tickets/s   p50 {result['p50']:6.1f} ms   "
                  f"p99 {result['p99']:6.1f} ms   n={result['requests']}  statuses={result['statuses']}"
                  f"   CPU per ticket: {cpu}")
        median, waiting = time_queue(url, staff_token)
        print(f"  staff queue ({waiting} waiting): {median:.1f} ms a request (median of 20)")
    finally:
        stop(server)
    duplicated = duplicates(database_url)
    print(f"  duplicate ticket numbers: {duplicated}")
    if duplicated:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=50, help="requests per client and path")
    parser.add_argument("--worker-class", default="gevent", choices=["gevent", "gthread"])
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL URL whose server may hold a scratch database")
    args = parser.parse_args()
    print(f"{args.clients} kiosks x {args.requests} requests per path, "
          f"server: gunicorn --worker-class {args.worker_class} --workers 1")
    with tempfile.TemporaryDirectory() as tmp:
        bench_database("SQLite", f"sqlite:///{tmp}/lobby.db", args)
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            bench_database("PostgreSQL", url, args)
    else:
        print("PostgreSQL: skipped (pass --postgres or set TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()

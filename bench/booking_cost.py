"""What one booking costs, without a server or concurrency: time per request through
Flask's test client, next to a bare Flask endpoint and a simple read, and (on SQLite,
which can trace them) the SQL statements a booking sends.

Usage:  .venv/bin/python bench/booking_cost.py [--requests 1000] [--profile]
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

It builds a fresh database (SQLite in a temporary folder, or a scratch PostgreSQL
database that is dropped afterwards) with the demo city and enough reservation
counters that the day never fills. ``--profile`` prints where a booking's time goes.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bare_app  # noqa: E402
from _server import scratch_postgres  # noqa: E402
from queue_app import create_app  # noqa: E402
from queue_app.config import TOKYO  # noqa: E402
from queue_app.demo_data import seed_demo  # noqa: E402
from queue_app.extensions import db  # noqa: E402

NOW = datetime(2027, 1, 12, 10, 0, tzinfo=TOKYO)  # a Tuesday; bookings go to Wednesday
EXTRA_COUNTERS = 400


def build_app(url: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "CLOCK": lambda: NOW})
    with app.app_context():
        db.create_all()
        seed_demo(db.session)
        location_id = db.session.execute(text("SELECT id FROM locations WHERE slug = 'honcho'")).scalar()
        service_id = db.session.execute(text("SELECT id FROM services WHERE slug = 'card-pickup'")).scalar()
        for i in range(EXTRA_COUNTERS):
            counter_id = db.session.execute(text(
                "INSERT INTO counters (location_id, name, position, takes_reservations, is_open) "
                "VALUES (:l, :n, :p, true, true) RETURNING id"),
                {"l": location_id, "n": f"bench-{i}", "p": 10 + i}).scalar()
            db.session.execute(text("INSERT INTO counter_services (counter_id, service_id) VALUES (:c, :s)"),
                               {"c": counter_id, "s": service_id})
        db.session.commit()
    return app


def per_request_ms(call, count: int) -> float:
    for _ in range(min(count // 10, 100)):
        call()
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count * 1000


def sqlite_statements(app, call) -> list[str]:
    """What SQLite itself was asked during ``call()`` (the booking's inserts go to the
    driver directly, past SQLAlchemy's statement events), on a fresh connection."""
    statements: list[str] = []

    def trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(lambda sql: statements.append(" ".join(sql.split()[:3])))

    with app.app_context():
        db.engine.dispose()
        event.listen(db.engine, "connect", trace)
        call()
        event.remove(db.engine, "connect", trace)
        db.engine.dispose()
    return statements


def measure(url: str, count: int, profile: bool) -> None:
    app = build_app(url)
    client = app.test_client()
    starts = [s["start"] for s in client.get("/api/v1/availability", query_string={
        "location": "honcho", "service": "card-pickup", "date": "2027-01-13"}).get_json()["slots"]]
    serial = iter(range(10**9))

    def booking():
        i = next(serial)
        response = client.post("/api/v1/reservations", json={
            "location": "honcho", "service": "card-pickup", "start": starts[i % len(starts)],
            "name": f"ベンチ {i}", "email": f"cost-{i}-{uuid.uuid4().hex[:6]}@example.jp"})
        assert response.status_code == 201, response.get_json()

    bare = bare_app.app.test_client()
    print(f"{'bare Flask JSON endpoint':<34} {per_request_ms(lambda: bare.post('/bare', json={'name': 'x'}), count):6.2f} ms")
    print(f"{'GET /api/v1/locations':<34} {per_request_ms(lambda: client.get('/api/v1/locations'), count):6.2f} ms")
    print(f"{'POST /api/v1/reservations':<34} {per_request_ms(booking, count):6.2f} ms")

    if url.startswith("sqlite"):
        print(f"SQL statements per booking: {', '.join(sqlite_statements(app, booking))}")


    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            booking()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"queue_app|flask_smorest", 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--database", help="a PostgreSQL URL whose server may hold a scratch database")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.database:
            url = stack.enter_context(scratch_postgres(args.database))
        else:
            url = f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/cost.db"
        print(f"{args.requests} requests each, one at a time, {url.split(':')[0]}")
        measure(url, args.requests, args.profile)


if __name__ == "__main__":
    main()

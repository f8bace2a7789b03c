"""Call-next latency with 10 and with 10,000 waiting tickets at one place.

Usage:  .venv/bin/python bench/call_next.py [--calls 1000] [--sizes 10 10000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each database (SQLite, and PostgreSQL when --postgres or TEST_DATABASE_URL is
given) it builds a fresh one (``flask db upgrade`` + ``seed-demo``), signs a staff user
in, starts gunicorn (one gthread worker, the README's command for SQLite; call-next
does no WebSocket work, so the worker class matters little here) and, for each queue
size, fills today's queue at ``honcho`` with that many waiting tickets, then calls
``POST /api/v1/counters/{id}/call-next`` one request at a time through real HTTP. After every call one ticket is added at the back (outside
the timing), so the queue holds exactly N waiting tickets before each call. It
prints p50/p99 latency per size, the 10,000/10 ratio of p99, and the query plan of
call-next's SELECT on the full table (it must read ix_tickets_call_order in order).
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, delete, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _server import free_port, scratch_postgres, start_gunicorn, stop  # noqa: E402
from queue_app.config import TOKYO  # noqa: E402

SERVER = ["--worker-class", "gthread", "--workers", "1", "--threads", "4", "--log-level", "warning"]
WARM_UP = 50


def _env(database_url: str, secret: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "SCHEDULER_ENABLED": "false",
            "RATELIMIT_ENABLED": "false", "SECRET_KEY": secret}


def prepare(database_url: str, secret: str) -> tuple[str, int, int]:
    """Schema, demo city, a staff token; returns (token, place id, counter id)."""
    env = _env(database_url, secret)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    from queue_app import create_app
    from queue_app.extensions import db
    from queue_app.models import Counter, Location
    from queue_app.services import accounts

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SCHEDULER_ENABLED": False,
                      "SECRET_KEY": secret})
    with app.app_context():
        now = app.config["CLOCK"]()
        user = accounts.create_user(db.session, f"bench-{uuid.uuid4().hex[:6]}",
                                    secrets.token_urlsafe(12), "staff", now)
        token = accounts.issue_token(db.session, user, now, 12)
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        counter = db.session.scalar(select(Counter).where(Counter.location_id == place.id)
                                    .order_by(Counter.position))
        db.session.commit()
        ids = (place.id, counter.id)
        db.engine.dispose()
    return token, *ids


class Queue:
    """Fills today's queue with waiting walk-in tickets, straight into the table."""

    def __init__(self, database_url: str, location_id: int):
        from queue_app.models import Service, Ticket

        self.table = Ticket.__table__
        self.engine = create_engine(database_url)
        self.location_id = location_id
        with self.engine.connect() as conn:
            self.services = list(conn.execute(select(Service.id)).scalars())
        self.serial = 0
        self.clock = datetime.now(TOKYO) - timedelta(hours=1)

    def _rows(self, count: int) -> list[dict]:
        rows = []
        for _ in range(count):
            self.serial += 1
            self.clock += timedelta(milliseconds=10)
            rows.append({
                "id": secrets.token_urlsafe(16), "location_id": self.location_id,
                "service_id": random.choice(self.services), "business_date": self.clock.date(),
                "number": f"W-{self.serial:05d}", "kind": "walk_in", "status": "waiting",
                "priority": "normal", "band": 2, "order_at": self.clock, "issued_at": self.clock,
                "recall_count": 0})
        return rows

    def reset(self, size: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(self.table))
            for start in range(0, size, 2000):
                conn.execute(insert(self.table), self._rows(min(2000, size - start)))
        if self.engine.dialect.name == "postgresql":
            # The steady state autovacuum keeps in production: statistics and the
            # visibility map (index-only counts) of the freshly filled table.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE tickets"))

    def add_one(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(self.table), self._rows(1))

    def waiting(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM tickets WHERE status = 'waiting'")).scalar()

    def plan(self, counter_id: int) -> str:
        """EXPLAIN (QUERY PLAN) of call-next's SELECT, exactly as the service builds it."""
        from sqlalchemy.orm import Session

        from queue_app.models import Counter
        from queue_app.services.queue import business_date, next_ticket_query

        postgresql = self.engine.dialect.name == "postgresql"
        with Session(self.engine) as session:
            counter = session.get(Counter, counter_id)
            statement = next_ticket_query(counter, business_date(datetime.now(TOKYO)), postgresql)
            sql = str(statement.compile(self.engine, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN ANALYZE " if postgresql else "EXPLAIN QUERY PLAN "
            rows = session.execute(text(prefix + sql)).all()
            session.rollback()
        return "\n".join("    " + str(row[-1]) for row in rows)

    def dispose(self) -> None:
        self.engine.dispose()


def measure(url: str, token: str, counter_id: int, queue: Queue, size: int, calls: int) -> dict:
    queue.reset(size)
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    endpoint = f"{url}/api/v1/counters/{counter_id}/call-next"
    latencies = []
    for i in range(WARM_UP + calls):
        started = time.perf_counter()
        response = http.post(endpoint, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"call-next answered {response.status_code}: {response.text}")
        if i >= WARM_UP:
            latencies.append(elapsed)
        queue.add_one()  # back to exactly `size` waiting, outside the timing
    assert queue.waiting() == size
    latencies.sort()
    return {"size": size, "calls": calls, "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "max": latencies[-1]}


def bench_database(label: str, database_url: str, args) -> None:
    secret = "bench-" + uuid.uuid4().hex
    token, location_id, counter_id = prepare(database_url, secret)
    queue = Queue(database_url, location_id)
    port = free_port()
    server = start_gunicorn(SERVER, "wsgi:app", _env(database_url, secret), port)
    results = []
    try:
        for size in args.sizes:
            results.append(measure(f"http://127.0.0.1:{port}", token, counter_id, queue, size,
                                   args.calls))
        plan = queue.plan(counter_id)
    finally:
        stop(server)
        queue.dispose()
    for r in results:
        print(f"{label:<11} {r['size']:>6} waiting   p50 {r['p50']:6.2f} ms   p99 {r['p99']:6.2f} ms"
              f"   max {r['max']:6.2f} ms   ({r['calls']} calls)")
    if len(results) > 1:
        ratio = results[-1]["p99"] / results[0]["p99"]
        verdict = "ok" if ratio <= 2 and max(r["p99"] for r in results) < 20 else "GOAL MISSED"
        print(f"{label:<11} p99 ratio {results[-1]['size']}/{results[0]['size']}: {ratio:.2f}"
              f"   (goal: p99 < 20 ms, ratio <= 2: {verdict})")
    print(f"{label:<11} plan of call-next's SELECT with {args.sizes[-1]} tickets:\n{plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="measured calls per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 10000])
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL URL whose server may hold a scratch database")
    args = parser.parse_args()
    print(f"call-next, one request at a time, {args.calls} calls per size after {WARM_UP} warm-up; "
          f"server: gunicorn {' '.join(SERVER)}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_database("SQLite", f"sqlite:///{tmp}/bench.db", args)
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            bench_database("PostgreSQL", url, args)
    else:
        print("PostgreSQL: skipped (pass --postgres or set TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()

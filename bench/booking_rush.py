"""Booking rush: many concurrent residents booking the same day, against gunicorn.

Usage:  .venv/bin/python bench/booking_rush.py [--clients 32] [--requests 100]
        [--worker-class gevent|gthread] [--workers 1] [--threads 8]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each database it builds a fresh one (migrations + demo city, with 200 extra
reservation counters so the day never fills and every request is a real booking),
starts the production server (gunicorn; by default one gevent process, as README's
Production section runs it), fires the load and prints requests/s, p50 and p99
latency, and overbookings (slots holding more reservations than their capacity: must
be 0). A bare Flask JSON endpoint, served the same way, is measured before and after
each database, and the booking's throughput is printed as a ratio to it.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _load  # noqa: E402
from _server import free_port, postgres_cpu, scratch_postgres, server_cpu, start_gunicorn, stop  # noqa: E402

SERVER_SIZE: list[str] = []  # set from the command line
EXTRA_COUNTERS = 200  # seats per slot: 2 demo counters + these (the day never fills)
SERVER = ["--log-level", "warning"]


def _env(database_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "SCHEDULER_ENABLED": "false",
            "RATELIMIT_ENABLED": "false", "SECRET_KEY": "bench-" + uuid.uuid4().hex}


def prepare_database(database_url: str) -> None:
    env = _env(database_url)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        location_id = conn.execute(text("SELECT id FROM locations WHERE slug='honcho'")).scalar()
        service_id = conn.execute(text("SELECT id FROM services WHERE slug='card-pickup'")).scalar()
        for i in range(EXTRA_COUNTERS):
            counter_id = conn.execute(text(
                "INSERT INTO counters (location_id, name, position, takes_reservations, is_open) "
                "VALUES (:l, :n, :p, true, true) RETURNING id"),
                {"l": location_id, "n": f"bench-{i}", "p": 10 + i}).scalar()
            conn.execute(text("INSERT INTO counter_services (counter_id, service_id) VALUES (:c, :s)"),
                         {"c": counter_id, "s": service_id})
    engine.dispose()


def next_open_day(base_url: str) -> tuple[date, list[str]]:
    """The first working day, from tomorrow, with bookable slots."""
    day = date.today() + timedelta(days=1)
    for _ in range(20):
        body = requests.get(f"{base_url}/api/v1/availability", params={
            "location": "honcho", "service": "card-pickup", "date": day.isoformat()}, timeout=10).json()
        starts = [s["start"] for s in body["slots"] if s["remaining"] > 0]
        if starts:
            return day, starts
        day += timedelta(days=1)
    raise RuntimeError("no open day found")


class Booking:
    """Picklable body factory: a distinct resident for a random slot of the day."""

    def __init__(self, starts: list[str]):
        self.starts = starts

    def __call__(self, i: int) -> dict:
        return {"location": "honcho", "service": "card-pickup", "start": random.choice(self.starts),
                "name": f"ベンチ {i}", "email": f"bench-{i}-{uuid.uuid4().hex[:6]}@example.jp"}


def bare_body(i: int) -> dict:
    return {"name": f"ベンチ {i}"}


def overbookings(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        over_slots = conn.execute(text("SELECT count(*) FROM slots WHERE booked > capacity")).scalar()
        mismatched = conn.execute(text(
            "SELECT count(*) FROM slots s WHERE s.booked <> (SELECT count(*) FROM reservations r "
            "WHERE r.slot_id = s.id AND r.status IN ('booked','checked_in'))")).scalar()
        over_real = conn.execute(text(
            "SELECT count(*) FROM slots s WHERE (SELECT count(*) FROM reservations r "
            "WHERE r.slot_id = s.id AND r.status IN ('booked','checked_in')) > s.capacity")).scalar()
    engine.dispose()
    return over_slots + mismatched + over_real


def measured(server, url: str, make_body, args) -> dict:
    """The load, with the CPU that the server, the load generator and PostgreSQL's
    processes spent per request (they share the machine)."""
    server_before, postgres_before = server_cpu(server), postgres_cpu()
    result = _load.run(url, args.clients, args.requests, make_body)
    per_request = 1000 / max(result["requests"], 1)
    result["cpu"] = {"server": (server_cpu(server) - server_before) * per_request,
                     "load generator": result["client_cpu"] * per_request,
                     "PostgreSQL": (postgres_cpu() - postgres_before) * per_request}
    return result


def report(label: str, result: dict) -> None:
    print(f"{label:<28} {result['rps']:8.0f} req/s   p50 {result['p50']:6.1f} ms   "
          f"p99 {result['p99']:6.1f} ms   n={result['requests']}  statuses={result['statuses']}")
    print(f"{'':28} CPU per request: " + ", ".join(
        f"{name} {ms:.2f} ms" for name, ms in result["cpu"].items() if ms >= 0.005))


def bench_database(label: str, database_url: str, args) -> dict:
    prepare_database(database_url)
    port = free_port()
    server = start_gunicorn(SERVER + SERVER_SIZE, "wsgi:app", _env(database_url), port)
    try:
        url = f"http://127.0.0.1:{port}"
        day, starts = next_open_day(url)
        _load.run(f"{url}/api/v1/reservations", 4, 5, Booking(starts))  # warm-up
        result = measured(server, f"{url}/api/v1/reservations", Booking(starts), args)
    finally:
        stop(server)
    report(f"booking ({label}, {day})", result)
    result["overbookings"] = overbookings(database_url)
    return result


def bench_bare(args) -> float:
    port = free_port()
    bare = start_gunicorn(SERVER + SERVER_SIZE, "bare_app:app",
                          {**os.environ, "PYTHONPATH": str(ROOT / "bench")}, port)
    try:
        _load.run(f"http://127.0.0.1:{port}/bare", 4, 5, bare_body)
        result = measured(bare, f"http://127.0.0.1:{port}/bare", bare_body, args)
    finally:
        stop(bare)
    report("bare Flask JSON endpoint", result)
    return result["rps"]


def compare(label: str, booking: dict, bare_before: float, bare_after: float) -> None:
    """The machine's speed drifts (other tenants): the bare endpoint is measured just
    before and just after each database, and the booking compared with their mean."""
    print(f"{label + ' booking:':<28} ratio to bare endpoint {booking['rps'] / ((bare_before + bare_after) / 2):.2f} "
          f"(mean of the two around it)   overbookings: {booking['overbookings']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=100, help="requests per client")
    parser.add_argument("--worker-class", default="gevent", choices=["gevent", "gthread"])
    parser.add_argument("--workers", type=int, default=1, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per process (gthread)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL URL whose server may hold a scratch database")
    args = parser.parse_args()
    SERVER_SIZE[:] = ["--worker-class", args.worker_class, "--workers", str(args.workers),
                      "--threads", str(args.threads)]
    print(f"{args.clients} clients x {args.requests} requests, "
          f"server: gunicorn {' '.join(SERVER + SERVER_SIZE)}")

    bare = [bench_bare(args)]
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_result = bench_database("SQLite", f"sqlite:///{tmp}/bench.db", args)
    bare.append(bench_bare(args))
    compare("SQLite", sqlite_result, *bare[-2:])
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            postgres_result = bench_database("PostgreSQL", url, args)
        bare.append(bench_bare(args))
        compare("PostgreSQL", postgres_result, *bare[-2:])
    else:
        print("PostgreSQL: skipped (pass --postgres or set TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()

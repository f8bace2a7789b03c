"""A year's summary report: how long ``GET /api/v1/reports/summary`` takes over a year
of history (about 100,000 tickets at one place).

Usage:  .venv/bin/python bench/reports.py [--tickets 100000] [--runs 7]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

It builds a fresh database (SQLite in a temporary folder by default; with
``--postgres``, a scratch database on that server, dropped at the end) with the
migrations and the demo city, gives ``honcho`` twelve counters, and fills the year
2026 with bulk Core inserts: on each working day (the calendar's own rules) about
``tickets / working days`` tickets, a third of them reservations (with their slots,
no-shows and cancellations), the counters' open stretches (lunch breaks included) and
a few walk-ins turned away at the end of the day. Then it asks for the whole year's
summary, once through the service (``services.reports.get_summary``) and once through
the API with a staff token (Flask's test client, so JSON included, no network),
``--runs`` times each after one warm-up, and prints the median and the maximum.
The goal: under one second on PostgreSQL.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time as wall_clock
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _server import scratch_postgres  # noqa: E402
from queue_app.config import TOKYO  # noqa: E402

YEAR = 2026
COUNTERS = 12  # at honcho: 3 demo counters + 9 more, enough for ~400 residents a day
SEATS = 4  # per 15-minute slot
NOW = datetime(YEAR + 1, 1, 5, 10, 0, tzinfo=TOKYO)


def build(app, tickets_wanted: int, seed: int = 2026) -> dict:
    """Fill the year; returns what was written."""
    from queue_app.extensions import db
    from queue_app.models import (Counter, CounterSession, Location, Reservation, Service, Slot, Ticket,
                                  TurnedAway)
    from queue_app.services import calendar

    rng = random.Random(seed)
    with app.app_context():
        session = db.session
        honcho = session.scalar(select(Location).where(Location.slug == "honcho"))
        services = list(session.scalars(select(Service).order_by(Service.position)))
        for i in range(COUNTERS - len(honcho.counters)):
            session.add(Counter(location=honcho, name=f"bench-{i + 1}", position=10 + i,
                                takes_reservations=True, is_open=True, services=services))
        session.commit()
        counters = [c.id for c in session.scalars(select(Counter).where(Counter.location_id == honcho.id))]
        reservable = [s.id for s in services if s.reservable]
        walk_ins = [s.id for s in services]
        days = [d for d in (date(YEAR, 1, 1) + timedelta(n) for n in range(365))
                if calendar.get_day(session, honcho, d).open]
        per_day = max(tickets_wanted // len(days), 1)
        session.commit()

    rows = {"tickets": [], "reservations": [], "slots": [], "counter_sessions": [], "turned_away": []}
    slot_id = reservation_id = 0
    for day in days:
        opens = datetime.combine(day, time(8, 30), TOKYO)
        closes = datetime.combine(day, time(17, 15), TOKYO)
        for position, counter in enumerate(counters):
            if position % 3 == 2:  # a third of the counters take lunch, 12:00-13:00
                stretches = [(opens, datetime.combine(day, time(12), TOKYO)),
                             (datetime.combine(day, time(13), TOKYO), closes)]
            else:
                stretches = [(opens, closes)]
            for start, end in stretches:
                rows["counter_sessions"].append({"counter_id": counter, "location_id": honcho.id,
                                                 "business_date": day, "opened_at": start, "closed_at": end})
        numbers = {"R": 0, "W": 0}

        def ticket(kind, service, issued, reservation=None):
            prefix = "R" if kind == "reservation" else "W"
            numbers[prefix] += 1
            wait = rng.expovariate(1 / (8 if kind == "reservation" else 25))
            called = issued + timedelta(minutes=wait)
            status = "done" if rng.random() > 0.03 else "no_show"
            started = called + timedelta(minutes=rng.uniform(0.3, 3)) if status == "done" else None
            finished = (started + timedelta(minutes=rng.gauss(14, 4) if rng.random() > 0.01 else 40)
                        if started else called + timedelta(minutes=5))
            rows["tickets"].append({
                "id": secrets.token_hex(16), "location_id": honcho.id, "service_id": service,
                "reservation_id": reservation, "business_date": day,
                "number": f"{prefix}-{numbers[prefix]:03d}", "kind": kind, "status": status,
                "priority": "normal", "band": 1 if kind == "reservation" else 2, "order_at": issued,
                "issued_at": issued, "counter_id": rng.choice(counters), "called_at": called,
                "started_at": started, "finished_at": max(finished, started or called), "recall_count": 0})

        # Reservations: a third of the day's tickets, in 15-minute slots from 9:00 to 16:45.
        slot_starts = [datetime.combine(day, time(9), TOKYO) + timedelta(minutes=15 * n) for n in range(32)]
        booked = {start: 0 for start in slot_starts}
        for _ in range(min(per_day // 3, len(slot_starts) * SEATS)):
            free = [start for start, count in booked.items() if count < SEATS]
            start = rng.choice(free)
            booked[start] += 1
            roll = rng.random()
            status = "cancelled" if roll < 0.05 else "no_show" if roll < 0.13 else "done"
            reservation_id += 1
            rows["reservations"].append({
                "id": reservation_id, "code": uuid.uuid4().hex[:12].upper(), "token_hash": "0" * 64,
                "status": status, "location_id": honcho.id, "service_id": rng.choice(reservable),
                "slot_id": None, "starts_at": start, "ends_at": start + timedelta(minutes=15),
                "language": "ja", "proxy": False, "created_at": start - timedelta(days=7),
                "checked_in_at": start - timedelta(minutes=10) if status == "done" else None,
                "cancelled_at": start - timedelta(days=1) if status == "cancelled" else None})
            if status == "done":
                ticket("reservation", rows["reservations"][-1]["service_id"], start - timedelta(minutes=10),
                       reservation_id)
        for start in slot_starts:
            slot_id += 1
            rows["slots"].append({"id": slot_id, "location_id": honcho.id, "starts_at": start,
                                  "capacity": SEATS, "booked": booked[start]})
        # Walk-ins, through the day.
        for _ in range(per_day - numbers["R"]):
            issued = opens + timedelta(minutes=rng.uniform(0, 8 * 60))
            ticket("walk_in", rng.choice(walk_ins), issued)
        for _ in range(rng.randint(0, 6)):
            rows["turned_away"].append({"location_id": honcho.id, "service_id": rng.choice(walk_ins),
                                        "business_date": day,
                                        "at": datetime.combine(day, time(16), TOKYO)
                                        + timedelta(minutes=rng.uniform(0, 75))})
    slot_of = {(row["starts_at"]): row["id"] for row in rows["slots"]}
    for reservation in rows["reservations"]:
        reservation["slot_id"] = slot_of[reservation["starts_at"]]

    with app.app_context():
        for model, name in ((Slot, "slots"), (Reservation, "reservations"), (Ticket, "tickets"),
                            (CounterSession, "counter_sessions"), (TurnedAway, "turned_away")):
            table = model.__table__
            batch = rows[name]
            for offset in range(0, len(batch), 5000):
                db.session.execute(insert(table), batch[offset:offset + 5000])
        if db.engine.dialect.name == "postgresql":
            # The ids were given explicitly: move the sequences past them.
            for table in ("slots", "reservations"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        counts = {name: db.session.scalar(select(func.count()).select_from(model))
                  for model, name in ((Ticket, "tickets"), (Reservation, "reservations"), (Slot, "slots"),
                                      (CounterSession, "counter sessions"), (TurnedAway, "turned away"))}
    counts["working days"] = len(days)
    return counts


def measure(app, runs: int) -> dict:
    """Median and maximum milliseconds of the year's summary, service and API."""
    from queue_app.extensions import db
    from queue_app.services import accounts, reports

    with app.app_context():
        user = accounts.create_user(db.session, "bench-reports", "bench-password-1", "staff", NOW)
        token = accounts.issue_token(db.session, user, NOW, 12)
        db.session.commit()
    first, last = date(YEAR, 1, 1), date(YEAR, 12, 31)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    query = f"/api/v1/reports/summary?location=honcho&from={first}&to={last}"

    def service_call():
        with app.app_context():
            period = reports.get_period(db.session, "honcho", first, last)
            summary = reports.get_summary(db.session, period, NOW)
            db.session.rollback()
            return summary

    def api_call():
        response = client.get(query, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    results = {}
    for name, call in (("service", service_call), ("API", api_call)):
        summary = call()  # warm-up (and the figures printed below)
        times = []
        for _ in range(runs):
            started = wall_clock.perf_counter()
            call()
            times.append((wall_clock.perf_counter() - started) * 1000)
        results[name] = (statistics.median(times), max(times), summary)
    return results


def bench_database(label: str, url: str, args) -> None:
    from flask_migrate import upgrade

    from queue_app import create_app
    from queue_app.demo_data import seed_demo
    from queue_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": False, "TESTING": True,
                      "RATELIMIT_ENABLED": False, "CLOCK": lambda: NOW})
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        db.session.commit()
    started = wall_clock.perf_counter()
    counts = build(app, args.tickets)
    built = wall_clock.perf_counter() - started
    print(f"{label}: built in {built:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    results = measure(app, args.runs)
    for name, (median, worst, summary) in results.items():
        print(f"  year's summary via {name:7}: median {median:6.0f} ms, max {worst:6.0f} ms "
              f"({args.runs} runs)")
    summary = results["service"][2]
    print(f"  figures: tickets {summary['tickets']}, wait p50/p90 {summary['wait_minutes']['p50']}/"
          f"{summary['wait_minutes']['p90']} min, no-shows {summary['no_show_rate']}, "
          f"fill {summary['slot_fill_rate']}, utilisation {summary['counter_utilisation']}, "
          f"{len(summary['by_day'])} days, {len(summary['by_hour'])} hours")
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets in the year (about)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs after one warm-up")
    parser.add_argument("--postgres", default=None,
                        help="a PostgreSQL URL whose server may hold a scratch database")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=None,
                        help="also (or, with --no-sqlite, not) on SQLite; default: only when "
                             "no --postgres is given")
    args = parser.parse_args()
    on_sqlite = args.sqlite if args.sqlite is not None else not args.postgres
    if on_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench_database("SQLite", f"sqlite:///{tmp}/reports.db", args)
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            bench_database("PostgreSQL", url, args)


if __name__ == "__main__":
    os.environ.setdefault("SCHEDULER_ENABLED", "false")
    main()

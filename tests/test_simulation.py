"""The day simulator (queue_app/simulation.py) and ``flask staffing-advice``.

The days here are short (11:00-13:30, with the lunch rota at 12:00-13:00) so the file
runs in seconds; the bench (bench/simulate_day.py) plays whole days.
"""
from __future__ import annotations

import math
import random
import re
import sqlite3
from datetime import date, time, timedelta

from sqlalchemy import func, select, update

from queue_app import cli_staffing
from queue_app import simulation as sim
from queue_app.extensions import db
from queue_app.models import (AuditEntry, Location, OpeningHours, Reservation, ReservationStatus,
                              Service, Ticket, TicketStatus, TurnedAway)
from queue_app.services import booking, calendar

WARM_UP, DAY = date(2027, 2, 2), date(2027, 2, 3)  # a Tuesday and a Wednesday
ADVICE_DAY = date(2027, 2, 10)  # the Wednesday a week later


def short_app(path, seed: bool = True):
    """A scratch app whose places open 11:00-13:30 (slots 11:30-13:15)."""
    app = sim.scratch_app(path, seed=seed)
    with app.app_context():
        db.session.execute(update(OpeningHours).values(
            opens=time(11, 0), closes=time(13, 30), slots_from=time(11, 30), slots_until=time(13, 15)))
        db.session.commit()
    return app


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _day_tickets(app, day):
    with app.app_context():
        return db.session.execute(select(Ticket.kind, Ticket.status).where(Ticket.business_date == day)).all()


def test_a_simulated_day_runs_through_the_real_services(tmp_path):
    app = short_app(tmp_path / "day.db")
    load = sim.Load(walk_ins_per_hour=10)
    sim.simulate_day(app, "honcho", WARM_UP, load, seed=1)
    day = sim.simulate_day(app, "honcho", DAY, load, seed=1)

    # Residents came, through the kiosk and the booking service.
    assert len(day.walk_ins) >= 10 and day.booked >= 5 and 1 <= len(day.visits) <= day.booked
    assert day.refused == 0
    # Every walk-in was called (or turned away by 受付終了), inside the opening hours.
    assert all(w.called is not None for w in day.walk_ins)
    assert all(day.opens <= w.issued <= w.called < day.closes for w in day.walk_ins)
    assert all(v.called is not None and v.called < day.closes for v in day.visits)
    # Each was told an estimate at issue: a point inside a range; the baseline beside it.
    for w in day.walk_ins:
        assert w.position >= 1 and w.low <= w.estimate <= w.high and w.baseline >= 0
        assert w.baseline == (w.position - 1) * 10 / 3 or w.issued.hour == 12  # lunch: 2 open
    # Every ticket was completed by the counters; nothing is left waiting.
    tickets = _day_tickets(app, DAY)
    assert len(tickets) == len(day.walk_ins) + len(day.visits) == day.completed
    assert {status for _, status in tickets} == {TicketStatus.DONE}
    with app.app_context():
        session = db.session
        assert session.scalar(select(func.count()).select_from(TurnedAway)
                              .where(TurnedAway.business_date == DAY)) == day.turned_away
        # The lunch rota closed a counter at noon saying it is back at 13:00, and opened it.
        closes = session.scalars(select(AuditEntry).where(AuditEntry.action == "counter.close")).all()
        noon = [e for e in closes if e.at == calendar.at(DAY, time(12, 0))]
        assert len(noon) == 1 and noon[0].detail["until"].startswith("2027-02-03T13:00:00")
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "counter.open", AuditEntry.at == calendar.at(DAY, time(13, 0)))) == 1
        # The reservations that never came were marked as no-shows by the job.
        statuses = session.scalars(select(Reservation.status).where(
            Reservation.starts_at >= calendar.at(DAY, time(0)),
            Reservation.starts_at < calendar.at(DAY + timedelta(days=1), time(0)))).all()
        assert statuses.count(ReservationStatus.NO_SHOW) == day.booked - len(day.visits)
        assert statuses.count(ReservationStatus.DONE) == len(day.visits)

    figures = sim.accuracy([day])
    assert figures.walk_ins == figures.called == len(day.walk_ins)
    assert 0 <= figures.within_new <= 1 and 0 <= figures.in_range <= 1
    assert math.isfinite(figures.mae_new) and figures.mae_new >= abs(figures.bias_new)
    assert figures.latest_call_before_close > 0
    _dispose(app)


def _trace(day: sim.DayResult):
    return ([(w.number, w.issued, w.estimate, w.low, w.high, w.baseline, w.called) for w in day.walk_ins],
            [(v.starts, v.arrived, v.called) for v in day.visits], day.turned_away, day.last_leaves)


def test_a_seed_gives_the_same_day_twice(tmp_path):
    load = sim.Load(walk_ins_per_hour=14)
    traces = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        app = short_app(tmp_path / f"{name}.db")
        traces.append(_trace(sim.simulate_day(app, "honcho", DAY, load, seed=seed)))
        _dispose(app)
    assert traces[0] == traces[1]
    assert traces[0] != traces[2]


def test_the_reception_cut_off_turns_walk_ins_away_when_the_day_is_full(tmp_path):
    app = short_app(tmp_path / "full.db")
    day = sim.simulate_day(app, "honcho", DAY, sim.Load(walk_ins_per_hour=40), seed=2)
    assert day.turned_away > 0
    # Those let in were (nearly all) called before closing; none after it.
    called = [w for w in day.walk_ins if w.called is not None]
    assert len(called) >= len(day.walk_ins) - 1
    assert all(w.called < day.closes for w in called)
    _dispose(app)


# ---------------------------------------------------------------- staffing advice

RESIDENT = {"name": "山田 花子", "email": "hanako.yamada@example.jp", "phone": "090-1234-5678",
            "furigana": "ヤマダ ハナコ"}


def _source(tmp_path):
    """A small demo database: a past Wednesday played (the walk-in history), and
    reservations for ADVICE_DAY with real-looking residents."""
    app = short_app(tmp_path / "source.db")
    sim.simulate_day(app, "honcho", ADVICE_DAY - timedelta(days=7), sim.Load(walk_ins_per_hour=4), seed=3)
    with app.app_context():
        session = db.session
        location = session.scalar(select(Location).where(Location.slug == "honcho"))
        pickup = session.scalar(select(Service).where(Service.slug == "card-pickup"))
        policy = booking.BookingPolicy.from_config(app.config)
        now = calendar.at(ADVICE_DAY - timedelta(days=2), time(10, 0))
        contact = booking.validate_contact(RESIDENT["name"], RESIDENT["email"], RESIDENT["phone"],
                                           furigana=RESIDENT["furigana"])
        booking.book_slot(session, location=location, service=pickup, start=calendar.at(ADVICE_DAY, time(11, 30)),
                          contact=contact, now=now, policy=policy)
        session.commit()
        sim.book_day(session, location, ADVICE_DAY, sim.Load(booked_share=0.3), random.Random(4), policy)
    return app


def _rows(output: str) -> dict[int, tuple[float, float]]:
    rows = {}
    for line in output.splitlines():
        match = re.match(r"\s*(\d+) \|\s+(\d+) min \|\s+(\d+) min \|", line)
        if match:
            rows[int(match[1])] = (float(match[2]), float(match[3]))
    return rows


def test_staffing_advice_plays_the_day_with_one_to_n_counters(tmp_path):
    app = _source(tmp_path)
    result = app.test_cli_runner().invoke(args=["staffing-advice", "honcho", ADVICE_DAY.isoformat(),
                                                "--max-counters", "3", "--seeds", "1"])
    assert result.exit_code == 0, result.output
    assert "seen on Wednesdays" in result.output  # the rate came from the played Wednesday
    rows = _rows(result.stdout)
    assert sorted(rows) == [1, 2, 3]
    means, p90s = [rows[n][0] for n in (1, 2, 3)], [rows[n][1] for n in (1, 2, 3)]
    assert means == sorted(means, reverse=True) and p90s == sorted(p90s, reverse=True)
    assert means[0] > means[2]  # one counter keeps residents waiting longer than three
    # Nothing was written to the place's own database.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)
                                 .where(Ticket.business_date == ADVICE_DAY)) == 0
    bad = app.test_cli_runner().invoke(args=["staffing-advice", "honcho", "2027-02-11"])
    assert bad.exit_code != 0 and "closed" in bad.output  # National Foundation Day
    _dispose(app)


def test_the_advice_copy_holds_no_names_emails_or_phones(tmp_path):
    app = _source(tmp_path)
    with app.app_context():
        location = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        rules = cli_staffing.read_rules(db.session, location, ADVICE_DAY)
        source_codes = set(db.session.scalars(select(Reservation.code)))
        booked = db.session.scalar(select(func.count()).select_from(Reservation).where(
            Reservation.starts_at >= calendar.at(ADVICE_DAY, time(0))))
    _dispose(app)
    path = cli_staffing.prepare(rules, ADVICE_DAY, tmp_path / "copy.db", sim.Load(walk_ins_per_hour=4))

    with sqlite3.connect(path) as copy:
        dump = "\n".join(copy.iterdump())
        rows = copy.execute("SELECT name, furigana, email, phone, code, starts_at FROM reservations").fetchall()
        recipients = copy.execute("SELECT count(*) FROM outbox WHERE recipient IS NOT NULL").fetchone()
    for value in (RESIDENT["name"], "山田", "hanako", "yamada", "09012345678", "1234-5678", "ヤマダ", "example.jp", "模擬"):
        assert value not in dump
    assert all(name is None and furigana is None and email is None and phone is None
               for name, furigana, email, phone, _, _ in rows)
    assert not source_codes & {row[4] for row in rows}
    assert recipients == (0,)
    # The day's bookings are all there (as slots and procedures), beside the warm-up's.
    assert sum(1 for row in rows if row[5] >= "2027-02-10") == booked == len(rules["bookings"])

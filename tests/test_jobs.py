"""The scheduled jobs: no-shows, reminders, closing time, and the scheduler itself.
Every job is idempotent: a second run (or a restart) changes nothing and misses nothing."""
from __future__ import annotations

import logging
import secrets
import time
from datetime import date, datetime, timedelta

import click
import pytest
from sqlalchemy import create_engine, func, select, text

from conftest import TEST_DATABASE_URL, book
from queue_app import events, jobs
from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import BAND_WALK_IN, AuditEntry, Location, OutboxMessage, Reservation, Service, Ticket
from queue_app.services import booking, housekeeping
from resident_helpers import mail_config, outbox_rows, reservation_row, smtp  # noqa: F401


def _run(app, name):
    return jobs.run_job(app, name)


# ---------------------------------------------------------------- no-shows

def test_reservations_nobody_checked_in_for_become_no_shows(make_app, backend, clock):
    app = make_app(backend)
    client = app.test_client()
    early = book(client, start="2027-01-14T09:00:00+09:00").get_json()["code"]
    later = book(client, start="2027-01-14T09:15:00+09:00").get_json()["code"]
    arrived = book(client, start="2027-01-14T09:00:00+09:00").get_json()["code"]
    with app.app_context():
        row = db.session.scalar(select(Reservation).where(Reservation.code == arrived))
        row.status, row.checked_in_at = "checked_in", clock()
        db.session.commit()

    clock.set(2027, 1, 14, 9, 15)  # check-in is still open until 15 minutes after the start
    assert _run(app, "mark_no_shows") == 0
    clock.set(2027, 1, 14, 9, 15, 1)
    assert _run(app, "mark_no_shows") == 1
    assert _run(app, "mark_no_shows") == 0  # idempotent
    assert reservation_row(app, early).status == "no_show"
    assert reservation_row(app, later).status == "booked"
    assert reservation_row(app, arrived).status == "checked_in"
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reservation.no_show")).all()
        assert [(e.reservation_code, e.actor) for e in entries] == [(early, "job:no_shows")]


# ---------------------------------------------------------------- reminders

def test_reminders_are_queued_once_the_day_before(app, clock):
    client = app.test_client()
    tomorrow = book(client, start="2027-01-14T09:00:00+09:00").get_json()
    later = book(client, start="2027-01-15T09:00:00+09:00").get_json()
    phone_only = book(client, start="2027-01-14T09:15:00+09:00", email=None, phone="09011112222").get_json()
    cancelled = book(client, start="2027-01-14T10:00:00+09:00").get_json()
    client.delete(f"/api/v1/reservations/{cancelled['code']}?token={cancelled['token']}")

    clock.set(2027, 1, 13, 8, 59)  # nobody is woken at midnight
    assert _run(app, "queue_reminders") == 0
    clock.set(2027, 1, 13, 9, 0)
    assert _run(app, "queue_reminders") == 2  # an e-mail, and a text to the phone-only resident
    assert _run(app, "queue_reminders") == 0  # twice: nothing more
    reminders = [r for r in outbox_rows(app) if r.template == "reminder"]
    assert len(reminders) == 1
    assert [r.recipient for r in outbox_rows(app) if r.template == "sms_reminder"] == ["09011112222"]
    assert reservation_row(app, tomorrow["code"]).reminder_sent_at == clock()
    assert reservation_row(app, later["code"]).reminder_sent_at is None
    assert reservation_row(app, phone_only["code"]).reminder_sent_at == clock()

    # Moved to the next day: a reminder again, the day before the new date.
    with app.app_context():
        reservation = booking.get_reservation(db.session, tomorrow["code"], tomorrow["token"])
        booking.move_reservation(db.session, reservation, datetime(2027, 1, 15, 10, 0, tzinfo=TOKYO),
                                 clock(), booking.BookingPolicy())
        db.session.commit()
    assert _run(app, "queue_reminders") == 0
    clock.set(2027, 1, 14, 12, 0)
    assert _run(app, "queue_reminders") == 2  # the moved one and the one for the 15th
    keys = sorted(r.dedupe_key.split(":", 2)[2] for r in outbox_rows(app) if r.template == "reminder")
    assert keys == ["2027-01-14", "2027-01-15", "2027-01-15"]


# ---------------------------------------------------------------- closing time

def _ticket(session, slug: str, day: date, number: str, status: str = "waiting") -> str:
    location = session.scalar(select(Location).where(Location.slug == slug))
    service = session.scalar(select(Service).where(Service.slug == "card-pickup"))
    issued = datetime.combine(day, datetime.min.time(), tzinfo=TOKYO) + timedelta(hours=10)
    ticket = Ticket(id=secrets.token_urlsafe(12), location_id=location.id, service_id=service.id,
                    business_date=day, number=number, kind="walk_in", status=status,
                    band=BAND_WALK_IN, order_at=issued, issued_at=issued)
    session.add(ticket)
    return ticket.id


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(events.Publisher, "publish",
                        lambda _publisher, room, name, data: sent.append((room, name, data)))
    return sent


def test_tickets_still_waiting_at_closing_time_are_cancelled(make_app, backend, clock, published):
    app = make_app(backend)
    thursday = date(2027, 1, 14)  # honcho's extended window runs until 19:00 on Thursdays
    checked_in = book(app.test_client(), start="2027-01-14T16:00:00+09:00").get_json()["code"]
    with app.app_context():
        honcho = [_ticket(db.session, "honcho", thursday, f"W-00{i}") for i in range(1, 3)]
        reservation = db.session.scalar(select(Reservation).where(Reservation.code == checked_in))
        reservation.status = "checked_in"
        db.session.get(Ticket, honcho[0]).reservation_id = reservation.id
        serving = _ticket(db.session, "honcho", thursday, "W-003", status="serving")
        awara = _ticket(db.session, "awara", thursday, "W-001")
        yesterday = _ticket(db.session, "awara", thursday - timedelta(days=1), "W-009")
        db.session.commit()
        seq_before = {loc.slug: loc.seq for loc in db.session.scalars(select(Location))}

    clock.set(2027, 1, 14, 17, 14)
    assert _run(app, "cancel_waiting_at_closing") == 1  # only yesterday's leftover
    clock.set(2027, 1, 14, 17, 15)  # awara closes; honcho stays open for the extended window
    assert _run(app, "cancel_waiting_at_closing") == 1
    clock.set(2027, 1, 14, 19, 0)
    assert _run(app, "cancel_waiting_at_closing") == 2
    assert _run(app, "cancel_waiting_at_closing") == 0  # idempotent

    with app.app_context():
        rows = {t.id: t for t in db.session.scalars(select(Ticket))}
        for ticket_id in honcho + [awara, yesterday]:
            assert (rows[ticket_id].status, rows[ticket_id].cancel_reason) == ("cancelled", "closing_time")
        assert rows[serving].status == "serving"
        assert db.session.scalar(select(Reservation.status).where(Reservation.code == checked_in)) == "cancelled"
        logged = db.session.scalars(select(AuditEntry.ticket_id).where(AuditEntry.actor == "job:closing")).all()
        assert sorted(logged) == sorted(honcho + [awara, yesterday])
        seq_after = {loc.slug: loc.seq for loc in db.session.scalars(select(Location))}
    assert seq_after == {"honcho": seq_before["honcho"] + 1, "awara": seq_before["awara"] + 2}
    queue_events = [(room, data) for room, name, data in published if name == "queue"]
    room, data = queue_events[-1]
    assert (room, data["seq"], data["change"]) == ("location:honcho", seq_after["honcho"], "closing")
    assert data["waiting"] == {"priority": 0, "reservation": 0, "walk_in": 0}
    assert len(queue_events) == 3


# ---------------------------------------------------------------- the scheduler

def test_the_scheduler_command_runs_every_job_once(make_app, clock):
    app = make_app()
    book(app.test_client(), start="2027-01-12T11:00:00+09:00")
    clock.set(2027, 1, 12, 11, 16)
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    for name, _function, _seconds in jobs.JOBS:
        assert f"{name}:" in result.output
    assert "mark_no_shows: 1" in result.output
    assert app.test_cli_runner().invoke(args=["scheduler", "--once"]).output.count(": 0") >= 3


def test_the_scheduler_runs_in_the_background_in_tokyo_time(make_app, smtp):
    app = make_app(**mail_config(smtp.port))
    book(app.test_client())  # a confirmation waits in the outbox
    scheduler = jobs.start_scheduler(app)
    try:
        assert str(scheduler.timezone) == "Asia/Tokyo"
        assert {job.id for job in scheduler.get_jobs()} == {name for name, _, _ in jobs.JOBS}
        assert jobs.start_scheduler(app) is None  # one scheduler per app
        smtp.wait_for(1)  # the first run of send_outbox happens at start
    finally:
        scheduler.shutdown()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status == "sent")) == 1


def test_other_flask_commands_do_not_start_the_scheduler(make_app):
    app = make_app()
    with click.Context(click.Command("db"), info_name="db"):
        assert jobs.start_scheduler(app) is None
    assert "scheduler" not in app.extensions


def test_a_failing_job_is_logged_and_does_not_stop_the_scheduler(app, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(housekeeping, "mark_no_shows", broken)
    assert jobs.run_job(app, "mark_no_shows") is None
    assert "job mark_no_shows failed" in caplog.text


def _kill_connection(session, backend: str) -> None:
    """Kill the session's database connection from outside, as an operator or a failover
    would: pg_terminate_backend on PostgreSQL, the file handle closed on SQLite."""
    if backend == "sqlite":
        session.connection().connection.dbapi_connection.close()
        return
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.monotonic() + 10
            while conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                assert time.monotonic() < deadline, "the backend did not go away"
                time.sleep(0.02)
    finally:
        admin.dispose()


def test_a_job_whose_connection_is_killed_mid_job_fails_quietly_and_the_next_run_works(
        make_app, backend, clock, monkeypatch, caplog):
    app = make_app(backend)
    book(app.test_client(), start="2027-01-12T11:00:00+09:00")
    real = housekeeping.mark_no_shows

    def killed_mid_job(session, now, late_minutes):
        session.scalar(select(func.count()).select_from(Reservation))  # its transaction is open
        _kill_connection(session, backend)
        raise RuntimeError("the job failed after losing its connection")  # so run_job rolls back

    monkeypatch.setattr(housekeeping, "mark_no_shows", killed_mid_job)
    with caplog.at_level(logging.WARNING):
        assert jobs.run_job(app, "mark_no_shows") is None  # the rollback fails too: nothing escapes
    assert "job mark_no_shows failed" in caplog.text
    assert "rollback on a lost connection failed" in caplog.text

    monkeypatch.setattr(housekeeping, "mark_no_shows", real)
    clock.set(2027, 1, 12, 11, 16)
    assert jobs.run_job(app, "mark_no_shows") == 1
    assert jobs.run_job(app, "mark_no_shows") == 0
    with app.app_context():
        db.engine.dispose()

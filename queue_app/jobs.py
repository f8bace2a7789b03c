"""Scheduled jobs (APScheduler 3.x, Asia/Tokyo), each a call into the domain services.

The scheduler runs in exactly one process: in the web process when SCHEDULER_ENABLED is
true (the demo's default; off under tests), or alone with ``flask --app wsgi scheduler``
(then set SCHEDULER_ENABLED=false for the web workers). Every job claims its work in the
database, so a second scheduler by mistake, a restart or a job run twice sends nothing
twice and misses nothing; the exception is an e-mail whose sender was killed in the middle
of its SMTP conversation: it goes out again, under the same Message-ID, and the outbox
row records it (services/outbox.py). ``flask --app wsgi scheduler --once`` runs each job
once (cron).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import time as wall_clock
from datetime import datetime

import click
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask, current_app
from flask.cli import with_appcontext

from .config import TOKYO
from . import ops
from .extensions import db
from .models import OutboxMessage
from .resilience import discard_session
from .services import booking, housekeeping, outbox, staffing, waitlist
from . import clock

log = logging.getLogger(__name__)



# ---------------------------------------------------------------- the jobs

def send_outbox(limit: int = 50) -> dict:
    """Send due e-mail from the outbox; each message is claimed and marked as being sent
    (with its Message-ID, committed) before the SMTP conversation, so no transaction is
    held open across the network and a re-send after a crash is recognisable."""
    from .notify import (Mailer, SmsNotSent, TextMessage, build_message, describe_error, is_message_error,
                         sms_gateway)

    config = current_app.config
    sms = None  # loaded at the first text message: a wrong SMS_GATEWAY must not stop the e-mail
    report = {"sent": 0, "failed": 0, "skipped": 0}
    ids = outbox.get_due_ids(db.session, clock.now(), limit)
    db.session.commit()
    with Mailer(config) as mailer:
        for message_id in ids:
            now = clock.now()
            if not outbox.claim(db.session, message_id, now):
                db.session.rollback()
                continue
            message = db.session.get(OutboxMessage, message_id)
            attempts = message.attempts
            interrupted_at = message.sending_since
            if outbox.record_interrupted_send(db.session, message):
                # No address or other personal data in the log: the row id says which one.
                log.warning("outbox message %s (%s): the send started at %s never recorded its "
                            "outcome; sending again under the same Message-ID (possible duplicate)",
                            message_id, message.template, interrupted_at.isoformat())
            try:
                email = build_message(db.session, message, config, now)
            except Exception as error:  # noqa: BLE001 — one broken message must not block the rest
                log.exception("outbox message %s could not be built", message_id)
                outbox.mark_failed(db.session, message_id, attempts, describe_error(error), now)
                db.session.commit()
                report["failed"] += 1
                continue
            if isinstance(email, str):
                outbox.mark_skipped(db.session, message_id, email)
                db.session.commit()
                report["skipped"] += 1
                continue
            outbox.mark_sending(db.session, message_id, str(email["Message-ID"]), now)
            db.session.commit()  # the claim and the Message-ID are kept from here, before SMTP
            try:
                if isinstance(email, TextMessage):
                    sms = sms or sms_gateway(config)
                    sms.send(email)
                else:
                    mailer.send(email)
            except SmsNotSent as error:
                outbox.mark_skipped(db.session, message_id, str(error))
                db.session.commit()
                report["skipped"] += 1
                continue
            except Exception as error:  # noqa: BLE001 — any failure is retried later
                outbox.mark_failed(db.session, message_id, attempts, describe_error(error), clock.now())
                db.session.commit()
                log.warning("outbox message %s not sent (attempt %s): %s",
                            message_id, attempts, describe_error(error))
                report["failed"] += 1
                if is_message_error(error) or isinstance(email, TextMessage):
                    continue  # this message's fault, or the SMS provider's: the e-mail goes on
                break  # the server is down: leave the rest unclaimed, untried, for the next run
            outbox.mark_sent(db.session, message_id, clock.now())
            db.session.commit()
            report["sent"] += 1
    return report


def queue_reminders() -> int:
    """Queue tomorrow's reminders."""
    count = housekeeping.queue_reminders(db.session, clock.now(), current_app.config.get("REMINDER_HOUR", 9))
    db.session.commit()
    return count


def mark_no_shows() -> int:
    """Reservations nobody checked in for become no-shows."""
    codes = housekeeping.mark_no_shows(db.session, clock.now(), current_app.config["CHECKIN_LATE_MINUTES"])
    db.session.commit()
    return len(codes)


def purge_personal_data() -> int:
    """Remove names and contacts after the retention period."""
    count = housekeeping.purge_personal_data(
        db.session, clock.now(), current_app.config["PERSONAL_DATA_RETENTION_DAYS"])
    db.session.commit()
    return count


def purge_outreach_requests() -> int:
    """Remove the personal data of home-visit requests done or declined, after the same
    retention period as reservations."""
    from .services import outreach

    count = outreach.purge_personal_data(
        db.session, clock.now(), current_app.config["PERSONAL_DATA_RETENTION_DAYS"])
    db.session.commit()
    return count


def cancel_waiting_at_closing() -> int:
    """Cancel the tickets still waiting when the place closes."""
    counts = housekeeping.cancel_waiting_at_closing(db.session, clock.now())
    db.session.commit()
    return sum(counts.values())


def roll_counter_hours() -> dict:
    """Cut the counters' open time at closing and start it at the next opening."""
    report = staffing.roll_counter_hours(db.session, clock.now())
    db.session.commit()
    return report


def sweep_waitlists() -> dict:
    """Seat holds that ran out go to the next resident on the waitlist (or are freed),
    holds in hours a closure took are released (their residents wait on), seats on sale
    on a day someone waits for are held for them, and the entries of days gone by are
    purged."""
    report = waitlist.sweep(db.session, clock.now(), booking.BookingPolicy.from_config(current_app.config))
    db.session.commit()
    return report


# name, function, seconds between runs
JOBS = [
    ("send_outbox", send_outbox, 30),
    ("queue_reminders", queue_reminders, 15 * 60),
    ("mark_no_shows", mark_no_shows, 60),
    ("cancel_waiting_at_closing", cancel_waiting_at_closing, 5 * 60),
    ("purge_personal_data", purge_personal_data, 60 * 60),
    ("purge_outreach_requests", purge_outreach_requests, 60 * 60),
    ("roll_counter_hours", roll_counter_hours, 5 * 60),
    ("sweep_waitlists", sweep_waitlists, 60),
    ("heartbeat", ops.heartbeat, 60),  # what /readyz reads: the scheduler is alive
]


def run_job(app: Flask, name: str):
    """Run one job in its own app context; an error is logged, never raised into the
    scheduler, and the job simply tries again at its next run."""
    function = dict((n, f) for n, f, _ in JOBS)[name]
    with app.app_context():
        try:
            result = function()
        except Exception:  # noqa: BLE001
            log.exception("job %s failed", name)
            discard_session()  # even when the rollback itself fails (connection killed)
            ops.count_job_run(app, name, ok=False)
            return None
        else:
            ops.count_job_run(app, name, ok=True)
            return result
        finally:
            try:
                db.session.remove()
            except Exception:  # noqa: BLE001 — close() on a dead connection
                log.exception("job %s: closing its session failed", name)


# ---------------------------------------------------------------- the scheduler

def build_scheduler(app: Flask, scheduler_class=BackgroundScheduler):
    """A scheduler with every job, first run at once, never two runs of one job at a time."""
    scheduler = scheduler_class(timezone=TOKYO, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    intervals = app.config.get("SCHEDULER_INTERVALS", {})
    for name, _function, seconds in JOBS:
        scheduler.add_job(run_job, "interval", args=(app, name), id=name, name=name,
                          seconds=intervals.get(name, seconds), next_run_time=datetime.now(TOKYO))
    return scheduler


def _serving_process() -> bool:
    """False while a ``flask`` command other than ``run`` loads the app (db upgrade,
    seed-demo, the scheduler command itself…), and in the reloader's watcher process."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True  # gunicorn, wsgi import, a script
    if ctx.info_name != "run":
        return False
    if ctx.params.get("reload") and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return False
    return True


def start_scheduler(app: Flask):
    """Start the background jobs in this process (SCHEDULER_ENABLED)."""
    if "scheduler" in app.extensions or not _serving_process():
        return None
    scheduler = build_scheduler(app)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    log.info("scheduler started in process %s", os.getpid())
    return scheduler


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit (for cron).")
@with_appcontext
def scheduler_command(once: bool):
    """Run the scheduled jobs alone, in this process (web workers: SCHEDULER_ENABLED=false)."""
    app = current_app._get_current_object()
    if once:
        for name, _function, _seconds in JOBS:
            click.echo(f"{name}: {run_job(app, name)}")
        return
    scheduler = build_scheduler(app)
    # A service manager stops us with SIGTERM: shut the scheduler down cleanly then.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    scheduler.start()
    click.echo(f"scheduler running ({', '.join(n for n, _, _ in JOBS)}); Ctrl+C stops it")
    try:
        while True:
            wall_clock.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        scheduler.shutdown()

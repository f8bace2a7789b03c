"""Operations: is the server alive, is it ready, and how is it doing (README, "Health
and metrics"). Outside /api/v1, for load balancers, monitoring and Prometheus.

- ``GET /healthz``: 200 ``{"status": "ok"}`` while the process answers; touches nothing.
- ``GET /readyz``: 200 when everything this process depends on answers, else 503 with
  the same small JSON naming what is not: ``database`` (``SELECT 1``); ``redis`` when
  the app is configured with one (the Socket.IO message queue, the rate limits'
  storage, or ``REDIS_URL``); ``scheduler`` when a scheduler is meant to run for this
  deployment (``SCHEDULER_EXPECTED``: its heartbeat row, written every minute by the
  ``heartbeat`` job, must be younger than ``SCHEDULER_HEARTBEAT_MAX_AGE`` seconds); and
  ``outbox`` (no e-mail due for longer than ``OUTBOX_STUCK_MINUTES`` still unsent).
- ``GET /metrics``: Prometheus text format. Requests are counted and timed by endpoint
  (the Flask endpoint name, so ids in URLs never make new series); at each scrape the
  database is asked for the people waiting, today's tickets issued and called per
  place, the outbox backlog and the scheduler's heartbeat; the displays connected to
  this process are counted from its Socket.IO rooms; job runs and failures are counted
  by ``count_job_run`` (jobs.py calls it after each run). Never public in production: with
  ``METRICS_TOKEN`` set it needs ``Authorization: Bearer <METRICS_TOKEN>``; without it,
  only a direct request from this machine (127.0.0.1 or ::1, no ``X-Forwarded-For``)
  is answered, and in production (``APP_ENV=production``) nobody is: 404.

Each app keeps its own metrics registry (tests build many apps in one process), and
each server process its own counters: with one worker per process (README,
Production), scrape every process.
"""
from __future__ import annotations

import hmac
import logging
import os
import socket
import time
from datetime import datetime, timedelta

from flask import Blueprint, Flask, current_app, g, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import case, func, or_, select, text

from . import clock
from .extensions import db
from .models import Location, OutboxMessage, Ticket, TicketStatus
from .models.ops import SchedulerHeartbeat
from .resilience import discard_session
from .services import calendar
from .services.upserts import insert_for

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)

HEARTBEAT = "scheduler"
_LOOPBACK = {"127.0.0.1", "::1"}


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def init_ops(app: Flask) -> None:
    """Settings (from the environment unless ``create_app`` was given them), the
    request metrics and the routes."""
    env = os.environ
    config = app.config
    config.setdefault("METRICS_TOKEN", env.get("METRICS_TOKEN") or None)
    # A scheduler is meant to run when this process runs one, and always in production
    # (reminders, no-shows and purges depend on it); set false where none runs.
    config.setdefault("SCHEDULER_EXPECTED", _flag(
        env.get("SCHEDULER_EXPECTED"), config.get("SCHEDULER_ENABLED") or config.get("APP_ENV") == "production"))
    config.setdefault("SCHEDULER_HEARTBEAT_MAX_AGE", int(env.get("SCHEDULER_HEARTBEAT_MAX_AGE") or 180))
    config.setdefault("OUTBOX_STUCK_MINUTES", int(env.get("OUTBOX_STUCK_MINUTES") or 30))
    config.setdefault("REDIS_URL", env.get("REDIS_URL") or None)
    metrics = Metrics(app)
    app.extensions["ops_metrics"] = metrics
    app.before_request(metrics.started)
    app.after_request(metrics.finished)
    app.register_blueprint(bp)



def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- health and readiness

@bp.get("/healthz")
def healthz():
    """The process answers (nothing else is asked)."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz():
    """200 when the database, Redis (if configured), the scheduler (if expected) and the
    outbox are fine; 503 naming what is not."""
    checks = get_readiness(current_app.config, clock.now())
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not ready", **checks}
    return _no_store(jsonify(body)), 200 if ready else 503


def get_readiness(config, now: datetime) -> dict:
    """What /readyz reports: each check's name and ``"ok"``, or what is wrong with it."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 — any failure means "not ready", never a 500
        log.warning("readyz: database unavailable: %s", type(error).__name__)
        discard_session()
        checks["database"] = "down"
    if _redis_urls(config):
        checks["redis"] = "ok" if all(_redis_answers(url) for url in _redis_urls(config)) else "down"
    if checks["database"] == "ok":
        try:
            if config.get("SCHEDULER_EXPECTED"):
                checks["scheduler"] = _scheduler_state(now, config["SCHEDULER_HEARTBEAT_MAX_AGE"])
            checks["outbox"] = "stuck" if count_stuck_outbox(
                db.session, now, config["OUTBOX_STUCK_MINUTES"]) else "ok"
        except Exception as error:  # noqa: BLE001
            log.warning("readyz: check failed: %s", type(error).__name__)
            discard_session()
            checks["database"] = "down"
        finally:
            db.session.rollback()  # a read: end its transaction now
    return checks


def _redis_urls(config) -> list[str]:
    urls = [config.get("REDIS_URL"), config.get("SOCKETIO_MESSAGE_QUEUE"), config.get("RATELIMIT_STORAGE_URI")]
    return sorted({url for url in urls if isinstance(url, str) and url.startswith(("redis://", "rediss://",
                                                                                    "unix://"))})


_redis_clients: dict[str, object] = {}


def _redis_answers(url: str) -> bool:
    import redis

    try:
        client = _redis_clients.get(url)
        if client is None:
            client = _redis_clients[url] = redis.Redis.from_url(
                url, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except Exception as error:  # noqa: BLE001 — redis errors, bad URLs: "down"
        log.warning("readyz: redis unavailable: %s", type(error).__name__)
        return False


def _scheduler_state(now: datetime, max_age: int) -> str:
    beat = db.session.get(SchedulerHeartbeat, HEARTBEAT)
    if beat is None:
        return "no heartbeat"
    return "ok" if now - beat.beat_at <= timedelta(seconds=max_age) else "stale"


def count_stuck_outbox(session, now: datetime, minutes: int) -> int:
    """E-mail due for more than ``minutes`` and not being sent: the sender is not running
    (or cannot reach the mail server). A message waiting for its back-off is not due."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at < now - timedelta(minutes=minutes),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)))


# ---------------------------------------------------------------- the heartbeat

def record_heartbeat(session, now: datetime, process: str) -> None:
    """The scheduler is alive now (one row, replaced at each beat)."""
    table = SchedulerHeartbeat.__table__
    statement = insert_for(session)(table).values(name=HEARTBEAT, beat_at=now, process=process[:120])
    session.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"beat_at": statement.excluded.beat_at,
                                       "process": statement.excluded.process}))


def heartbeat() -> int:
    """The scheduler's job (jobs.JOBS, every minute): write the heartbeat /readyz reads."""
    record_heartbeat(db.session, clock.now(), f"{socket.gethostname()}:{os.getpid()}")
    db.session.commit()
    return 1


# ---------------------------------------------------------------- metrics

class Metrics:
    """One app's metrics: request counts and latency by endpoint, and a collector that
    reads the queue, the outbox and the heartbeat at each scrape."""

    def __init__(self, app: Flask):
        self.app = app
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("queue_http_requests", "HTTP requests answered, by endpoint",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("queue_http_request_duration_seconds",
                                 "Time to answer a request (until the view returned), by endpoint",
                                 ["endpoint", "method"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.jobs = Counter("queue_job_runs", "Scheduled job runs in this process, by job and outcome",
                            ["job", "outcome"], registry=self.registry)
        self.registry.register(_StateCollector(app))

    def started(self):
        g._ops_started = time.perf_counter()

    def finished(self, response):
        started = g.pop("_ops_started", None)
        # The endpoint name, never the URL: /tickets/<id> is one series, not one per ticket.
        endpoint = request.endpoint or "unmatched"
        method = request.method if request.method in _METHODS else "other"
        self.requests.labels(endpoint, method, str(response.status_code)).inc()
        if started is not None:
            self.latency.labels(endpoint, method).observe(time.perf_counter() - started)
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def count_job_run(app: Flask, job: str, ok: bool) -> None:
    """A scheduled job ran (``ok``) or failed, for ``queue_job_runs_total``. Counted in
    the process that runs the scheduler: scrape that one too (or read the heartbeat)."""
    metrics = app.extensions.get("ops_metrics")
    if metrics is not None:
        metrics.jobs.labels(job, "ok" if ok else "failed").inc()


class _StateCollector:
    """Gauges read at scrape time (so every process reports the same database figures)."""

    def __init__(self, app: Flask):
        self.app = app

    def describe(self):
        return []  # not known before a scrape: the figures come from the database

    def collect(self):
        up = GaugeMetricFamily("queue_database_up", "1 when the database answered this scrape")
        try:
            yield from self._from_database()
            up.add_metric([], 1)
        except Exception as error:  # noqa: BLE001 — a scrape must not fail with the database
            log.warning("metrics: database unavailable: %s", type(error).__name__)
            discard_session()
            up.add_metric([], 0)
        finally:
            db.session.rollback()
        yield up
        yield self._displays()

    def _from_database(self):
        now = self.app.config["CLOCK"]()
        today = calendar.today(now)
        session = db.session
        slugs = dict(session.execute(select(Location.id, Location.slug)).all())
        waiting = GaugeMetricFamily("queue_waiting", "People waiting now, by place", labels=["location"])
        issued = GaugeMetricFamily("queue_tickets_issued_today", "Tickets issued today, by place and kind",
                                   labels=["location", "kind"])
        called = GaugeMetricFamily("queue_tickets_called_today", "Tickets called today, by place",
                                   labels=["location"])
        counts = {(slug, kind): 0 for slug in slugs.values() for kind in ("reservation", "walk_in")}
        waits = {slug: 0 for slug in slugs.values()}
        calls = {slug: 0 for slug in slugs.values()}
        rows = session.execute(
            select(Ticket.location_id, Ticket.kind, func.count(),
                   func.sum(case((Ticket.status == TicketStatus.WAITING, 1), else_=0)),
                   func.count(Ticket.called_at))
            .where(Ticket.business_date == today).group_by(Ticket.location_id, Ticket.kind))
        for location_id, kind, total, waiting_now, called_today in rows:
            slug = slugs.get(location_id, str(location_id))
            counts[(slug, kind)] = total
            waits[slug] = waits.get(slug, 0) + int(waiting_now or 0)
            calls[slug] = calls.get(slug, 0) + int(called_today or 0)
        for (slug, kind), total in sorted(counts.items()):
            issued.add_metric([slug, kind], total)
        for slug, total in sorted(waits.items()):
            waiting.add_metric([slug], total)
        for slug, total in sorted(calls.items()):
            called.add_metric([slug], total)

        outbox = GaugeMetricFamily("queue_outbox_messages", "E-mail in the outbox not sent, by status",
                                   labels=["status"])
        backlog = dict(session.execute(select(OutboxMessage.status, func.count())
                                       .where(OutboxMessage.status.in_(("pending", "failed")))
                                       .group_by(OutboxMessage.status)).all())
        for status in ("pending", "failed"):
            outbox.add_metric([status], backlog.get(status, 0))
        oldest = session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now))
        overdue = GaugeMetricFamily("queue_outbox_oldest_due_seconds",
                                    "How long the oldest due e-mail has waited to be sent (0: none)")
        overdue.add_metric([], max((now - oldest).total_seconds(), 0) if oldest else 0)

        beat = session.get(SchedulerHeartbeat, HEARTBEAT)
        age = GaugeMetricFamily("queue_scheduler_heartbeat_age_seconds",
                                "Seconds since the scheduler's last heartbeat (absent: never)")
        if beat is not None:
            age.add_metric([], max((now - beat.beat_at).total_seconds(), 0))
        return [waiting, issued, called, outbox, overdue, age]

    def _displays(self):
        displays = GaugeMetricFamily("queue_display_connections",
                                     "Socket.IO clients (screens, phones, consoles) connected to this "
                                     "process, by place", labels=["location"])
        realtime = self.app.extensions.get("realtime")
        rooms = {}
        try:
            rooms = realtime.server.server.manager.rooms.get("/display", {}) if realtime else {}
        except AttributeError:  # no server yet
            rooms = {}
        for room, members in sorted(rooms.items(), key=lambda item: str(item[0])):
            if isinstance(room, str) and room.startswith("location:"):
                displays.add_metric([room.removeprefix("location:")], len(members))
        return displays


@bp.get("/metrics")
def metrics():
    """Prometheus text format; see the module's docstring for who may read it."""
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    if token:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            response = _no_store(jsonify(status=401, detail="Give the metrics token as a bearer token."))
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response, 401
    elif config.get("APP_ENV") == "production":
        return _no_store(jsonify(status=404, detail="Not found")), 404
    elif request.remote_addr not in _LOOPBACK or "X-Forwarded-For" in request.headers:
        return _no_store(jsonify(status=403, detail="Metrics are read from this machine only "
                                                    "(or set METRICS_TOKEN).")), 403
    registry = current_app.extensions["ops_metrics"].registry
    response = current_app.response_class(generate_latest(registry), mimetype=None)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return _no_store(response)

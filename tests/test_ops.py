"""Operations: /healthz answers while the process does; /readyz is 200 only while the
database, Redis (when configured), the scheduler's heartbeat and the outbox are fine,
and 503 naming the one that is not, and back to 200 once it is fine again; /metrics
speaks Prometheus and is not for the public."""
from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from conftest import TEST_DATABASE_URL
from queue_app import create_app
from queue_app.demo_data import seed_demo
from queue_app.extensions import db
from queue_app.models import OutboxMessage
from queue_app.ops import count_job_run, record_heartbeat
from queue_app.services import accounts
from test_faults import PrivateRedis


def readiness(app) -> tuple[int, dict]:
    response = app.test_client().get("/readyz")
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def test_healthz_answers_without_asking_anything(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")  # even with Redis away
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_200_when_the_database_and_redis_answer(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:6379/0")
    assert readiness(app) == (200, {"status": "ready", "database": "ok", "redis": "ok", "outbox": "ok"})


def test_readyz_follows_redis_down_and_back(make_app):
    redis_server = PrivateRedis().start()
    try:
        app = make_app(REDIS_URL=redis_server.url)
        assert readiness(app)[0] == 200
        redis_server.stop()
        status, body = readiness(app)
        assert status == 503 and body["redis"] == "down" and body["database"] == "ok"
        assert body["status"] == "not ready"
        redis_server.start()
        assert readiness(app)[0] == 200
    finally:
        redis_server.stop()


def test_readyz_is_503_with_an_unreachable_redis_url(make_app):
    app = make_app(SOCKETIO_MESSAGE_QUEUE=None, REDIS_URL="redis://127.0.0.1:1/0")
    status, body = readiness(app)
    assert status == 503 and body["redis"] == "down"


@pytest.fixture
def database_switch(request, make_app, tmp_path, clock):
    """An app, and a switch that takes its database away and brings it back: on SQLite
    the folder holding the file goes away; on PostgreSQL (when TEST_DATABASE_URL is set)
    the database refuses every connection, old and new, as a stopped server would."""
    if request.param == "sqlite":
        folder = tmp_path / "data"
        folder.mkdir()
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'queue.db'}",
                          "CLOCK": clock, "SCHEDULER_ENABLED": False, "REDIS_URL": None})
        with app.app_context():
            db.create_all()
            seed_demo(db.session)
            db.session.commit()

        def switch(up: bool) -> None:
            if up:
                (tmp_path / "elsewhere").rename(folder)
            else:
                folder.rename(tmp_path / "elsewhere")
                with app.app_context():
                    db.engine.dispose()  # pooled connections would keep the moved file open

        yield app, switch
        return
    app = make_app("postgresql", REDIS_URL=None)  # only the database goes away here
    name = app.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[1]
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")

    def switch(up: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if up else "false"}'))
            if not up:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name"), {"name": name})

    try:
        yield app, switch
    finally:
        switch(True)
        admin.dispose()


@pytest.mark.parametrize("database_switch", ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else []),
                         indirect=True)
def test_readyz_follows_the_database_down_and_back(database_switch):
    app, switch = database_switch
    assert readiness(app)[0] == 200
    switch(up=False)
    status, body = readiness(app)
    assert status == 503 and body == {"status": "not ready", "database": "down"}
    assert app.test_client().get("/healthz").status_code == 200  # the process still answers
    assert samples(app.test_client().get("/metrics"))[("queue_database_up", frozenset())] == 0
    switch(up=True)
    assert readiness(app)[0] == 200


def test_readyz_wants_a_recent_heartbeat_when_a_scheduler_is_expected(make_app, clock):
    app = make_app(SCHEDULER_EXPECTED=True, SCHEDULER_HEARTBEAT_MAX_AGE=180, REDIS_URL=None)
    status, body = readiness(app)
    assert status == 503 and body["scheduler"] == "no heartbeat"
    with app.app_context():
        record_heartbeat(db.session, clock(), "host:1")
        db.session.commit()
    assert readiness(app) == (200, {"status": "ready", "database": "ok", "scheduler": "ok", "outbox": "ok"})
    clock.advance(minutes=3)
    assert readiness(app)[0] == 200
    clock.advance(seconds=1)
    status, body = readiness(app)
    assert status == 503 and body["scheduler"] == "stale"
    with app.app_context():  # the scheduler beats again (the row is replaced, not added)
        record_heartbeat(db.session, clock(), "host:2")
        db.session.commit()
    assert readiness(app)[0] == 200


def test_readyz_sees_a_stuck_outbox(make_app, clock):
    app = make_app(OUTBOX_STUCK_MINUTES=30)
    with app.app_context():
        db.session.add(OutboxMessage(dedupe_key="confirmation:1", template="confirmation",
                                     created_at=clock() - timedelta(hours=1),
                                     next_attempt_at=clock() - timedelta(minutes=29)))
        db.session.commit()
    assert readiness(app)[0] == 200  # due, but not for long
    clock.advance(minutes=2)
    status, body = readiness(app)
    assert status == 503 and body["outbox"] == "stuck"


# ---------------------------------------------------------------- metrics

def samples(response) -> dict:
    """{(name, frozenset(labels)): value} of a Prometheus text answer."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def test_metrics_count_requests_by_endpoint_and_people_waiting(make_app, clock):
    app = make_app()
    client = app.test_client()
    with app.app_context():
        user = accounts.create_user(db.session, "clerk", "correct horse battery", "staff", clock())
        token = accounts.issue_token(db.session, user, clock(), 12)
        db.session.commit()
    staff = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    for service in ("reissue", "pin-reset"):
        response = client.post("/api/v1/tickets", json={"location": "honcho", "service": service}, headers=staff)
        assert response.status_code == 201, response.get_data(as_text=True)
    ticket_id = response.get_json()["id"]
    assert client.get(f"/api/v1/tickets/{ticket_id}").status_code == 200
    assert client.get("/api/v1/tickets/not-a-ticket").status_code == 404

    found = samples(client.get("/metrics"))
    requests_total = "queue_http_requests_total"
    assert found[(requests_total, frozenset({("endpoint", "ops.healthz"), ("method", "GET"),
                                             ("status", "200")}))] == 3
    assert found[(requests_total, frozenset({("endpoint", "tickets.create_walk_in"), ("method", "POST"),
                                             ("status", "201")}))] == 2
    # One series per endpoint, whatever the id in the URL: the ticket's page and the
    # unknown one share "tickets.get_ticket", told apart by their status only.
    assert found[(requests_total, frozenset({("endpoint", "tickets.get_ticket"), ("method", "GET"),
                                             ("status", "200")}))] == 1
    assert found[(requests_total, frozenset({("endpoint", "tickets.get_ticket"), ("method", "GET"),
                                             ("status", "404")}))] == 1
    assert not any(ticket_id in str(labels) for _name, labels in found)
    assert found[("queue_waiting", frozenset({("location", "honcho")}))] == 2
    assert found[("queue_waiting", frozenset({("location", "awara")}))] == 0
    assert found[("queue_tickets_issued_today", frozenset({("location", "honcho"), ("kind", "walk_in")}))] == 2
    assert found[("queue_outbox_messages", frozenset({("status", "pending")}))] == 0
    assert found[("queue_database_up", frozenset())] == 1
    assert ("queue_http_request_duration_seconds_count",
            frozenset({("endpoint", "ops.healthz"), ("method", "GET")})) in found


def test_metrics_need_the_token_when_one_is_set(make_app):
    app = make_app(METRICS_TOKEN="s3cret-scrape-token")
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"},
                         environ_base={"REMOTE_ADDR": "203.0.113.7"})  # from anywhere, with it
    assert "queue_waiting" in allowed.get_data(as_text=True)


def test_metrics_without_a_token_only_from_this_machine(make_app):
    client = make_app().test_client()
    assert client.get("/metrics").status_code == 200  # 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 403
    # Through a reverse proxy on this machine, the public is behind it: refused.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403


def test_metrics_are_not_public_in_production(make_app):
    app = make_app(APP_ENV="production", SECRET_KEY="x" * 32)
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/healthz").status_code == 200


def test_metrics_count_job_runs_and_failures(make_app):
    app = make_app()
    count_job_run(app, "send_outbox", ok=True)
    count_job_run(app, "send_outbox", ok=True)
    count_job_run(app, "mark_no_shows", ok=False)
    found = samples(app.test_client().get("/metrics"))
    assert found[("queue_job_runs_total", frozenset({("job", "send_outbox"), ("outcome", "ok")}))] == 2
    assert found[("queue_job_runs_total", frozenset({("job", "mark_no_shows"), ("outcome", "failed")}))] == 1
    assert ("queue_job_runs_total", frozenset({("job", "send_outbox"), ("outcome", "failed")})) not in found

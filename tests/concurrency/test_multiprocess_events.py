"""Several server processes behind one Redis message queue: two real gunicorn servers
on one database (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set). A call
handled by one process reaches displays connected to the other; calls and walk-ins
racing on both keep every place's ``seq`` gap-free and duplicate-free; a
``flask --app wsgi`` command process (no server in it) can publish too."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import Location
from tests.conftest import REDIS_URL, free_port, require
from tests.realtime_support import (ROOT, Recorder, ServerProcess, add_counters, add_tickets, api, call_next,
                                    counter_ids, quick_websocket_close, staff_token)


def _redis_up() -> bool:
    if not REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


class Cluster:
    """Two server processes (``a`` and ``b``) on one database and one Redis channel."""

    def __init__(self, app, worker: str, now):
        self.app = app
        self.channel = f"test-display-{uuid.uuid4().hex[:8]}"  # ours: other runs may share Redis
        self.database_url = app.config["SQLALCHEMY_DATABASE_URI"]
        self.servers = [ServerProcess(free_port(), self.database_url, now, message_queue=REDIS_URL,
                                      channel=self.channel, worker=worker) for _ in range(2)]
        self.a, self.b = self.servers
        self.clients: list[Recorder] = []
        for server in self.servers:
            server.launch()
        for server in self.servers:
            server.wait_ready()
        self.token, self.counters = staff_token(app), counter_ids(app)

    def connect(self, server) -> Recorder:
        client = Recorder(server.url).connect()
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            if client.client.connected:
                client.disconnect()
        for server in self.servers:
            server.stop()


@pytest.fixture
def make_cluster(make_app, backend, clock, monkeypatch):
    """``make_cluster(worker="gthread"|"gevent")``: two processes behind Redis."""
    require(_redis_up(), "REDIS_URL is not set or Redis is not reachable")
    quick_websocket_close(monkeypatch)
    app = make_app(backend)
    made: list[Cluster] = []

    def factory(worker: str = "gthread") -> Cluster:
        made.append(Cluster(app, worker, clock.now))
        return made[-1]

    yield factory
    for cluster in made:
        cluster.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def cluster(make_cluster):
    return make_cluster("gthread")


def db_seq(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Location.seq).where(Location.slug == "honcho"))


@pytest.mark.parametrize("worker", ["gthread", "gevent"])
def test_a_call_on_one_process_reaches_a_display_on_the_other(make_cluster, worker):
    cluster = make_cluster(worker)
    add_tickets(cluster.app, 2)
    display = cluster.connect(cluster.b)
    seq = display.wait_event("snapshot")["seq"]

    started = time.monotonic()
    ticket = call_next(cluster.a.url, cluster.token, cluster.counters["窓口1"])  # handled by A
    called = display.wait_event("called", timeout=2.0)
    assert time.monotonic() - started < 1.0
    assert (called["seq"], called["number"], called["counter"]) == (seq + 1, ticket["number"], "窓口1")

    # And the other way round, on the same displays.
    on_a = cluster.connect(cluster.a)
    assert on_a.wait_event("snapshot")["seq"] == seq + 1
    second = call_next(cluster.b.url, cluster.token, cluster.counters["窓口2"])
    assert on_a.wait_event("called", timeout=2.0)["number"] == second["number"]
    assert display.wait_event("called", timeout=2.0, seq=seq + 2)["counter"] == "窓口2"


def test_seq_stays_gap_free_across_processes_while_both_take_calls(cluster):
    total_calls, walk_ins = 24, 10
    # One resident at a counter at a time: each call goes to a counter of its own.
    added = add_counters(cluster.app, total_calls)
    extra = list(added.values())
    add_tickets(cluster.app, total_calls)
    on_a, on_b = cluster.connect(cluster.a), cluster.connect(cluster.b)
    start = on_b.wait_event("snapshot")["seq"]
    assert on_a.wait_event("snapshot")["seq"] == start
    errors: list[BaseException] = []

    def run(job):
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def calls(server, counters):
        for counter in counters:
            call_next(server.url, cluster.token, counter)

    def issue():
        for i in range(walk_ins):
            server = (cluster.a, cluster.b)[i % 2]
            answer = api(server.url, "POST", "/tickets", cluster.token,
                         json={"location": "honcho", "service": "reissue"})
            assert answer.status_code == 201, answer.text

    jobs = [lambda: calls(cluster.a, extra[0::2]), lambda: calls(cluster.b, extra[1::2]), issue]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors

    last = start + total_calls + walk_ins
    assert db_seq(cluster.app) == last
    for display in (on_a, on_b):
        display.wait_for(lambda n, d: n != "snapshot" and d["seq"] == last, 5, f"seq {last}")
        time.sleep(0.2)  # a duplicate would arrive right behind
        seqs = [d["seq"] for n, d in display.events if n != "snapshot"]
        assert sorted(seqs) == list(range(start + 1, last + 1)), seqs
        called = [d for n, d in display.events if n == "called"]
        assert {d["counter"] for d in called} == set(added)  # from both processes, one each
        assert len({d["number"] for d in called}) == total_calls  # nobody called twice


def test_a_command_process_publishes_through_the_message_queue(cluster):
    display = cluster.connect(cluster.b)
    seq = display.wait_event("snapshot")["seq"]
    env = {**os.environ, "DATABASE_URL": cluster.database_url, "SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
           "SOCKETIO_CHANNEL": cluster.channel, "SCHEDULER_ENABLED": "false"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "announce-resync", "honcho"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    event = display.wait_event("queue", timeout=3.0, resync=True)
    assert event["seq"] == seq + 1 == db_seq(cluster.app)
    assert f"seq {seq + 1}" in done.stdout

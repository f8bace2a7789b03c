"""Faults mid-traffic, with real servers: Redis stopped and started again under a live
app that keeps its rate limits and its display events there, and PostgreSQL killing
every connection of the app's database while residents book and read.

Nothing answers a 5xx but the documented ``503 unavailable`` (a write whose database
connection died under it), no acknowledged booking is lost, and a call made while Redis
was away reaches the lobby screen once Redis is back.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from queue_app.extensions import db
from queue_app.models import Reservation, Slot
from tests.conftest import free_port, require
from tests.realtime_support import (Recorder, ServerProcess, add_tickets, api, counter_ids,
                                    quick_websocket_close, staff_token)


class PrivateRedis:
    """A redis-server of the test's own, on a free port, so stopping it disturbs nobody."""

    def __init__(self):
        require(bool(shutil.which("redis-server")), "redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> "PrivateRedis":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=1).ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.stop()


def _book(base: str, minute: int, **headers) -> requests.Response:
    start = f"2027-01-14T{9 + minute // 4:02d}:{minute % 4 * 15:02d}:00+09:00"
    return requests.post(base + "/api/v1/reservations", timeout=10, headers=headers, json={
        "location": "honcho", "service": "card-pickup", "start": start, "name": "山田 花子",
        "email": f"fault-{minute}-{uuid.uuid4().hex[:8]}@example.jp"})


def test_with_redis_stopped_booking_and_sign_in_answer_and_a_call_reaches_the_screen_later(
        make_app, live_server, private_redis, monkeypatch, clock):
    quick_websocket_close(monkeypatch)
    channel = f"test-faults-{uuid.uuid4().hex[:8]}"
    app = make_app(RATELIMIT_STORAGE_URI=private_redis.url, SOCKETIO_MESSAGE_QUEUE=private_redis.url,
                   SOCKETIO_CHANNEL=channel, BOOKING_RATE_LIMIT="3/minute")
    server = live_server(app)  # process A: takes the bookings and the call
    other = ServerProcess(free_port(), app.config["SQLALCHEMY_DATABASE_URI"], clock.now,
                          message_queue=private_redis.url, channel=channel).start()  # process B
    token, counters = staff_token(app), counter_ids(app)
    add_tickets(app, 2)
    screen = Recorder(other.url).connect()  # a lobby screen connected to B
    try:
        screen.wait_event("snapshot")
        assert _book(server.url, 0).status_code == 201

        private_redis.stop()
        # The limits fall back to this process's memory (counting afresh): answers, and
        # still limits.
        statuses = [_book(server.url, minute).status_code for minute in (1, 2, 3, 4)]
        assert statuses == [201, 201, 201, 429]
        signed_in = requests.post(server.url + "/api/v1/auth/token", timeout=10,
                                  json={"username": "nobody", "password": "wrong password!"})
        assert signed_in.status_code == 401
        called = api(server.url, "POST", f"/counters/{counters['窓口1']}/call-next", token)
        assert called.status_code == 200
        number = called.json()["ticket"]["number"]
        time.sleep(1.5)
        assert not [d for d in screen.named("called") if d["number"] == number]  # nowhere to go yet

        private_redis.start()
        event = screen.wait_event("called", timeout=30, number=number)
        assert event["seq"] == screen.named("snapshot")[0]["seq"] + 1
    finally:
        screen.disconnect()
        other.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_killed_database_connections_mid_traffic_lose_nothing(make_app, live_server):
    app = make_app("postgresql", RATELIMIT_ENABLED=False)
    server = live_server(app)
    database = app.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[1]
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[0] + "/postgres",
                          isolation_level="AUTOCOMMIT")
    results: list[tuple[str, int, str | None]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def resident(worker: int) -> None:
        for i in range(40):
            if stop.is_set():
                return
            minute = (worker * 40 + i) % 28
            try:
                booked = _book(server.url, minute)
                code = booked.json().get("code") if booked.status_code == 201 else None
                read = requests.get(server.url + "/api/v1/availability", timeout=10, params={
                    "location": "honcho", "service": "card-pickup", "date": "2027-01-14"})
            except requests.RequestException:
                continue
            with lock:
                results.append(("POST", booked.status_code, code))
                results.append(("GET", read.status_code, None))

    def killer() -> None:
        for _ in range(6):
            time.sleep(0.4)
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database})

    threads = [threading.Thread(target=resident, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=killer))
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        stop.set()
        admin.dispose()

    statuses = Counter((method, status) for method, status, _ in results)
    assert not [key for key in statuses if key[1] >= 500 and key != ("POST", 503)], statuses
    assert statuses[("GET", 200)] > 0 and statuses[("POST", 201)] > 0, statuses
    acknowledged = {code for method, status, code in results if method == "POST" and status == 201}
    with app.app_context():
        stored = set(db.session.scalars(select(Reservation.code)))
        assert acknowledged <= stored  # nothing acknowledged was lost
        overbooked = db.session.scalar(select(func.count()).select_from(Slot).where(Slot.booked > Slot.capacity))
        assert overbooked == 0
        db.session.remove()
        db.engine.dispose()

"""Shared fixtures: an app on a fresh database, a movable clock, a live server,
and factories for the demo city's reservations.

Tests that need PostgreSQL, Redis or Chromium skip with a reason when those are not
there; with REQUIRE_SERVICES=1 (CI) such a skip is a failure instead.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from queue_app import create_app
from queue_app.config import TOKYO
from queue_app.demo_data import seed_demo
from queue_app.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
# Tuesday 12 January 2027, 10:00 in Tokyo: an ordinary working day.
DEFAULT_NOW = datetime(2027, 1, 12, 10, 0, tzinfo=TOKYO)


def require(available: bool, reason: str) -> None:
    """Skip when a service is missing on a newcomer's machine; fail in CI."""
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


class Clock:
    """The app's CLOCK: stands still at ``now`` until a test moves it."""

    def __init__(self, now: datetime = DEFAULT_NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, *args) -> datetime:
        self.now = datetime(*args, tzinfo=TOKYO)
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _postgres_database() -> str:
    """A fresh, empty PostgreSQL database for one test; dropped by the caller."""
    require(bool(TEST_DATABASE_URL), "TEST_DATABASE_URL is not set (PostgreSQL)")
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    name = f"qtest_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        require(False, f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc.__class__.__name__}")
    finally:
        admin.dispose()
    return TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def make_app(tmp_path, clock):
    """Build apps on a fresh database: ``make_app(backend="sqlite"|"postgresql", **config)``."""
    created = []

    def factory(backend: str = "sqlite", seed: bool = True, **config):
        if backend == "postgresql":
            url = _postgres_database()
            created.append(url)
        else:
            url = f"sqlite:///{tmp_path / f'queue-{len(created)}.db'}"
            created.append(None)
        settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "CLOCK": clock,
                    "SCHEDULER_ENABLED": False, "SERVER_NAME": None, **config}
        app = create_app(settings)
        with app.app_context():
            db.create_all()
            if seed:
                seed_demo(db.session)
                db.session.commit()
        return app

    yield factory
    for url in created:
        if url:
            _drop_postgres(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """Run a test on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def app(make_app):
    app = make_app()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The app behind a real threaded HTTP server (werkzeug, as ``flask run``)."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture
def live_server():
    servers = []

    def start(app) -> LiveServer:
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in a PNG, read by zbar (an ordinary decoder)."""
    try:
        from pyzbar.pyzbar import decode
    except (ImportError, OSError) as exc:  # OSError: libzbar0 missing
        require(False, f"zbar is not available (apt-get install libzbar0): {exc}")
    import io

    from PIL import Image

    symbols = decode(Image.open(io.BytesIO(png)))
    assert len(symbols) == 1, f"expected one QR code, found {len(symbols)}"
    return symbols[0].data.decode()


def book(client, **overrides):
    """POST a reservation for the demo city; overrides change any field."""
    body = {"location": "honcho", "service": "card-pickup",
            "start": "2027-01-14T09:00:00+09:00", "name": "山田 花子",
            "email": f"resident-{uuid.uuid4().hex[:8]}@example.jp", "language": "ja"}
    body.update(overrides)
    body = {k: v for k, v in body.items() if v is not None}
    return client.post("/api/v1/reservations", json=body)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (no browser download)."""
    require(bool(CHROMIUM), "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    # A loaded 2-core CI machine can take longer than Playwright's 5 s default.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    yield page
    context.close()

"""Helpers for the realtime tests: a recording Socket.IO client, staff tokens, tickets,
and the app as a real server in a subprocess (gunicorn, the production command), which
a test can stop and start again on the same port.

``build_app()`` is the subprocess's app factory (``gunicorn 'tests.realtime_support:build_app()'``):
the settings come from the environment, and ``TEST_NOW`` fixes its clock, so the
subprocess stands at the same moment as the test.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import requests
import socketio
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "/display"


# ---------------------------------------------------------------- the recording client

def quick_websocket_close(monkeypatch) -> None:
    """websocket-client (the Python client's transport) waits 3 s after its close frame
    for the server's answer, which the server (that closed first) never repeats: every
    disconnect and refused connection would take 3 s. Wait 0.2 s instead."""
    import websocket

    close = websocket.WebSocket.close

    def quick(self, status=websocket.STATUS_NORMAL, reason=b"", timeout=3):
        return close(self, status, reason, timeout=min(timeout, 0.2))

    monkeypatch.setattr(websocket.WebSocket, "close", quick)


class Recorder:
    """A real python-socketio client on /display that records every event it receives."""

    def __init__(self, url: str, location: str = "honcho", token: str | None = None, **options):
        self.url = url
        self.events: list[tuple[str, dict]] = []
        self.lock = threading.Condition()
        self.client = socketio.Client(reconnection=options.pop("reconnection", False), **options)
        self.auth = {"location": location, **({"token": token} if token else {})}
        for name in ("snapshot", "called", "queue"):
            self.client.on(name, self._recorder(name), namespace=NAMESPACE)

    def _recorder(self, name):
        def record(data):
            with self.lock:
                self.events.append((name, data))
                self.lock.notify_all()
        return record

    def connect(self, transports=("websocket",)):
        self.client.connect(self.url, namespaces=[NAMESPACE], auth=self.auth,
                            transports=list(transports), wait_timeout=10)
        return self

    def disconnect(self):
        self.client.disconnect()

    def resync(self):
        self.client.emit("resync", namespace=NAMESPACE)

    def wait_for(self, predicate, timeout: float = 5.0, what: str = "an event"):
        """The first recorded (name, data) that satisfies ``predicate``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for event in self.events:
                    if predicate(*event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} within {timeout} s; got {self.events!r}")
                self.lock.wait(left)

    def wait_event(self, name: str, timeout: float = 5.0, **match):
        """The first ``name`` event whose data holds every key/value of ``match``."""
        return self.wait_for(
            lambda n, d: n == name and all(d.get(k) == v for k, v in match.items()),
            timeout, f"{name} {match}")[1]

    def named(self, name: str) -> list[dict]:
        with self.lock:
            return [d for n, d in self.events if n == name]

    def clear(self):
        with self.lock:
            self.events.clear()


class LobbyClient(Recorder):
    """A correct display client in Python: it holds the lobby picture and moves it
    forward with each event as display/static/js/display.js does, drops an event
    already in its picture, and asks ``resync`` only when it sees a gap in ``seq``
    (counted in ``resyncs``). ``picture()`` is what it would show, in the snapshot's
    shape, to compare with a fresh snapshot."""

    def __init__(self, url: str, **kwargs):
        super().__init__(url, **kwargs)
        self.seq: int | None = None
        self.lobby: dict | None = None
        self.resyncs = 0

    def _recorder(self, name):
        record = super()._recorder(name)

        def apply_then_record(data):
            self._apply(name, data)
            record(data)
        return apply_then_record

    def _apply(self, name: str, data: dict) -> None:
        if name == "snapshot":
            self.seq = data["seq"]
            self.lobby = {"serving": {row["counter"]: row["number"] for row in data["serving"]},
                          "counters": list(data["counters"]), "recent": list(data["recent"]),
                          "waiting": dict(data["waiting"])}
            return
        if self.seq is None or data["seq"] <= self.seq:
            return  # already in the picture
        if data["seq"] != self.seq + 1:
            self.resyncs += 1
            self.client.emit("resync", namespace=NAMESPACE)
            return
        self.seq = data["seq"]
        lobby = self.lobby
        lobby["waiting"] = dict(data["waiting"])
        if "serving" in data:
            lobby["serving"] = {row["counter"]: row["number"] for row in data["serving"]}
        if "counters" in data:
            lobby["counters"] = list(data["counters"])
        if "recent" in data:
            lobby["recent"] = list(data["recent"])
        if name == "called":
            serving = {c: n for c, n in lobby["serving"].items() if n != data["number"]}
            serving[data["counter"]] = data["number"]
            lobby["serving"] = serving
            if data["counter"] not in [c["name"] for c in lobby["counters"]]:
                lobby["counters"].append({"name": data["counter"], "open": True, "until": None})
            call = {"number": data["number"], "counter": data["counter"], "called_at": data["called_at"]}
            lobby["recent"] = ([call] + [r for r in lobby["recent"] if r["number"] != data["number"]])[:8]

    def picture(self) -> dict:
        """The lobby as this client holds it, in the snapshot's shape (without seq, location)."""
        with self.lock:
            lobby = self.lobby
            order = {c["name"]: i for i, c in enumerate(lobby["counters"])}
            serving = sorted(({"number": n, "counter": c} for c, n in lobby["serving"].items()),
                             key=lambda row: order.get(row["counter"], len(order)))
            return {"serving": serving, "counters": list(lobby["counters"]),
                    "recent": list(lobby["recent"]), "waiting": dict(lobby["waiting"])}


def snapshot_now(app, location: str = "honcho") -> dict:
    """The place's snapshot read straight from the database (no cache, no socket)."""
    from queue_app.extensions import db
    from queue_app.services import display, places

    with app.app_context():
        place = places.get_location(db.session, location)
        now = app.config["CLOCK"]()
        snapshot = display.get_snapshot(db.session, place, now.date(), now)
        db.session.rollback()
        return snapshot


# ---------------------------------------------------------------- data set-up

def staff_token(app) -> str:
    """A fresh staff user and their bearer token."""
    from queue_app.extensions import db
    from queue_app.services.accounts import create_user, issue_token

    with app.app_context():
        now = app.config["CLOCK"]()
        user = create_user(db.session, f"staff-{secrets.token_hex(4)}", "a-long-password", "staff", now)
        token = issue_token(db.session, user, now, 12)
        db.session.commit()
        return token


def display_token(app, location: str = "honcho", kind: str = "display") -> str:
    from queue_app.extensions import db
    from queue_app.services.accounts import create_device

    with app.app_context():
        _device, token = create_device(db.session, f"{kind}-{secrets.token_hex(4)}", kind, location,
                                       app.config["CLOCK"]())
        db.session.commit()
        return token


def counter_ids(app, location: str = "honcho") -> dict[str, int]:
    """``{"窓口1": id, …}`` of a place."""
    from queue_app.extensions import db
    from queue_app.models import Counter, Location

    with app.app_context():
        rows = db.session.execute(
            select(Counter.name, Counter.id).join(Location).where(Location.slug == location)
            .order_by(Counter.position))
        return dict(rows.all())


def add_counters(app, count: int, location: str = "honcho",
                 names: list[str] | None = None) -> dict[str, int]:
    """``count`` more open counters serving every procedure; ``{"臨時1": id, …}`` (or
    named ``names``, one per counter)."""
    from queue_app.extensions import db
    from queue_app.models import Counter, Location, Service

    names = names or [f"臨時{i + 1}" for i in range(count)]
    assert len(names) == count
    with app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == location))
        services = list(db.session.scalars(select(Service)))
        for i, name in enumerate(names):
            db.session.add(Counter(location=place, name=name, position=100 + i,
                                   is_open=True, services=services))
        db.session.commit()
    return {name: id_ for name, id_ in counter_ids(app, location).items() if name in names}


def staffed_server(make_app, live_server):
    """The demo city on a live server, with a staff token and the counters' ids."""
    app = make_app()
    server = live_server(app)
    server.token = staff_token(app)
    server.counters = counter_ids(app)
    return server


def add_tickets(app, count: int, location: str = "honcho", service: str = "info-change",
                announce: bool = True) -> list[str]:
    """``count`` waiting walk-in tickets made directly through the models (and one
    ``queue`` event when ``announce``); returns their numbers, in issue order."""
    from datetime import timedelta

    from queue_app.events import announce as announce_event
    from queue_app.extensions import db
    from queue_app.models import BAND_WALK_IN, Location, Service, Ticket
    from queue_app.services.display import queue_event

    with app.app_context():
        now = app.config["CLOCK"]()
        place = db.session.scalar(select(Location).where(Location.slug == location))
        procedure = db.session.scalar(select(Service).where(Service.slug == service))
        # Numbers from W-901 on, so they never clash with the API's W-001…
        start = 901 + db.session.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.location_id == place.id, Ticket.number.like("W-9%")))
        numbers = []
        for i in range(count):
            number = f"W-{start + i:03d}"
            at = now + timedelta(microseconds=i)
            db.session.add(Ticket(
                id=secrets.token_urlsafe(16), location=place, service=procedure,
                business_date=now.date(), number=number, kind="walk_in", status="waiting",
                priority="normal", band=BAND_WALK_IN, order_at=at, issued_at=at, recall_count=0))
            numbers.append(number)
        db.session.flush()
        if announce:
            announce_event(db.session, place, "queue",
                           queue_event(db.session, place, now.date(), now=now, change="issue"))
        db.session.commit()
        return numbers


def api(base: str, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, base + "/api/v1" + path, headers=headers, timeout=10, **kwargs)


def call_next(base: str, token: str, counter_id: int) -> dict:
    """``POST /counters/{id}/call-next``; the called ticket."""
    answer = api(base, "POST", f"/counters/{counter_id}/call-next", token)
    assert answer.status_code == 200, answer.text
    return answer.json()["ticket"]


# ---------------------------------------------------------------- a server in a subprocess

def build_app():
    """The subprocess's app: environment settings, a clock fixed at ``TEST_NOW``."""
    from queue_app import create_app

    now = datetime.fromisoformat(os.environ["TEST_NOW"])
    return create_app({"CLOCK": lambda: now, "SCHEDULER_ENABLED": False,
                       "RATELIMIT_ENABLED": False})


class ServerProcess:
    """``gunicorn -w 1`` (gthread or gevent worker) serving ``build_app()`` on a fixed port."""

    def __init__(self, port: int, database_url: str, now: datetime, message_queue: str | None = None,
                 channel: str | None = None, threads: int = 50, worker: str = "gthread"):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "DATABASE_URL": database_url, "TEST_NOW": now.isoformat(),
                    "SCHEDULER_ENABLED": "false", "PYTHONPATH": str(ROOT)}
        self.env.pop("SOCKETIO_MESSAGE_QUEUE", None)
        if message_queue:
            self.env["SOCKETIO_MESSAGE_QUEUE"] = message_queue
        if channel:
            self.env["SOCKETIO_CHANNEL"] = channel
        self.threads = threads
        self.worker = worker
        # Under the gevent worker the app picks the gevent driver by itself.
        self.env.pop("SOCKETIO_ASYNC_MODE", None)
        self.process: subprocess.Popen | None = None
        self.log = None

    def start(self, timeout: float = 20.0) -> "ServerProcess":
        return self.launch().wait_ready(timeout)

    def launch(self) -> "ServerProcess":
        """Start the process without waiting for it (start several, then ``wait_ready``)."""
        # The production commands of docs/realtime.md, one worker each.
        worker = (["--worker-class", "gevent", "--worker-connections", "1000"] if self.worker == "gevent"
                  else ["--worker-class", "gthread", "--threads", str(self.threads)])
        command = [sys.executable, "-m", "gunicorn", *worker, "--workers", "1",
                   "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2",
                   "tests.realtime_support:build_app()"]
        self.log = open(os.devnull, "wb") if not os.environ.get("REALTIME_SERVER_LOG") else None
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT if self.log else None,
                                        start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 20.0) -> "ServerProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server on port {self.port} exited with {self.process.returncode}")
            try:
                if requests.get(self.url + "/api/v1/locations", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server on port {self.port} did not start within {timeout} s")

    def stop(self) -> None:
        """Stop it at once (SIGKILL to its process group): connections drop as in a crash."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None
        if self.log:
            self.log.close()
            self.log = None


def reservation_ticket(app, base: str, name: str = "山田 花子", start: datetime | None = None) -> dict:
    """A reservation for ``name`` checked in at a kiosk of honcho: its Ticket JSON."""
    import uuid
    from datetime import timedelta

    from queue_app.extensions import db
    from queue_app.services import booking, places
    from queue_app.services.credentials import sign_check_in

    now = app.config["CLOCK"]()
    start = start or now.replace(minute=15, second=0, microsecond=0)
    with app.app_context():
        place = places.get_location(db.session, "honcho")
        procedure = booking.get_service(db.session, "card-pickup")
        contact = booking.Contact(name, f"r-{uuid.uuid4().hex[:8]}@example.jp", None)
        reservation, _token = booking.book_slot(
            db.session, location=place, service=procedure, start=start, contact=contact,
            now=start - timedelta(days=1), policy=booking.BookingPolicy())
        db.session.commit()
        payload = sign_check_in(reservation.code, app.config["SECRET_KEY"])
    answer = api(base, "POST", "/check-ins", display_token(app, kind="kiosk"), json={"payload": payload})
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket"]


# Playwright init script: records what the page would say and play, and can make audio
# start blocked (as in a lobby browser before anyone touched it). The fake voices
# include a cloud one, which the page must never use.
BROWSER_STUBS = """
(() => {
  const block = %(block)s;
  window.__audio = {contexts: 0, oscillators: 0, resumed: 0};
  const Real = window.AudioContext;
  class Lobby extends Real {
    constructor(...args) { super(...args); this.__blocked = block; window.__audio.contexts++; }
    get state() { return this.__blocked ? "suspended" : super.state; }
    resume() {  // as a browser does: only a user gesture unblocks
      if (navigator.userActivation.isActive) { this.__blocked = false; window.__audio.resumed++; }
      return super.resume();
    }
    createOscillator() { window.__audio.oscillators++; return super.createOscillator(); }
  }
  window.AudioContext = Lobby;
  window.__spoken = [];
  class Utterance {
    constructor(text) { this.text = text; this.lang = ""; this.voice = null; this.volume = 1; this.rate = 1; }
  }
  window.SpeechSynthesisUtterance = Utterance;
  const voices = [
    {name: "Cloud ja", lang: "ja-JP", localService: false},
    {name: "Local ja", lang: "ja-JP", localService: true},
    {name: "Cloud en", lang: "en-US", localService: false},
    {name: "Local en", lang: "en-US", localService: true},
  ];
  const synth = {
    speak(u) {
      if (u.text.trim()) window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name});
      setTimeout(() => u.onend && u.onend(), 5);
    },
    getVoices() { return voices; }, addEventListener() {}, cancel() {},
  };
  Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
  window.__vibrations = [];
  Object.defineProperty(Navigator.prototype, "vibrate",
    {value: (pattern) => { window.__vibrations.push(pattern); return true; }, configurable: true});
})();
"""


def browser_stubs(block_audio: bool = False) -> str:
    return BROWSER_STUBS % {"block": "true" if block_audio else "false"}

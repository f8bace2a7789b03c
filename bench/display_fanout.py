"""Fan-out of a call to many lobby displays: from the staff request to every display,
and how many snapshots the displays make the server build.

Starts the production server (gunicorn, ONE worker, serving wsgi.py's app with its
clock starting at a working morning: ``scripts/_fuzz_app.py``, so walk-ins are taken
whatever the hour) on a fresh SQLite database (or ``--database-url``), connects N
display clients on loopback and plays rounds at one counter after another. In the
``lobby`` workload (default) a round is what a lobby does: a walk-in ticket
(``POST /tickets``: a ``queue`` event), the counter finishes its resident
(``…/complete``: a ``queue`` event) and calls the next (``…/call-next``: ``called``);
the ``calls`` workload makes the calls alone. For each N it prints the p50 / p99 / max
time from sending the call to each client's receipt of ``called``, the snapshots the
clients received after their first one per 1,000 events (every one a snapshot the
server built, unless it handed out one it kept), the worker's CPU time per event and
its memory (RSS) with N clients held.

The clients behave as the display page of the code under test does (``--client``):
``events`` (display.js since the display events carry the picture) asks ``resync``
only on a gap in ``seq``; ``refresh`` (display.js before) also asked for a snapshot
0.3 to 1.5 s after every ``queue`` event that carried no ``serving``.

The clients are a light WebSocket client on raw asyncio (Engine.IO v4 / Socket.IO v5
over one WebSocket each), so that 1,000 of them cost the 2-core machine as little CPU
as possible; the receipt time is taken as the frame arrives. Bounded: every phase has
a deadline, and the server is always stopped.

    .venv/bin/python bench/display_fanout.py --mode gevent --clients 500,1000 --repeat 3
    .venv/bin/python bench/display_fanout.py --mode gevent --clients 500,1000 --client refresh  # the old page
    .venv/bin/python bench/display_fanout.py --mode gthread --workload calls --clients 100,500,1000
    .venv/bin/python bench/display_fanout.py --mode gevent --message-queue redis://127.0.0.1:6379/0
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVICE = "info-change"  # every counter of honcho serves it
DEFAULT_NOW = "2027-01-12T10:00:00+09:00"  # a Tuesday morning: counters open, walk-ins taken


# ---------------------------------------------------------------- a light display client

class Display(asyncio.Protocol):
    """One display: WebSocket handshake, Socket.IO connect to /display, answers pings,
    notes the arrival time of every ``called`` event, follows ``seq`` and asks for a
    snapshot as the page of the code under test would (``policy``)."""

    def __init__(self, path: str, host: str, on_called, policy: str = "events"):
        self.path, self.host, self.on_called, self.policy = path, host, on_called, policy
        self.buffer = b""
        self.upgraded = False
        self.ready = asyncio.get_running_loop().create_future()
        self.transport = None
        self.seq = None
        self.snapshots = 0   # received after the first one
        self.resyncs = 0     # asked for
        self.refresh = None  # the pending re-read of the ``refresh`` page

    def connection_made(self, transport):
        self.transport = transport
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        transport.write((f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n").encode())

    def data_received(self, data: bytes):
        arrived = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self._fail(RuntimeError(head.split(b"\r\n", 1)[0].decode()))
                return
            self.upgraded, self.buffer = True, rest
        while True:
            frame = self._frame()
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 1:
                self._message(payload.decode(), arrived)
            elif opcode == 9:
                self._send(payload, opcode=10)
            elif opcode == 8:
                self.transport.close()
                return

    def _frame(self):
        buf = self.buffer
        if len(buf) < 2:
            return None
        length, offset = buf[1] & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, offset = int.from_bytes(buf[2:4], "big"), 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, offset = int.from_bytes(buf[2:10], "big"), 10
        if len(buf) < offset + length:
            return None
        self.buffer = buf[offset + length:]
        return buf[0] & 0x0F, buf[offset:offset + length]

    def _send(self, payload: bytes, opcode: int = 1):
        mask = secrets.token_bytes(4)
        head = bytes([0x80 | opcode])
        n = len(payload)
        head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(head + mask + masked)

    def _message(self, text: str, arrived: float):
        if text == "2":                       # Engine.IO ping
            self._send(b"3")
        elif text.startswith("0"):            # Engine.IO open: join the namespace
            self._send(b'40/display,{"location":"honcho"}')
        elif text.startswith('42/display,["snapshot"'):
            self.seq = json.loads(text[len("42/display,"):])[1]["seq"]
            if not self.ready.done():
                self.ready.set_result(True)
            else:
                self.snapshots += 1
        elif text.startswith('42/display,["called"'):
            data = json.loads(text[len("42/display,"):])[1]
            self.on_called(data["seq"], arrived)
            self._follow(data)
        elif text.startswith('42/display,["queue"'):
            data = json.loads(text[len("42/display,"):])[1]
            self._follow(data)
            if self.policy == "refresh" and not isinstance(data.get("serving"), list):
                # display.js before: re-read the picture 0.3-1.5 s later (debounced)
                if self.refresh is not None:
                    self.refresh.cancel()
                self.refresh = asyncio.get_running_loop().call_later(
                    0.3 + random.random() * 1.2, self._resync)
        elif text.startswith("44/display"):   # connect refused
            self._fail(RuntimeError(text))

    def _follow(self, data: dict):
        if self.seq is not None and data["seq"] > self.seq + 1:
            self._resync()  # a gap: both pages ask for a snapshot
        self.seq = max(self.seq or 0, data["seq"])

    def _resync(self):
        self.refresh = None
        if not self.transport.is_closing():
            self.resyncs += 1
            self._send(b'42/display,["resync"]')

    def _fail(self, error):
        if not self.ready.done():
            self.ready.set_exception(error)
        self.transport.close()

    def connection_lost(self, exc):
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionError("closed"))


# ---------------------------------------------------------------- set-up and server

def prepare(database_url: str, tickets: int, now: datetime) -> tuple[str, list[int]]:
    """Schema, demo city, a staff token and ``tickets`` waiting tickets for the day of ``now``."""
    from queue_app import create_app
    from queue_app.extensions import db
    from queue_app.demo_data import seed_demo
    from queue_app.models import BAND_WALK_IN, Counter, Location, Service, Ticket
    from queue_app.services.accounts import create_user, issue_token
    from sqlalchemy import select

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SCHEDULER_ENABLED": False,
                      "CLOCK": lambda: now})
    with app.app_context():
        db.create_all()
        seed_demo(db.session)
        user = create_user(db.session, f"bench-{secrets.token_hex(3)}", "bench-password-1", "staff", now)
        token = issue_token(db.session, user, now, 12)
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        service = db.session.scalar(select(Service).where(Service.slug == SERVICE))
        for i in range(tickets):
            db.session.add(Ticket(id=secrets.token_urlsafe(16), location=place, service=service,
                                  business_date=now.date(), number=f"B-{i + 1:03d}", kind="walk_in",
                                  status="waiting", priority="normal", band=BAND_WALK_IN,
                                  order_at=now, issued_at=now, recall_count=0))
        counters = list(db.session.scalars(select(Counter.id).where(Counter.location_id == place.id)
                                           .order_by(Counter.position)))
        db.session.commit()
        db.engine.dispose()
    return token, counters


def server_command(mode: str, port: int, clients: int) -> list[str]:
    """The production command for ``mode`` (one worker; see docs/realtime.md). Run from
    the repository root, gunicorn also reads ``gunicorn.conf.py`` there."""
    base = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
            "--worker-connections", str(clients + 200), "--backlog", "2048", "--timeout", "60",
            "--pythonpath", "scripts"]
    app = "_fuzz_app:app"  # wsgi.py's app, its clock starting at FUZZ_NOW
    if mode == "gthread":
        # Each WebSocket holds one worker thread for its whole life.
        return base + ["--worker-class", "gthread", "--threads", str(clients + 100), app]
    if mode == "gevent":
        return base + ["--worker-class", "gevent", app]
    if mode == "gevent-websocket":
        return base + ["--worker-class", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", app]
    raise SystemExit(f"unknown mode {mode}")


def _workers(master_pid: int) -> list[str]:
    return Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()


def worker_rss_mb(master_pid: int) -> float:
    """Resident memory of the gunicorn worker(s), in MB."""
    total = 0
    for pid in _workers(master_pid):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def worker_cpu_s(master_pid: int) -> float:
    """CPU time (user + system) the gunicorn worker(s) have used, in seconds."""
    ticks = 0
    for pid in _workers(master_pid):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- one run

async def run(n: int, args, token: str, counters: list[int], env: dict) -> dict:
    port = free_port()
    server = subprocess.Popen(server_command(args.mode, port, n), cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    loop = asyncio.get_running_loop()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/api/v1/locations", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            await asyncio.sleep(0.2)
        rss_idle = worker_rss_mb(server.pid)

        arrivals: dict[int, list[float]] = {}

        def on_called(seq, arrived):
            arrivals.setdefault(seq, []).append(arrived)

        displays = []
        started = time.monotonic()
        for first in range(0, n, args.batch):  # ramp up in batches
            batch = []
            for _ in range(min(args.batch, n - first)):
                _t, display = await loop.create_connection(
                    lambda: Display("/socket.io/?EIO=4&transport=websocket", f"127.0.0.1:{port}",
                                    on_called, args.client),
                    "127.0.0.1", port)
                displays.append(display)
                batch.append(display.ready)
            await asyncio.wait_for(asyncio.gather(*batch), timeout=60)
        connect_s = time.monotonic() - started
        await asyncio.sleep(1.0)
        rss_held = worker_rss_mb(server.pid)
        seq_start = max(d.seq for d in displays)
        cpu_start = worker_cpu_s(server.pid)

        latencies, lost = [], 0
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        at_counter: dict[int, str] = {}  # counter id -> the ticket it called last

        def post(path: str, **kwargs) -> requests.Response:
            answer = session.post(f"{base}/api/v1{path}", timeout=10, **kwargs)
            if answer.status_code not in (200, 201):
                raise SystemExit(f"POST {path} answered {answer.status_code}: {answer.text}")
            return answer

        for i in range(args.calls):
            counter = counters[i % len(counters)]
            if args.workload == "lobby":
                await loop.run_in_executor(None, lambda: post(
                    "/tickets", json={"location": "honcho", "service": SERVICE}))
                if counter in at_counter:
                    await loop.run_in_executor(None, lambda: post(f"/tickets/{at_counter[counter]}/complete"))
                await asyncio.sleep(args.interval / 3)
            known = set(arrivals)
            sent = time.perf_counter()
            answer = await loop.run_in_executor(None, lambda: post(f"/counters/{counter}/call-next"))
            at_counter[counter] = answer.json()["ticket"]["id"]
            seq = None
            wait_until = time.monotonic() + 5
            while time.monotonic() < wait_until:  # every display, or 5 s
                seq = seq or next((s for s in list(arrivals) if s not in known), None)
                if seq is not None and len(arrivals.get(seq, [])) >= n:
                    break
                await asyncio.sleep(0.005)
            got = arrivals.get(seq, []) if seq is not None else []
            lost += n - len(got)
            these = sorted((t - sent) * 1000 for t in got)
            latencies += these
            if args.verbose and these:
                print(f"  call {i + 1:>2}: first {these[0]:6.1f} ms, median {these[len(these) // 2]:6.1f} ms, "
                      f"last {these[-1]:6.1f} ms", flush=True)
            await asyncio.sleep(args.interval)
        await asyncio.sleep(2.0)  # re-reads still pending from the last rounds
        cpu_used = worker_cpu_s(server.pid) - cpu_start
        events = max(d.seq for d in displays) - seq_start
        snapshots = sum(d.snapshots for d in displays)

        for display in displays:
            display.transport.close()
        latencies.sort()
        return {
            "clients": n, "calls": args.calls, "deliveries": len(latencies), "lost": lost,
            "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "max_ms": latencies[-1], "connect_s": connect_s,
            "events": events, "snapshots_per_1000": snapshots * 1000 / max(events, 1),
            "cpu_ms_per_event": cpu_used * 1000 / max(events, 1),
            "rss_idle_mb": rss_idle, "rss_held_mb": rss_held,
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["gthread", "gevent", "gevent-websocket"], default="gthread")
    parser.add_argument("--clients", default="100,500,1000", help="comma-separated display counts")
    parser.add_argument("--workload", choices=["lobby", "calls"], default="lobby",
                        help="lobby: walk-in, complete, call per round; calls: the calls alone")
    parser.add_argument("--client", choices=["events", "refresh"], default="events",
                        help="how the clients ask for snapshots: as display.js now (events) or before (refresh)")
    parser.add_argument("--calls", type=int, default=30, help="rounds (calls) per run")
    parser.add_argument("--interval", type=float, default=0.6, help="seconds between rounds")
    parser.add_argument("--batch", type=int, default=50, help="displays connecting at once")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--now", default=DEFAULT_NOW, help="the server's clock at the start")
    parser.add_argument("--repeat", type=int, default=1, help="runs per display count")
    parser.add_argument("--verbose", action="store_true", help="print every call's spread")
    parser.add_argument("--message-queue", default=None, help="e.g. redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        token, counters = prepare(database_url, args.calls * len(counts) * args.repeat,
                                  datetime.fromisoformat(args.now))
        env = {**os.environ, "DATABASE_URL": database_url, "SCHEDULER_ENABLED": "false",
               "RATELIMIT_ENABLED": "false", "SOCKETIO_ASYNC_MODE": "threading" if args.mode == "gthread" else "gevent",
               "PYTHONPATH": str(ROOT), "FUZZ_NOW": args.now}
        env.pop("SOCKETIO_MESSAGE_QUEUE", None)
        if args.message_queue:
            env["SOCKETIO_MESSAGE_QUEUE"] = args.message_queue
            env["SOCKETIO_CHANNEL"] = f"bench-{secrets.token_hex(4)}"
        mq = "redis" if args.message_queue else "none"
        print(f"mode={args.mode} workload={args.workload} client={args.client} message_queue={mq} "
              f"rounds/run={args.calls} interval={args.interval}s cpus={os.cpu_count()}")
        print(f"{'clients':>7} {'deliveries':>10} {'lost':>4} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'events':>6} {'snap/1k ev':>10} {'CPU ms/ev':>9} {'connect s':>9} {'RSS held MB':>11}")
        for n in [n for n in counts for _ in range(args.repeat)]:
            r = asyncio.run(run(n, args, token, counters, env))
            print(f"{r['clients']:>7} {r['deliveries']:>10} {r['lost']:>4} {r['p50_ms']:>7.1f} "
                  f"{r['p99_ms']:>7.1f} {r['max_ms']:>7.1f} {r['events']:>6} {r['snapshots_per_1000']:>10.0f} "
                  f"{r['cpu_ms_per_event']:>9.1f} {r['connect_s']:>9.1f} {r['rss_held_mb']:>11.1f}", flush=True)


if __name__ == "__main__":
    main()

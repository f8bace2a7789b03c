"""scripts/fuzz: schemathesis over the served OpenAPI document, with every check.

Builds a scratch database (an SQLite file, or a new database on the PostgreSQL server of
``--postgres URL`` / ``FUZZ_DATABASE_URL``, dropped afterwards) with the CLI as an
operator would (``db upgrade``, ``seed-demo``, ``create-user``, ``create-device``),
starts gunicorn on a free port with the rate limits off and the app's clock standing at
a fixed working morning (``--now``; scripts/_fuzz_app.py), and runs schemathesis with a
staff token, then with a kiosk token. The seed, the number of examples and the clock are
fixed, so two runs send the same requests whenever they start. Prints a summary; exits 1
when any run found a server error, a schema violation or any other failed check.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _server import free_port, scratch_postgres, stop  # noqa: E402

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
# The README's server for SQLite (one process, threads); the same on PostgreSQL.
SERVER = ["--worker-class", "gthread", "--workers", "1", "--threads", "4", "--log-level", "warning"]
# Tuesday 12 January 2027, 10:00 in Tokyo (the tests' ordinary working day): counters
# open, walk-ins taken, this morning's reservations can check in.
DEFAULT_NOW = "2027-01-12T10:00:00+09:00"
STAFF_USER = "fuzz-staff"
ADMIN_USER = "fuzz-admin"
REVOKE = "DELETE /api/v1/auth/token"

# Every check schemathesis has is on (``--checks all``); what follows only tunes them.
CONFIG = """\
# Written by scripts/_fuzz.py for one run.
[generation]
# No example database: a run depends on the seed and the code only, not on what an
# earlier run on this machine happened to find.
database = "none"

[checks.positive_data_acceptance]
# Schemathesis's list plus 422: the contract answers 422 to requests the OpenAPI 3.0
# document cannot describe as invalid: `my_number_rejected` for a 12-digit number in any
# field, `invalid` for a booking with neither e-mail nor phone, for an unknown place or
# procedure named in a body or query, and for text with a NUL character or an unpaired
# surrogate (screening.py). A 400, 405, 413 or 415 to schema-valid data still fails.
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
"""


def _env(database_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "SCHEDULER_ENABLED": "false",
            "RATELIMIT_ENABLED": "false", "SECRET_KEY": "fuzz-" + secrets.token_hex(16),
            "APP_ENV": "development", "PYTHONUNBUFFERED": "1"}


def _flask(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(FLASK + list(args), cwd=ROOT, env=env, input=stdin, text=True,
                            capture_output=True)
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare(env: dict) -> tuple[str, str]:
    """The schema, the demo city, a staff user, an administrator (same password) and a
    kiosk device: (password, kiosk token)."""
    _flask(env, "db", "upgrade")
    _flask(env, "seed-demo")
    password = secrets.token_urlsafe(18)
    _flask(env, "create-user", STAFF_USER, "--role", "staff", stdin=f"{password}\n{password}\n")
    _flask(env, "create-user", ADMIN_USER, "--role", "admin", stdin=f"{password}\n{password}\n")
    kiosk_token = _flask(env, "create-device", "fuzz-kiosk", "--kind", "kiosk",
                         "--location", "honcho").strip().splitlines()[-1]
    return password, kiosk_token


def staff_token(base: str, password: str, username: str = STAFF_USER) -> str:
    response = requests.post(f"{base}/api/v1/auth/token", timeout=30,
                             json={"username": username, "password": password})
    response.raise_for_status()
    return response.json()["token"]


def known_values(base: str, staff: str, today: date) -> dict[str, list]:
    """Real identifiers, for the fuzzer to use half of the time so that it gets past
    "not found": the places, procedures and counters, a few reservations on the first
    free slots from ``today`` on, and a few walk-in tickets (if the counters take them)."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {staff}"
    api = f"{base}/api/v1"
    places = [place["slug"] for place in http.get(f"{api}/locations", timeout=30).json()]
    services = http.get(f"{api}/services", timeout=30).json()
    counters = [counter["id"] for place in places
                for counter in http.get(f"{api}/locations/{place}/counters", timeout=30).json()]
    reservations, tickets = [], []
    for offset in range(21):
        day = today + timedelta(days=offset)
        for service in (s["slug"] for s in services if s["reservable"]):
            if len(reservations) == 3:
                break
            slots = http.get(f"{api}/availability", timeout=30, params={
                "location": places[0], "service": service, "date": day.isoformat()}).json()
            free = [slot for slot in slots.get("slots", []) if slot["remaining"] > 0]
            if free:
                booked = http.post(f"{api}/reservations", timeout=30, json={
                    "location": places[0], "service": service, "start": free[0]["start"],
                    "name": "Fuzz Resident", "email": f"fuzz-{len(reservations)}@example.jp"})
                if booked.status_code == 201:
                    reservations.append(booked.json())
    for place in places:
        for service in services:
            walk_in = http.post(f"{api}/tickets", timeout=30,
                                json={"location": place, "service": service["slug"]})
            if walk_in.status_code == 201 and len(tickets) < 4:
                tickets.append(walk_in.json()["id"])
    return {
        "places": places, "services": [s["slug"] for s in services], "counters": counters,
        "codes": [r["code"] for r in reservations], "tokens": [r["token"] for r in reservations],
        "payloads": [r["check_in_payload"] for r in reservations], "tickets": tickets,
    }


# Which parameters draw from which list of real values (half of the time).
BINDINGS = {
    "path.slug": "places", "query.location": "places", "body.location": "places",
    "query.service": "services", "body.service": "services",
    "path.counter_id": "counters", "body.counter": "counters",
    "path.code": "codes", "query.token": "tokens", "body.payload": "payloads",
    "path.ticket_id": "tickets",
}


def write_config(path: Path, values: dict[str, list]) -> None:
    lines = [CONFIG]
    for name, entries in values.items():
        if entries:
            lines.append(f"[dictionaries.{name}]\nvalues = {json.dumps(entries)}\n")
    lines.append("[parameters]")
    for key, name in BINDINGS.items():
        if values[name]:
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
    path.write_text("\n".join(lines) + "\n")


class Run:
    """One schemathesis run and what its JUnit report says."""

    def __init__(self, label: str, token: str, extra: list[str]):
        self.label, self.token, self.extra = label, token, extra
        self.seconds = 0.0
        self.exit_code = None
        self.operations = self.failed = self.errored = 0
        self.failures: list[str] = []

    def execute(self, base: str, args, config: Path, reports: Path) -> None:
        junit = reports / (re.sub(r"\W+", "-", self.label).strip("-") + ".xml")
        command = [
            SCHEMATHESIS, "--config-file", str(config), "run", f"{base}/api/v1/openapi.json",
            "--checks", "all", "--seed", str(args.seed),
            "--max-examples", str(args.max_examples), "--workers", str(args.workers),
            "--request-timeout", "20", "--no-color", "--output-truncate", "true",
            "--header", f"Authorization: Bearer {self.token}",
            "--report", "junit", "--report-junit-path", str(junit), *self.extra, *args.schemathesis]
        print(f"\n==== {self.label}: schemathesis run (seed {args.seed}, "
              f"{args.max_examples} examples per operation)", flush=True)
        started = time.monotonic()
        self.exit_code = subprocess.run(command, cwd=ROOT).returncode
        self.seconds = time.monotonic() - started
        self._read(junit)

    def _read(self, junit: Path) -> None:
        if not junit.exists():
            return
        for case in ET.parse(junit).getroot().iter("testcase"):
            self.operations += 1
            self.failed += bool(case.findall("failure"))
            self.errored += bool(case.findall("error"))
            for problem in case.findall("failure") + case.findall("error"):
                text = problem.text or problem.get("message") or problem.tag
                titles = re.findall(r"^- (ST\d+ .*)$", text, re.MULTILINE) or [text.strip()[:200]]
                curl = re.search(r"Reproduce with:\s*\n\s*(.+)", text)
                for title in titles:
                    self.failures.append(f"{case.get('name')}: {title}")
                if curl:
                    self.failures.append(f"    {curl.group(1).strip()}")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.failed and not self.errored


def start_server(env: dict, port: int, output) -> subprocess.Popen:
    """gunicorn (as bench/_server.py starts it, its output to a file) serving
    scripts/_fuzz_app.py, once it answers."""
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", *SERVER, "--pythonpath",
                                "scripts", "--bind", f"127.0.0.1:{port}", "_fuzz_app:app"],
                               cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def server_tracebacks(log: Path) -> list[str]:
    """The exception lines of the tracebacks the server logged (the app logs 500s so)."""
    if not log.exists():
        return []
    lines = log.read_text(errors="replace").splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                j += 1
            if j < len(lines):
                found.append(lines[j][:300])
    return found


def fuzz(database_url: str, label: str, args) -> tuple[list[Run], list[str], Path]:
    workdir = Path(tempfile.mkdtemp(prefix="fuzz-"))
    env = _env(database_url)
    password, kiosk_token = prepare(env)
    config = workdir / "schemathesis.toml"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = workdir / "server.log"
    with open(log, "w") as server_output:
        server = start_server({**env, "FUZZ_NOW": args.now}, port, server_output)
        try:
            staff = staff_token(base, password)
            admin = staff_token(base, password, ADMIN_USER)
            values = known_values(base, staff, datetime.fromisoformat(args.now).date())
            write_config(config, values)
            print("real values offered to the fuzzer: "
                  + ", ".join(f"{len(v)} {k}" for k, v in values.items()))
            runs = [
                # Signing out revokes the very token the run sends: that operation runs
                # last, on its own, after everything else had the token.
                Run(f"{label} staff", staff, ["--exclude-name", REVOKE]),
                Run(f"{label} kiosk", kiosk_token, []),
                # The back office last but one: it may disable users and revoke devices.
                Run(f"{label} admin", admin, ["--exclude-name", REVOKE]),
                Run(f"{label} staff sign-out", staff, ["--include-name", REVOKE]),
            ]
            for run in runs:
                run.execute(base, args, config, workdir)
        finally:
            stop(server)
    return runs, server_tracebacks(log), workdir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("FUZZ_DATABASE_URL"),
                        help="a PostgreSQL server (postgresql+psycopg://…/db, the database only to "
                             "connect to): fuzz a scratch database there instead of SQLite "
                             "(default: $FUZZ_DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=20270112)
    parser.add_argument("--now", default=DEFAULT_NOW,
                        help=f"the server's clock at the start, ISO 8601 (default {DEFAULT_NOW})")
    parser.add_argument("--max-examples", type=int, default=50, help="per operation and phase")
    parser.add_argument("--workers", type=int, default=1,
                        help="schemathesis workers (more is faster, and no longer repeatable)")
    parser.add_argument("schemathesis", nargs="*",
                        help="after --: more options for schemathesis run")
    args = parser.parse_args()

    started = time.monotonic()
    with ExitStack() as stack:
        if args.postgres:
            database_url = stack.enter_context(scratch_postgres(args.postgres))
            label = "PostgreSQL"
        else:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="fuzz-db-"))
            database_url = f"sqlite:///{directory}/queue.db"
            label = "SQLite"
        runs, tracebacks, workdir = fuzz(database_url, label, args)

    print(f"\n==== fuzz summary ({label}, seed {args.seed}, {args.max_examples} examples, "
          f"{time.monotonic() - started:.0f} s in all)")
    for run in runs:
        state = "ok" if run.ok else "FAILED"
        print(f"{run.label:28} {state:6} {run.operations:3} tests, {run.failed} failed, "
              f"{run.errored} errors, {run.seconds:4.0f} s (schemathesis exit {run.exit_code})")
        for failure in run.failures:
            print(f"    {failure}")
    print(f"server tracebacks: {len(tracebacks)}")
    for line in sorted(set(tracebacks)):
        print(f"    {tracebacks.count(line)} x {line}")
    clean = all(run.ok for run in runs) and not tracebacks
    if clean:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"reports and the server's log: {workdir}")
    failed = sum(run.failed + run.errored for run in runs) + bool(tracebacks)
    passed = sum(run.operations for run in runs) - sum(run.failed + run.errored for run in runs)
    print(f"fuzz: {passed} passed, {failed} failed")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())

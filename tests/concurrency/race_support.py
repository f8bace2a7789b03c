"""The app as a pre-forked gunicorn server on the test's database, and a barrier that
releases a race's requests together: what the race tests share.

A race sends its requests to one gunicorn with four workers: separate processes, each
with its own connections, so racing requests meet in the database, never in anything
of ours. On SQLite the workers are *sync* (one request at a time per process): the
in-process writer lock of ``extensions.py`` then never has a second thread to hold
back, and what serialises the writers is the file's own lock (``BEGIN IMMEDIATE`` and
the busy timeout). On PostgreSQL, where nothing of ours serialises anything, each
process also runs four threads, so more transactions overlap on its row locks and
constraints. The access log names the process of every request, so a test can check
that several processes took part.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Callable

import requests

from tests.conftest import free_port
from tests.realtime_support import ROOT, ServerProcess

WORKERS = 4  # processes racing
# Threads per process on PostgreSQL, where no lock of ours exists: far more transactions
# overlap than with one request per process, so a race the database did not prevent
# shows up in every run rather than in some.
PG_THREADS = 4


class RaceServer(ServerProcess):
    """``gunicorn --preload --workers N`` (sync workers, or gthread with ``threads``)
    serving the app on the database at ``database_url``, its clock standing at ``now``.
    A context manager: started on entry, killed on exit."""

    def __init__(self, database_url: str, secret_key: str, now: datetime, log_dir: Path,
                 workers: int = WORKERS, threads: int = 1):
        super().__init__(free_port(), database_url, now, threads=threads)
        self.env["SECRET_KEY"] = secret_key  # the test's check-in payloads are signed with it
        self.workers = workers
        self.access_log = log_dir / f"access-{self.port}.log"
        self.ready = log_dir / f"ready-{self.port}"  # a file per worker that serves
        self.env["RACE_READY_DIR"] = str(self.ready)

    def launch(self) -> "RaceServer":
        # A gthread worker takes no more connections than it has threads, so the rest
        # go to the other processes (by default one process may queue them all).
        worker = (["--worker-class", "gthread", "--threads", str(self.threads),
                   "--worker-connections", str(self.threads)] if self.threads > 1
                  else ["--worker-class", "sync"])
        # --preload: the app is imported once and the workers are forked from it (start-up
        # in ~2 s whatever N); create_app opens no connection, so none is shared.
        command = [sys.executable, "-m", "gunicorn", *worker, "--workers", str(self.workers),
                   "--preload", "--timeout", "60", "--graceful-timeout", "2",
                   "--bind", f"127.0.0.1:{self.port}", "--no-control-socket",  # not one shared path
                   "--access-logfile", str(self.access_log),
                   "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
                   "--config", str(Path(__file__).with_name("race_gunicorn.py")),
                   "tests.realtime_support:build_app()"]
        self.ready.mkdir()
        self.log = open(self.access_log.with_suffix(".err"), "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 30.0) -> "RaceServer":
        """Wait until every worker serves (one answering is not enough: a race run
        before the others are up would run in fewer processes)."""
        deadline = time.monotonic() + timeout
        super().wait_ready(timeout)
        while len(list(self.ready.iterdir())) < self.workers:
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"only {len(list(self.ready.iterdir()))} of {self.workers} workers started")
            time.sleep(0.05)
        return self

    def __enter__(self) -> "RaceServer":
        return self.start(timeout=30)

    def __exit__(self, *_exc) -> None:
        self.stop()

    def pids(self, method: str = "POST") -> set[str]:
        """The worker processes that answered ``method`` requests so far."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return {line.split()[0] for line in lines if line.split()[1:2] == [method]}


def race_server(app, now: datetime, tmp_path: Path, workers: int = WORKERS) -> RaceServer:
    """A ``RaceServer`` on ``app``'s database and secret key (use it in a ``with``).
    On PostgreSQL each process also serves ``PG_THREADS`` requests at once (nothing of
    ours serialises them there), so more transactions overlap."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    threads = PG_THREADS if url.startswith("postgresql") else 1
    return RaceServer(url, app.config["SECRET_KEY"], now, tmp_path, workers, threads)


def race(jobs: list[Callable[[], object]]) -> list:
    """Run every job in a thread of its own, all released at once; their results, in order."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def post(url: str, json: dict | None = None, headers: dict | None = None) -> Callable[[], requests.Response]:
    """A job for ``race``: one POST on a connection of its own."""
    def job() -> requests.Response:
        with requests.Session() as session:
            return session.post(url, json=json, headers=headers, timeout=60)
    return job

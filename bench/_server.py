"""What the benchmarks share: a free port, a gunicorn to start and stop, and a scratch
PostgreSQL database that is dropped afterwards."""
from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(server_args: list[str], app: str, env: dict, port: int) -> subprocess.Popen:
    """``python -m gunicorn <server_args> --bind 127.0.0.1:<port> <app>``, once it listens."""
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", *server_args,
                                "--bind", f"127.0.0.1:{port}", app], cwd=ROOT, env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{app} did not start")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(15)


@contextlib.contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A new empty database on the server of ``admin_url``; its URL; dropped at the end."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

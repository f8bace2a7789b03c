"""What the benchmarks share: a free port, a gunicorn to start and stop, and a scratch
PostgreSQL database that is dropped afterwards."""
from __future__ import annotations

import contextlib
import os
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


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of one process, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0


def server_cpu(process: subprocess.Popen) -> float:
    """CPU seconds used so far by a gunicorn master and its workers."""
    return _cpu_of(process.pid) + sum(_cpu_of(pid) for pid in _pids() if _parent_of(pid) == process.pid)


def postgres_cpu() -> float:
    """CPU seconds used so far by the local PostgreSQL server's processes (0 without one)."""
    total = 0.0
    for pid in _pids():
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if name.startswith("postgres"):
            total += _cpu_of(pid)
    return total


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

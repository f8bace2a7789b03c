"""What one walk-in ticket and one check-in cost the server, without a server or
concurrency: the lobby rush's day (bench/lobby_rush.py: 203 counters, 410 reservations
due this half hour) with ``--waiting`` walk-ins already in the queue, then ``--requests``
walk-ins and as many check-ins through Flask's test client, one at a time.

Usage:  .venv/bin/python bench/lobby_cost.py [--waiting 300] [--requests 100] [--profile]
        [--save DAY.db | --load DAY.db]

It prints the CPU time (``time.process_time``) per request. On a shared machine that
time drifts by a third from minute to minute; the count of instructions does not. To
count them, build the day once and run the requests under callgrind twice, with
``--requests 0`` and ``--requests 100`` (the difference ÷ 100 is one request's):

    .venv/bin/python bench/lobby_cost.py --save /tmp/day.db
    valgrind --tool=callgrind .venv/bin/python bench/lobby_cost.py --load /tmp/day.db --requests 0
    valgrind --tool=callgrind .venv/bin/python bench/lobby_cost.py --load /tmp/day.db --requests 100

(``--load`` works on a copy, so each run starts from the same day.) ``--profile`` prints
where a walk-in's time goes.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import lobby_rush  # noqa: E402
from queue_app import create_app  # noqa: E402


def build_day(path: Path, waiting: int) -> None:
    """The lobby rush's day with ``waiting`` walk-ins in the queue, saved at ``path``
    with the kiosk's token and the reservations' QR payloads beside it."""
    path.unlink(missing_ok=True)
    secret = "bench-" + uuid.uuid4().hex
    token, payloads, _staff = lobby_rush.prepare(f"sqlite:///{path}", secret, 410)
    client, headers = _client(path, secret, token)
    for i in range(waiting):
        _post(client, "/api/v1/tickets", lobby_rush.WalkIn()(i), headers)
    path.with_suffix(".json").write_text(json.dumps({"secret": secret, "token": token, "payloads": payloads}))


def _client(path: Path, secret: str, token: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SCHEDULER_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "SECRET_KEY": secret, "CLOCK": lambda: lobby_rush.MORNING})
    return app.test_client(), {"Authorization": f"Bearer {token}"}


def _post(client, path: str, body: dict, headers: dict) -> None:
    response = client.post(path, json=body, headers=headers)
    if response.status_code != 201:
        raise SystemExit(f"{path} answered {response.status_code}: {response.get_json()}")


def run(path: Path, requests: int, profile: bool) -> None:
    saved = json.loads(path.with_suffix(".json").read_text())
    client, headers = _client(path, saved["secret"], saved["token"])
    walk_in = lobby_rush.WalkIn()
    for i in range(5):  # warm-up: the caches a running server has
        _post(client, "/api/v1/tickets", walk_in(i), headers)
    payloads = iter(saved["payloads"])
    for label, url, body in (("walk-in", "/api/v1/tickets", walk_in),
                             ("check-in", "/api/v1/check-ins", lambda _i: {"payload": next(payloads)})):
        profiler = cProfile.Profile() if profile and label == "walk-in" else None
        started = time.process_time()
        if profiler:
            profiler.enable()
        for i in range(requests):
            _post(client, url, body(i), headers)
        if profiler:
            profiler.disable()
        if requests:
            print(f"{label:<9} {(time.process_time() - started) * 1000 / requests:6.2f} ms of CPU a request "
                  f"({requests} requests{', profiled' if profiler else ''})")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=300, help="walk-ins in the queue before measuring")
    parser.add_argument("--requests", type=int, default=100, help="walk-ins, then check-ins, measured")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--save", type=Path, help="build the day into this SQLite file and stop")
    parser.add_argument("--load", type=Path, help="measure on a copy of a day saved with --save")
    args = parser.parse_args()
    if args.save:
        build_day(args.save, args.waiting)
        return
    with tempfile.TemporaryDirectory() as tmp:
        day = Path(tmp) / "day.db"
        if args.load:
            shutil.copy(args.load, day)
            shutil.copy(args.load.with_suffix(".json"), day.with_suffix(".json"))
        else:
            build_day(day, args.waiting)
        run(day, args.requests, args.profile)


if __name__ == "__main__":
    main()

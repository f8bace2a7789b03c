"""The app bench/lobby_rush.py serves: the real one, on a clock that starts at
``LOBBY_CLOCK_START`` (an ISO time, a weekday morning in Tokyo) and runs at real speed,
so the counters are open whatever the hour of the run."""
import os
import time
from datetime import datetime, timedelta

from queue_app import create_app

_START = datetime.fromisoformat(os.environ["LOBBY_CLOCK_START"])
_STARTED = time.monotonic()


def clock() -> datetime:
    return _START + timedelta(seconds=time.monotonic() - _STARTED)


app = create_app({"CLOCK": clock})

"""The app ``scripts/fuzz`` serves: wsgi.py's, with its CLOCK starting at ``FUZZ_NOW``
(an ISO 8601 time with its offset) and running on from there, so that what the fuzzer
meets (counters open, walk-ins taken, check-in windows) does not depend on the day or
the hour the run starts. Everything else comes from the environment, as for wsgi.py."""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from queue_app import create_app

_START = datetime.fromisoformat(os.environ["FUZZ_NOW"])
_STARTED = time.monotonic()


def fuzz_clock() -> datetime:
    return _START + timedelta(seconds=time.monotonic() - _STARTED)


app = create_app({"CLOCK": fuzz_clock})

"""The time, as the app sees it: ``config["CLOCK"]`` (tests and the demo move it). Every
route, page, job and command reads it here; services are given it as ``now``."""
from __future__ import annotations

from datetime import datetime

from flask import current_app


def now() -> datetime:
    """Now, aware, from the current app's clock."""
    return current_app.config["CLOCK"]()

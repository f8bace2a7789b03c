"""The back office: pages for staff and administrators over the domain services.
So far the reports (``/admin/reports``); this only registers the blueprints."""
from __future__ import annotations

from flask import Flask


def init_admin(app: Flask) -> None:
    from . import reports

    app.register_blueprint(reports.bp)

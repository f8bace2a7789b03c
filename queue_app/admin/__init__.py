"""The back office: pages for staff and administrators over the domain services
(``/admin``: reports for staff and admin; everything else for administrators only).
This only registers the blueprints."""
from __future__ import annotations

from flask import Flask


def init_admin(app: Flask) -> None:
    from . import accounts, audit, closures, reports
    from . import calendar, office

    for blueprint in (reports.bp, closures.bp, audit.bp, accounts.bp, office.bp, calendar.bp):
        app.register_blueprint(blueprint)
    from . import outreach  # home visits (出張申請), for staff: /staff/outreach

    app.register_blueprint(outreach.bp)

"""Resident pages, the staff console, the lobby pages and the front-end libraries.

Each audience has its own blueprint; this only registers them.
"""
from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    from display import bp as display_bp
    from kiosk import bp as kiosk_bp

    from . import booking, caller, info, manage, staff, status, ticket_page, vendor  # noqa: F401  (info, manage: routes on booking.bp)
    from . import waitlist  # noqa: F401  (routes on booking.bp)

    for blueprint in (vendor.bp, booking.bp, staff.bp, caller.bp, ticket_page.bp, status.bp, kiosk_bp,
                      display_bp):
        app.register_blueprint(blueprint)
    from . import outreach  # the home-visit application form, /outreach

    app.register_blueprint(outreach.bp)

"""The HTTP API under /api/v1: thin routes over the domain services."""
from __future__ import annotations

from ..services.errors import DomainError
from . import auth, catalogue, congestion, queue, reports, reservations, staffing, tickets
from . import admin_accounts, admin_closures
from . import admin_calendar, admin_office
from . import waitlist
from . import outreach
from ..problems import ProblemApi, handle_domain_error, handle_unexpected

# Every request body is screened for a My Number, NUL and surrogates app-wide (screening.py).
BLUEPRINTS = (catalogue.blp, reservations.blp, queue.blp, tickets.blp, auth.blp, reports.blp,
              staffing.blp, congestion.blp, admin_closures.blp, admin_accounts.blp,
              admin_office.blp, admin_calendar.blp, waitlist.blp,
              outreach.blp)


def init_api(app, api: ProblemApi, csrf) -> None:
    """Register the API blueprints; they take bearer tokens, not cookies, so no CSRF."""
    auth.document_security(api)
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)

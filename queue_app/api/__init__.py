"""The HTTP API under /api/v1: thin routes over the domain services."""
from __future__ import annotations

from flask import request

from ..services.errors import DomainError, MyNumberRejected
from ..services.privacy import contains_my_number
from . import auth, catalogue, queue, reservations, tickets
from ..problems import ProblemApi, handle_domain_error, handle_unexpected

# Bodies that are not a resident's words: passwords and signed payloads are not screened.
_NOT_SCREENED = ("/api/v1/auth/", "/api/v1/check-ins")


def _refuse_my_number():
    """Refuse any body that holds a 12-digit number before anything reads or logs it."""
    if request.method not in ("POST", "PUT", "PATCH") or request.path.startswith(_NOT_SCREENED):
        return None
    body = request.get_json(silent=True)
    if body is not None and contains_my_number(body):
        raise MyNumberRejected(
            "Please do not enter your My Number (12-digit individual number). "
            "マイナンバー(12桁の個人番号)は入力しないでください。")
    return None


BLUEPRINTS = (catalogue.blp, reservations.blp, queue.blp, tickets.blp, auth.blp)
for _blueprint in BLUEPRINTS:  # once, at import: blueprints outlive each app
    _blueprint.before_request(_refuse_my_number)


def init_api(app, api: ProblemApi, csrf) -> None:
    """Register the API blueprints; they take bearer tokens, not cookies, so no CSRF."""
    auth.document_security(api)
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)

"""application/problem+json for every error the API answers (RFC 9457)."""
from __future__ import annotations

import http
import logging

from flask import current_app, json
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

from .services.errors import DomainError

log = logging.getLogger(__name__)

# Codes for plain HTTP errors that reach the API without a domain error.
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large",
               415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}


PROBLEM_JSON = "application/problem+json"


class Problem(Schema):
    """What ``problem()`` sends, for the OpenAPI document (RFC 9457 and the contract)."""

    class Meta:
        unknown = INCLUDE  # some problems add members, e.g. "reservations", "retry_after"

    type = fields.String(required=True, metadata={"example": "/api/v1/problems#invalid"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "The contract's machine-readable code"})
    errors = fields.Dict(metadata={"description": "With code invalid: the fields that failed and why"})


def problem(status: int, code: str, title: str, detail: str = "", **extra):
    body = {"type": f"/api/v1/problems#{code}", "title": title, "status": status,
            "detail": detail or title, "code": code, **extra}
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status,
        mimetype="application/problem+json")
    return response


def handle_domain_error(error: DomainError):
    return problem(error.status, error.code, error.title, error.detail, **error.extra)


class ProblemApi(Api):
    """flask-smorest's Api, answering its HTTP errors as problem+json too."""

    ERROR_SCHEMA = Problem

    def _register_responses(self):
        """flask-smorest's shared responses (one per HTTP status, and DEFAULT_ERROR, which
        every operation references) document what errors really are: a Problem, as
        application/problem+json. Routes name their errors by status (``"NOT_FOUND"``)."""
        error = {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = error
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME, {"description": "An error", "content": error}, lazy=True)

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        code = _HTTP_CODES.get(status, "error")
        extra = {}
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        if messages:  # webargs validation: {"json": {"field": ["message"]}}
            fields, general = {}, []
            for location_errors in messages.values():
                if isinstance(location_errors, dict):
                    fields.update(location_errors)
                else:
                    general.extend(location_errors)
            if fields:
                extra["errors"] = fields
                detail = "Some fields are not valid: " + ", ".join(sorted(fields))
            else:
                detail = " ".join(map(str, general)) or error.description
        else:
            detail = error.description or error.name
        response = problem(status, code, error.name, detail, **extra)
        if status == 429 or status == 405:
            for header, value in (getattr(error, "get_headers", lambda: [])() or []):
                if header.lower() in ("retry-after", "allow"):
                    response.headers[header] = value
        return response


def handle_unexpected(error: Exception):
    """The last resort: log the type only (never a request body), answer problem+json.
    A database that is away answers 503 with Retry-After: try again shortly."""
    if isinstance(error, HTTPException):
        raise error
    from .resilience import RETRY_AFTER_SECONDS, discard_session, is_database_outage

    if is_database_outage(error):
        log.warning("database unavailable: %s", type(error).__name__)
        discard_session()
        response = problem(503, "unavailable", "Service unavailable",
                           "The database cannot be reached just now; nothing was changed. "
                           "Please try again in a moment.")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    log.exception("unhandled %s", type(error).__name__)
    return problem(500, "internal", "Internal error",
                   "Something went wrong on our side; nothing was changed.")

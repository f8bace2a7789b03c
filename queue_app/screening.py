"""What every request's text must pass before any route, service or log sees it.

One hook for the whole app (API, pages, kiosk, display), so a route added later is
screened without knowing it:
- **Text the database cannot hold**: a NUL character or an unpaired surrogate in a path
  segment, a query parameter, a form field or a JSON string. PostgreSQL refuses both
  with an error, so they are turned away here with a 4xx that names the field.
- **JSON too deep to walk**: a body nested beyond ``MAX_JSON_DEPTH`` (no request of ours
  needs more than a few levels; Python's parser would otherwise recurse until it fails).
- **A My Number**, in any JSON body, by the one rule of ``services/privacy.py``. Forms
  of the resident pages are screened by their form class (``web/forms.py``), which puts
  the message next to the field instead of answering problem+json.

Secrets and signed values (passwords, tokens, the check-in payload) are not a resident's
words: they are checked for NUL and surrogates but never for a My Number.
"""
from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from .services.errors import Invalid, MyNumberRejected
from .services.privacy import my_number_fields

MAX_JSON_DEPTH = 32
# The database's INTEGER: a path id beyond it names nothing (and PostgreSQL would fail).
MAX_DATABASE_INT = 2**31 - 1
NOT_SCREENED_FOR_MY_NUMBER = frozenset({"password", "payload", "token", "csrf_token"})
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

MY_NUMBER_MESSAGE = ("Please do not enter your My Number (12-digit individual number). "
                     "マイナンバー(12桁の個人番号)は入力しないでください。")


class DatabaseIntConverter(IntegerConverter):
    """``<int:…>`` in every route: at most the database's INTEGER, else 404."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_DATABASE_INT, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install_converters(app: Flask) -> None:
    """Before any blueprint is registered, so every route's ``<int:…>`` is bounded."""
    app.url_map.converters["int"] = DatabaseIntConverter


def _unstorable_fields(value, path: str, depth: int = 0) -> list[str]:
    if depth > MAX_JSON_DEPTH:
        raise Invalid(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.",
                      errors={path or "body": ["Nested too deep."]})
    if isinstance(value, str):
        return [path or "body"] if _UNSTORABLE.search(value) else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if _UNSTORABLE.search(str(key)):
                found.append(child)
            found.extend(_unstorable_fields(item, child, depth + 1))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_unstorable_fields(item, f"{path}.{index}" if path else str(index), depth + 1))
    return found


def _refuse_unstorable(fields: list[str]) -> None:
    if fields:
        raise Invalid("Text may not contain NUL characters or unpaired surrogates.",
                      errors={field: ["Contains a character that cannot be stored."]
                              for field in fields})


def _json_body():
    """The parsed JSON body, or None when there is none (or it is not JSON at all: the
    route's own parser then answers 400/422 as usual)."""
    if not request.is_json:
        return None
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise Invalid(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.",
                      errors={"body": ["Nested too deep."]}) from None


def screen_request():
    """The hook: refuse what no route may receive (see the module docstring)."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and _UNSTORABLE.search(value):
            raise NotFound()
    _refuse_unstorable([f"query.{key}" for key, value in request.args.items(multi=True)
                        if _UNSTORABLE.search(key) or _UNSTORABLE.search(value)])
    if request.method in _SAFE_METHODS:
        return None
    _refuse_unstorable([key for key, value in request.form.items(multi=True)
                        if _UNSTORABLE.search(key) or _UNSTORABLE.search(value)])
    body = _json_body()
    if body is None:
        return None
    _refuse_unstorable(_unstorable_fields(body, ""))
    screened = ({k: v for k, v in body.items() if k not in NOT_SCREENED_FOR_MY_NUMBER}
                if isinstance(body, dict) else body)
    fields = my_number_fields(screened)
    if fields:
        # The fields are named so the resident knows where to look; the value never is.
        raise MyNumberRejected(MY_NUMBER_MESSAGE, errors={
            field: ["Do not enter a My Number here."] for field in fields})
    return None


def init_screening(app: Flask) -> None:
    app.before_request(screen_request)

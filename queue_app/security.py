"""Request-wide protections: security headers, the SQLite write intent, the language,
and logs that never carry a token."""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from flask import Flask, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from . import i18n
from .extensions import db, login_manager, write_intent

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# No inline script anywhere; the lobby pages connect back to us over WebSocket.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' data: blob:; connect-src 'self' ws: wss:; font-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class RedactTokens(logging.Filter):
    """Access logs print URLs; reservation links carry ``?token=``. Hide it.

    werkzeug passes its values as a tuple; gunicorn's access log passes one dict of
    "atoms" (``%(r)s``, ``%(U)s``, ``%(q)s``…), which must stay a dict."""

    _pattern = re.compile(r"(token=)[^&\s\"]+")

    def _redact(self, value):
        return self._pattern.sub(r"\1…", value) if isinstance(value, str) else value

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping):
            record.args = {key: self._redact(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(self._redact(value) for value in record.args)
        return True


def init_proxy(app: Flask) -> None:
    """Behind the city's reverse proxy (``PROXY_HOPS`` > 0), take the client's address
    and scheme from exactly that many ``X-Forwarded-*`` hops: the rate limits then key
    on the resident, not on the proxy, and a client cannot forge an address by adding
    hops of its own. With 0 (no proxy) the headers are ignored."""
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops, x_prefix=hops)


def init_security(app: Flask) -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):  # once, however many apps
            logger.addFilter(RedactTokens())

    @app.before_request
    def _declare_write_intent():
        write_intent.set(request.method not in _SAFE_METHODS)

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Manage links carry the token in the query: never send it to another site.
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("APP_ENV") == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


@login_manager.user_loader
def _load_user(user_id: str):
    from .models import User

    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def select_locale() -> str:
    """Japanese first; ``?lang=`` (en, easy-ja, zh-Hans, ko, vi, pt-BR, ja; see i18n.py)
    switches the language and is remembered. Returns the Babel locale."""
    chosen = i18n.find_language(request.args.get("lang"))
    if chosen is not None:
        session["lang"] = chosen.code
        return chosen.locale
    return (i18n.find_language(session.get("lang")) or i18n.DEFAULT).locale

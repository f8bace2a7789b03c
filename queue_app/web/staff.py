"""The staff console: log in and out, and the one-page console that works the queue.

The console page itself only carries what it needs to start (places, procedures, the
business date); every action goes through the HTTP API with the Flask-Login session
cookie and an ``X-CSRFToken`` header (the token is in a <meta> tag), and the page keeps
itself current over Socket.IO (namespace /display), without reloading.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, current_app, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..extensions import db, limiter
from ..models import Location, Service
from ..services import accounts, calendar
from ..api.auth import login_source
from ..services.errors import TooManyAttempts, Unauthorized
from .. import clock

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect to another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/staff"):
            return target
    return url_for("staff.console")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """The login form (CSRF-protected); a right password starts a console session."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error, status = None, 200
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        now = clock.now()
        try:
            user = accounts.authenticate(db.session, username, request.form.get("password", ""),
                                         now, login_source())
        except TooManyAttempts as exc:
            error, status = "locked", 429
            retry = exc.extra.get("retry_after")
            return render_template("staff/login.html", error=error, retry_after=retry,
                                   username=username), status
        except Unauthorized:
            error, status = "wrong", 401
        else:
            language = session.get("lang")
            session.clear()  # nothing from before the login carries over
            if language:
                session["lang"] = language
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("staff/login.html", error=error, retry_after=None,
                           username=username), status


@bp.post("/logout")
def logout():
    """End the console session (a CSRF-protected POST, so no link can log staff out)."""
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"))


@bp.get("")
@bp.get("/")
def console():
    """The console: place and counter, the current ticket, the queue, today's reservations."""
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    places = db.session.scalars(select(Location).order_by(Location.id)).all()
    services = db.session.scalars(select(Service).order_by(Service.position)).all()
    today = calendar.today(clock.now())
    return render_template(
        "staff/console.html",
        places=[{"slug": p.slug, "name": p.name()} for p in places],
        services=[{"slug": s.slug, "name": s.name()} for s in services],
        today=today.isoformat(),
        chosen_place=request.args.get("location", ""),
        chosen_counter=request.args.get("counter", ""),
        undo_seconds=current_app.config["UNDO_SECONDS"])

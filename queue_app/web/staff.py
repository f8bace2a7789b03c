"""The staff console: log in and out, and the one-page console that works the queue.

The console page itself only carries what it needs to start (places, procedures, the
business date); every action goes through the HTTP API with the Flask-Login session
cookie and an ``X-CSRFToken`` header (the token is in a <meta> tag), and the page keeps
itself current over Socket.IO (namespace /display), without reloading.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..extensions import db, limiter
from ..models import Location, Service, User
from ..services import accounts, calendar
from ..api.auth import login_source
from ..services.errors import Invalid, TooManyAttempts, Unauthorized
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
    """The login form (CSRF-protected); a right password starts a console session. A
    password an administrator reset must first be replaced: the right temporary password
    leads to the change form (the same address), and only the new password signs in."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error, status = None, 200
    username = ""
    if request.method == "POST":
        now = clock.now()
        pending = session.get(_PASSWORD_CHANGE)
        if pending and "new_password" in request.form:
            return _finish_password_change(pending, now)
        username = request.form.get("username", "").strip()
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
            if user.must_change_password:
                # The temporary password was right (and counted by the throttle): remember
                # who, for a short while, in the signed session; no console session yet.
                session[_PASSWORD_CHANGE] = {"user": user.id,
                                             "until": (now + _PASSWORD_CHANGE_TIME).isoformat()}
                return render_template("staff/change_password.html", username=user.username,
                                       errors={})
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("staff/login.html", error=error, retry_after=None,
                           username=username), status


_PASSWORD_CHANGE = "password_change"
_PASSWORD_CHANGE_TIME = timedelta(minutes=10)
# The service's messages, as the change form names them (it words them in both languages).
_CHANGE_ERRORS = {accounts.MESSAGES["password_short"]: "short", accounts.MESSAGES["password_long"]: "long",
                  accounts.MESSAGES["password_same"]: "same"}


def _finish_password_change(pending: dict, now):
    """The second step of a sign-in after a reset: the new password, twice."""
    user = db.session.get(User, pending.get("user") or 0)
    try:
        until = datetime.fromisoformat(pending.get("until", ""))
    except (TypeError, ValueError):
        until = now
    if user is None or not user.active or not user.must_change_password or until <= now:
        session.pop(_PASSWORD_CHANGE, None)  # start again from the login form
        return render_template("staff/login.html", error=None, retry_after=None, username=""), 401
    new = request.form.get("new_password", "")
    errors = {}
    if new != request.form.get("confirm_password", ""):
        errors["confirm"] = "mismatch"
    else:
        try:
            accounts.change_password(db.session, user, new, now=now)
        except Invalid as error:
            db.session.rollback()
            for name, messages in error.extra.get("errors", {}).items():
                errors[name] = _CHANGE_ERRORS.get(messages[0], "short")
    if errors:
        return render_template("staff/change_password.html", username=user.username, errors=errors), 422
    session.pop(_PASSWORD_CHANGE, None)
    login_user(user)
    return redirect(_safe_next(request.args.get("next")))


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
        services=[{"slug": s.slug, "name": s.name(), "reservable": s.reservable} for s in services],
        today=today.isoformat(),
        chosen_place=request.args.get("location", ""),
        chosen_counter=request.args.get("counter", ""),
        undo_seconds=current_app.config["UNDO_SECONDS"])

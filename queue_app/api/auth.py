"""Who is calling: staff bearer tokens, the staff console's session, kiosk devices.

- ``POST /auth/token`` trades a username and password for a staff bearer token.
  Failures in a row lock the account *for the address they came from* for a growing
  while (services/accounts.py, 429 ``too_many_attempts`` with ``Retry-After``): a
  stranger cannot lock a clerk out of their own counter. Flask-Limiter caps the attempts
  per address (``LOGIN_RATE_LIMIT``, 429 ``rate_limited``).
- Staff endpoints take EITHER ``Authorization: Bearer <staff token>`` OR the console's
  Flask-Login session; a session request that changes something must carry the CSRF
  token in ``X-CSRFToken`` (``GET /auth/session`` hands it out), because a cookie is
  sent by the browser on its own and a bearer token is not.
- Kiosk endpoints take a kiosk device's bearer token (a display's token is refused).

Everything else answers 401 ``unauthorized`` (no or a bad credential) or 403
``forbidden`` (a credential that may not do this).
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from ..extensions import db, limiter
from ..models import Device, User
from ..problems import handle_domain_error
from ..services import accounts, credentials
from ..services.errors import Forbidden, TooManyAttempts, Unauthorized
from .schemas_queue import LoginIn, SessionOut, TokenOut
from .. import clock

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Staff sign-in")

STAFF_ROLES = ("staff", "admin")
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Actor:
    """The authenticated caller: a staff user or a lobby device."""

    user: User | None = None
    device: Device | None = None
    via: str = "token"  # "token" | "session"

    @property
    def name(self) -> str:
        """How the audit log names the caller."""
        return f"user:{self.user.id}" if self.user is not None else f"device:{self.device.id}"

    @property
    def is_staff(self) -> bool:
        return self.user is not None and self.user.role in STAFF_ROLES

    @property
    def is_kiosk(self) -> bool:
        return self.device is not None and self.device.kind == "kiosk"


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None



def _token_actor(token: str, devices_first: bool) -> Actor | None:
    """Whose token this is: a staff user's or a device's. The likelier owner is asked
    first (a kiosk's routes: the device), so the usual request costs one query."""
    def as_user():
        user = accounts.user_for_token(db.session, token, clock.now())
        return Actor(user=user) if user is not None else None

    def as_device():
        device = accounts.device_for_token(db.session, token, clock.now())  # marks it seen
        return Actor(device=device) if device is not None else None

    first, second = (as_device, as_user) if devices_first else (as_user, as_device)
    return first() or second()


def current_actor(devices_first: bool = False) -> Actor | None:
    """The caller of this request, or None. A bearer token that is present but not
    valid is an error (it is never silently replaced by the session)."""
    if "actor" in g:
        return g.actor
    actor = None
    token = _bearer()
    if token is not None:
        actor = _token_actor(token, devices_first)
        if actor is None:
            raise Unauthorized("The bearer token is not valid (or has expired).")
    elif current_user.is_authenticated and current_user.is_active:
        if request.method not in _SAFE_METHODS:
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except ValidationError as error:
                raise Forbidden("A signed-in console request must carry its CSRF token "
                                "in the X-CSRFToken header.", reason=str(error)) from None
        actor = Actor(user=current_user._get_current_object(), via="session")
    g.actor = actor
    return actor


def require_staff() -> Actor:
    actor = current_actor()
    if actor is None:
        raise Unauthorized("Sign in as staff: a bearer token or the console's session.")
    if not actor.is_staff:
        raise Forbidden("Only staff may do this.")
    return actor


def require_admin() -> Actor:
    actor = require_staff()
    if actor.user.role != "admin":
        raise Forbidden("Only an administrator may do this.")
    return actor


def require_kiosk(allow_staff: bool = False) -> Actor:
    actor = current_actor(devices_first=True)
    if actor is None:
        raise Unauthorized("A kiosk device token is needed.")
    if actor.is_kiosk or (allow_staff and actor.is_staff):
        return actor
    raise Forbidden("Only a kiosk" + (" or staff" if allow_staff else "") + " may do this.")


# OpenAPI: the schemes a guarded route accepts (registered by ``document_security``).
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "A staff token (POST /auth/token) or a kiosk device token."},
    "consoleSession": {"type": "apiKey", "in": "cookie", "name": "session",
                       "description": "The staff console's session; writes also need X-CSRFToken."},
}


def document_security(api) -> None:
    """Declare the security schemes in the OpenAPI document (once per app)."""
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)


def _guarded(view, check, security: list[dict]):
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            check()
        except Unauthorized as error:
            response = handle_domain_error(error)
            response.headers["WWW-Authenticate"] = 'Bearer realm="city-hall-queue"'
            return response
        return view(*args, **kwargs)

    wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    wrapper._apidoc.setdefault("manual_doc", {})["security"] = security
    # OpenAPI: what every guarded route may answer (shared problem+json responses).
    wrapper._apidoc["manual_doc"].setdefault("responses", {}).update(
        {401: "UNAUTHORIZED", 403: "FORBIDDEN"})
    return wrapper


def staff_required(view):
    """Let the view run for staff (and admins) only."""
    return _guarded(view, require_staff, [{"bearerAuth": []}, {"consoleSession": []}])


def admin_required(view):
    """Let the view run for administrators only (the back office)."""
    return _guarded(view, require_admin, [{"bearerAuth": []}, {"consoleSession": []}])


def kiosk_required(view):
    """Let the view run for a kiosk device only."""
    return _guarded(view, require_kiosk, [{"bearerAuth": []}])


def kiosk_or_staff_required(view):
    """Let the view run for a kiosk device or a staff user."""
    return _guarded(view, lambda: require_kiosk(allow_staff=True),
                    [{"bearerAuth": []}, {"consoleSession": []}])


def ensure_own_location(actor: Actor, location) -> None:
    """A device acts for its own place only; staff for any."""
    if actor.device is not None and actor.device.location_id != location.id:
        raise Forbidden("This device belongs to another place.")


# ---------------------------------------------------------------- routes

def login_source() -> str:
    """Whom a failed sign-in is counted against, with the account: the caller's address
    (behind the city's proxy, the resident's own: ``PROXY_HOPS``), hashed."""
    return credentials.address_key(request.remote_addr, current_app.config["SECRET_KEY"])


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@blp.post("/auth/token")
@limiter.limit(_login_limit, methods=["POST"])
@blp.arguments(LoginIn())
@blp.response(200, TokenOut)
def create_token(body):
    """Sign in as staff: a bearer token for ``Authorization: Bearer …``."""
    now = clock.now()
    try:
        user = accounts.authenticate(db.session, body["username"], body["password"], now,
                                     login_source())
    except Unauthorized as error:
        # Answered, not raised: the request's unit of work keeps the failure, which
        # counts towards the lockout.
        response = handle_domain_error(error)
        response.headers["WWW-Authenticate"] = 'Bearer realm="city-hall-queue"'
        return response
    except TooManyAttempts as error:
        response = handle_domain_error(error)
        response.headers["Retry-After"] = str(error.extra.get("retry_after", 1))
        return response
    hours = current_app.config["STAFF_TOKEN_HOURS"]
    token = accounts.issue_token(db.session, user, now, hours)
    expires_at = now + timedelta(hours=hours)  # as issue_token stored it
    return {"token": token, "expires_at": expires_at, "user": user}


@blp.delete("/auth/token")
@blp.response(204)
def revoke_token():
    """Sign out: the bearer token of this request stops working at once."""
    token = _bearer()
    if token is None or accounts.user_for_token(db.session, token, clock.now()) is None:
        raise Unauthorized("Give the staff bearer token to revoke.")
    accounts.revoke_token(db.session, token)
    return ""


@blp.get("/auth/session")
@staff_required
@blp.response(200, SessionOut)
def get_session():
    """Who is signed in, and the CSRF token a console session sends in ``X-CSRFToken``."""
    actor = g.actor
    body = {"user": actor.user, "via": actor.via}
    if actor.via == "session":
        body["csrf_token"] = generate_csrf()
    return body

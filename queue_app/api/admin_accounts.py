"""The back office's API for users and lobby devices (administrators only):

- ``GET /admin/users``, ``POST /admin/users`` (``{"username", "role", "password"}``).
- ``POST /admin/users/{id}/disable``: the user's tokens answer 401 from now on, and a
  console session they hold ends at its next request; the last active administrator is
  refused (409 ``last_admin``). ``POST /admin/users/{id}/enable`` undoes it.
- ``POST /admin/users/{id}/reset-password``: answers a temporary password, shown this
  once; until the user has chosen a new one on the console, ``POST /auth/token``
  refuses them (403 ``password_change_required``).
- ``GET /admin/devices``, ``POST /admin/devices`` (``{"name", "kind", "location"}``):
  the token is answered this once, with the address the device opens to set itself up
  and its QR code. ``DELETE /admin/devices/{id}`` revokes: the token answers 401 at
  once and a connected display is disconnected.

Rules live in services/accounts.py; each change is one transaction and one audit entry.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import quote

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import clock, links, realtime
from ..extensions import db
from ..models import Device
from ..services import accounts
from .auth import admin_required, require_admin
from .schemas import _In

# An answer that carries a secret shown once (a token, a temporary password): no cache keeps it.
NO_STORE = {"Cache-Control": "no-store"}

blp = Blueprint("admin_accounts_api", __name__, url_prefix="/api/v1",
                description="Back office: users and lobby devices (administrators)")


# ---------------------------------------------------------------- schemas

class UserIn(_In):
    # Lengths and values are checked by the service, so the API and the page refuse the
    # same things with the same per-field messages.
    username = fields.String(required=True, validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.Length(max=20),
                         metadata={"enum": list(accounts.ROLES)})
    password = fields.String(required=True, validate=validate.Length(max=1000),
                             metadata={"description": f"At least {accounts.PASSWORD_MIN} characters"})
    must_change_password = fields.Boolean(load_default=False, metadata={
        "description": "The user must choose a new password at the first sign-in"})


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    active = fields.Boolean()
    must_change_password = fields.Boolean()
    created_at = fields.AwareDateTime()


class UserList(Schema):
    users = fields.List(fields.Nested(UserOut))


class PasswordResetOut(Schema):
    user = fields.Nested(UserOut)
    temporary_password = fields.String(metadata={
        "description": "Shown this once; the user must choose a new one at the next sign-in"})


class DeviceIn(_In):
    name = fields.String(required=True, validate=validate.Length(max=200))
    kind = fields.String(required=True, validate=validate.Length(max=20),
                         metadata={"enum": list(accounts.DEVICE_KINDS)})
    location = fields.String(required=True, validate=validate.Length(max=40))


class DeviceOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    location = fields.Function(lambda device: device.location.slug, metadata={"type": "string"})
    created_at = fields.AwareDateTime()
    last_seen_at = fields.AwareDateTime(allow_none=True)
    online = fields.Function(lambda device: device.id in realtime.online_device_ids(current_app),
                             metadata={"type": "boolean",
                                       "description": "Connected to this server process now"})
    revoked = fields.Boolean()


class DeviceList(Schema):
    devices = fields.List(fields.Nested(DeviceOut))


class DeviceCreatedOut(DeviceOut):
    token = fields.String(metadata={"description": "Shown this once; only its hash is kept"})
    setup_url = fields.String(metadata={"description": "The page that sets the device up with it"})
    setup_qr = fields.String(metadata={"description": "The setup_url as a QR code (a PNG data: URL)"})


def setup_url(device, token: str) -> str:
    """Where the device sets itself up: a kiosk keeps the ``#token=`` fragment (never
    sent to a server) in its own storage; a display carries ``?token=`` in its address."""
    base = links.base_url(current_app.config)
    slug = quote(device.location.slug)
    if device.kind == "kiosk":
        return f"{base}/kiosk/{slug}#token={quote(token)}"
    return f"{base}/display/{slug}?token={quote(token)}"


@dataclass
class CreatedDevice:
    """A new device as answered once: with its token, setup address and QR code; its
    other attributes are the device's."""

    device: Device
    token: str
    setup_url: str
    setup_qr: str

    def __getattr__(self, name):
        return getattr(self.device, name)


def created_view(device: Device, token: str) -> CreatedDevice:
    url = setup_url(device, token)
    qr = "data:image/png;base64," + base64.b64encode(links.qr_png(url)).decode()
    return CreatedDevice(device, token, url, qr)


# ---------------------------------------------------------------- users

@blp.get("/admin/users")
@admin_required
@blp.response(200, UserList)
def list_users():
    """Every user, administrators first."""
    return {"users": accounts.get_users(db.session)}


@blp.post("/admin/users")
@admin_required
@blp.arguments(UserIn())
@blp.response(201, UserOut)
def create_user(body):
    """Create a staff user or an administrator."""
    actor = require_admin()
    return accounts.create_user(db.session, body["username"], body["password"], body["role"],
                                clock.now(), actor=actor.name,
                                must_change_password=body["must_change_password"])


@blp.post("/admin/users/<int:user_id>/disable")
@admin_required
@blp.response(200, UserOut)
@blp.alt_response(409, response="CONFLICT", description="last_admin: nobody else could administer")
def disable_user(user_id):
    """Disable a user: their tokens and console sessions stop working at once."""
    actor = require_admin()
    return accounts.disable_user(db.session, user_id, actor=actor.name, now=clock.now())


@blp.post("/admin/users/<int:user_id>/enable")
@admin_required
@blp.response(200, UserOut)
def enable_user(user_id):
    """Let a disabled user sign in again."""
    actor = require_admin()
    return accounts.enable_user(db.session, user_id, actor=actor.name, now=clock.now())


@blp.post("/admin/users/<int:user_id>/reset-password")
@admin_required
@blp.response(200, PasswordResetOut)
def reset_password(user_id):
    """A temporary password, shown once; the user chooses a new one at the next sign-in."""
    actor = require_admin()
    user, temporary = accounts.reset_password(db.session, user_id, actor=actor.name, now=clock.now())
    return {"user": user, "temporary_password": temporary}, NO_STORE


# ---------------------------------------------------------------- devices

@blp.get("/admin/devices")
@admin_required
@blp.response(200, DeviceList)
def list_devices():
    """The devices in service: when each was last seen, whether it is online now."""
    return {"devices": accounts.get_devices(db.session)}


@blp.post("/admin/devices")
@admin_required
@blp.arguments(DeviceIn())
@blp.response(201, DeviceCreatedOut)
def create_device(body):
    """Issue a kiosk or display token for a place (answered this once, with a setup QR code)."""
    actor = require_admin()
    device, token = accounts.create_device(db.session, body["name"], body["kind"], body["location"],
                                           clock.now(), actor=actor.name)
    return created_view(device, token), NO_STORE


@blp.delete("/admin/devices/<int:device_id>")
@admin_required
@blp.response(200, DeviceOut)
def revoke_device(device_id):
    """Revoke a device: its token answers 401 at once; a connected display is dropped."""
    actor = require_admin()
    device = accounts.revoke_device(db.session, device_id, actor=actor.name, now=clock.now())
    realtime.drop_device_after_commit(db.session, device.id)
    return device

"""Staff users, their bearer tokens, and lobby devices: the rules behind the CLI, the
sign-in and the back office (``/admin/users``, ``/admin/devices``).

Every change made from the back office is one call here, inside the caller's
transaction, with its audit entry (services/audit.py); bad input raises ``Invalid``
with the failing fields (``errors``) before anything is written. Tokens and passwords
are stored only as hashes: a device's token and a reset's temporary password are
returned once, to be shown once.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ApiToken, Device, Location, LoginThrottle, User
from . import audit, credentials
from .errors import DomainError, Forbidden, Invalid, NotFound, TooManyAttempts, Unauthorized
from .upserts import insert_for

ROLES = ("staff", "admin")
DEVICE_KINDS = ("kiosk", "display")
USERNAME_MAX = 60
DEVICE_NAME_MAX = 60
PASSWORD_MIN = 10
PASSWORD_MAX = 200
# A device's last_seen_at moves at most this often: the minute is all the page shows,
# and a kiosk's every request must not become a write.
SEEN_EVERY = timedelta(minutes=5)  # "last seen" to five minutes: a kiosk's tickets rarely write it
# After this many failures in a row a login waits, doubling each time (capped).
FREE_ATTEMPTS = 3
MAX_LOCK_SECONDS = 15 * 60
# Checked against when the username is unknown, so both answers take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# Temporary passwords are read off a screen and typed: no look-alikes, lower case.
_TEMP_ALPHABET = "acdefghjkmnpqrtwxy34679"

# What a field's error says (English; the back-office pages word it in Japanese).
MESSAGES = {
    "username_missing": "Enter a username.",
    "username_long": f"At most {USERNAME_MAX} characters.",
    "username_spaces": "A username has no spaces.",
    "username_taken": "This username is taken.",
    "role": "Choose staff or admin.",
    "password_short": f"A password needs at least {PASSWORD_MIN} characters.",
    "password_long": f"At most {PASSWORD_MAX} characters.",
    "password_same": "Choose a new password, not the temporary one.",
    "password_wrong": "The current password is wrong.",
    "name_missing": "Enter the device's name.",
    "name_long": f"At most {DEVICE_NAME_MAX} characters.",
    "name_taken": "A device of this name exists.",
    "kind": "Choose kiosk or display.",
    "location": "Choose a place.",
}


class LastAdmin(DomainError):
    """Disabling this user would leave nobody able to open the back office."""

    status = 409
    code = "last_admin"
    title = "The last active administrator cannot be disabled"


class PasswordChangeRequired(Forbidden):
    """The password was reset: sign in on the console and choose a new one first."""

    code = "password_change_required"
    title = "A new password must be chosen first"


def _invalid(errors: dict[str, list[str]], details: list[str]) -> Invalid:
    return Invalid("; ".join(details), errors=errors)


# ---------------------------------------------------------------- users

def _password_errors(password: str) -> list[str]:
    if len(password or "") < PASSWORD_MIN:
        return [MESSAGES["password_short"]]
    if len(password) > PASSWORD_MAX:
        return [MESSAGES["password_long"]]
    return []


def create_user(session, username: str, password: str, role: str, now: datetime, *,
                actor: str | None = None, must_change_password: bool = False) -> User:
    """A new user; with ``actor`` (the back office) the creation is audited."""
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    details: list[str] = []
    if not username:
        errors["username"] = [MESSAGES["username_missing"]]
        details.append("A username is required.")
    elif len(username) > USERNAME_MAX:
        errors["username"] = [MESSAGES["username_long"]]
        details.append(f"username: {MESSAGES['username_long']}")
    elif any(ch.isspace() for ch in username):
        errors["username"] = [MESSAGES["username_spaces"]]
        details.append(MESSAGES["username_spaces"])
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = [MESSAGES["username_taken"]]
        details.append(f"user {username!r} already exists")
    if role not in ROLES:
        errors["role"] = [MESSAGES["role"]]
        details.append(f"role must be one of {', '.join(ROLES)}")
    if problems := _password_errors(password):
        errors["password"] = problems
        details.append(problems[0])
    if errors:
        raise _invalid(errors, details)
    user = User(username=username, password_hash=generate_password_hash(password), role=role,
                active=True, must_change_password=must_change_password, created_at=now)
    session.add(user)
    session.flush()
    if actor is not None:
        audit.record(session, actor=actor, action="user.create", now=now,
                     detail={"user_id": user.id, "username": user.username, "role": role})
    return user


def get_users(session) -> list[User]:
    """Every user, administrators first, then by name."""
    return list(session.scalars(select(User).order_by(User.role.desc(), User.username)))


def get_user(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


def _locked_user(session, user_id: int) -> User:
    """The user's row, locked until the transaction ends (two administrators acting on
    the same account wait for each other; SQLite's writer lock already serialises)."""
    user = session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


def disable_user(session, user_id: int, *, actor: str, now: datetime) -> User:
    """The user can no longer sign in; their tokens and console sessions stop at once.
    The last active administrator is refused (``LastAdmin``)."""
    user = _locked_user(session, user_id)
    if not user.active:
        return user  # nothing changes, nothing to audit
    if user.role == "admin":
        # Lock every active administrator: two of them disabling each other at the same
        # moment must not both succeed and leave the office without one.
        admins = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True))
                                 .order_by(User.id).with_for_update()).all()
        if len(admins) <= 1:
            raise LastAdmin("Make another user an active administrator first.")
    user.active = False
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.flush()
    audit.record(session, actor=actor, action="user.disable", now=now,
                 detail={"user_id": user.id, "username": user.username})
    return user


def enable_user(session, user_id: int, *, actor: str, now: datetime) -> User:
    """The user may sign in again (with the password they had; tokens are not revived)."""
    user = _locked_user(session, user_id)
    if user.active:
        return user
    user.active = True
    session.flush()
    audit.record(session, actor=actor, action="user.enable", now=now,
                 detail={"user_id": user.id, "username": user.username})
    return user


def new_temporary_password() -> str:
    """Such as ``k7qm-a4tx-c3rw``: 62 random bits, typed once, never a 12-digit number
    (which the My Number screening would refuse)."""
    while True:
        raw = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(12))
        if not raw.isdigit():
            return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def reset_password(session, user_id: int, *, actor: str, now: datetime) -> tuple[User, str]:
    """A temporary password (returned once) that must be changed at the next sign-in;
    the user's tokens and sessions end, and a sign-in lockout is lifted."""
    user = _locked_user(session, user_id)
    temporary = new_temporary_password()
    user.password_hash = generate_password_hash(temporary)
    user.must_change_password = True
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(delete(LoginThrottle).where(LoginThrottle.user_id == user.id))
    session.flush()
    audit.record(session, actor=actor, action="user.reset_password", now=now,
                 detail={"user_id": user.id, "username": user.username})
    return user, temporary


def change_password(session, user: User, new: str, *, now: datetime, current: str | None = None) -> User:
    """The user chooses a new password, which cannot be the one they have (after a reset:
    the temporary one). ``current``, when given, must be right; the console's forced
    change passes none, having just checked it through the throttled sign-in."""
    errors: dict[str, list[str]] = {}
    if current is not None and not check_password_hash(user.password_hash, current):
        errors["current"] = [MESSAGES["password_wrong"]]
    if problems := _password_errors(new):
        errors["password"] = problems
    elif check_password_hash(user.password_hash, new):
        errors["password"] = [MESSAGES["password_same"]]
    if errors:
        raise _invalid(errors, [messages[0] for messages in errors.values()])
    user.password_hash = generate_password_hash(new)
    user.must_change_password = False
    session.flush()
    audit.record(session, actor=f"user:{user.id}", action="user.change_password", now=now,
                 detail={"user_id": user.id, "username": user.username})
    return user


def authenticate(session, username: str, password: str, now: datetime, source: str) -> User:
    """The user, if the password is right. Failures in a row from one ``source`` (a
    keyed hash of the caller's address, ``credentials.address_key``) lock the account
    for that source only, for a growing while; a locked pair answers
    ``TooManyAttempts`` without checking the password. A user whose password was
    reset is returned with ``must_change_password`` set: the caller decides (the
    console asks for a new password, ``issue_token`` refuses)."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise Unauthorized("Wrong username or password.")
    throttle = LoginThrottle.__table__
    pair = (throttle.c.user_id == user.id) & (throttle.c.source == source)
    locked_until = session.scalar(select(throttle.c.locked_until).where(pair))
    if locked_until is not None and locked_until > now:
        wait = int((locked_until - now).total_seconds()) + 1
        raise TooManyAttempts(f"Too many failed attempts; try again in {wait} s.", retry_after=wait)
    if not user.active or not check_password_hash(user.password_hash, password or ""):
        # Counted in the database, so simultaneous failures are all counted.
        insert = insert_for(session)(throttle).values(
            user_id=user.id, source=source, failures=0).on_conflict_do_nothing()
        session.execute(insert)
        failures = session.execute(
            update(throttle).where(pair).values(failures=throttle.c.failures + 1)
            .returning(throttle.c.failures)).scalar_one()
        if failures >= FREE_ATTEMPTS:
            delay = min(2 ** (failures - FREE_ATTEMPTS) * 5, MAX_LOCK_SECONDS)
            session.execute(update(throttle).where(pair).values(
                locked_until=now + timedelta(seconds=delay)))
        raise Unauthorized("Wrong username or password.")
    session.execute(delete(throttle).where(pair))
    return user


def issue_token(session, user: User, now: datetime, hours: int) -> str:
    """A bearer token for the user; refused while a reset password awaits its change."""
    if user.must_change_password:
        raise PasswordChangeRequired(
            "This password was reset by an administrator: sign in on the staff console "
            "(/staff/login) and choose a new password, then ask for a token again.")
    token = credentials.new_token()
    session.add(ApiToken(user_id=user.id, token_hash=credentials.hash_token(token),
                         created_at=now, expires_at=now + timedelta(hours=hours)))
    session.flush()
    return token


def revoke_token(session, token: str) -> None:
    """A staff bearer token stops working at once."""
    session.execute(delete(ApiToken).where(ApiToken.token_hash == credentials.hash_token(token)))


def user_for_token(session, token: str, now: datetime) -> User | None:
    row = session.execute(
        select(User, ApiToken.expires_at).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == credentials.hash_token(token))).first()
    if row is None or row.expires_at <= now or not row.User.active or row.User.must_change_password:
        return None
    return row.User


# ---------------------------------------------------------------- devices

def create_device(session, name: str, kind: str, location_slug: str, now: datetime, *,
                  actor: str | None = None) -> tuple[Device, str]:
    """A new kiosk or display of a place, and its token (shown once: only the hash is
    kept). With ``actor`` (the back office) the creation is audited."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    details: list[str] = []
    if not name:
        errors["name"] = [MESSAGES["name_missing"]]
        details.append("A device name is required.")
    elif len(name) > DEVICE_NAME_MAX:
        errors["name"] = [MESSAGES["name_long"]]
        details.append(f"name: {MESSAGES['name_long']}")
    elif session.scalar(select(Device.id).where(Device.name == name)) is not None:
        errors["name"] = [MESSAGES["name_taken"]]
        details.append(f"device {name!r} already exists")
    if kind not in DEVICE_KINDS:
        errors["kind"] = [MESSAGES["kind"]]
        details.append(f"kind must be one of {', '.join(DEVICE_KINDS)}")
    location = session.scalar(select(Location).where(Location.slug == (location_slug or "")))
    if location is None:
        errors["location"] = [MESSAGES["location"]]
        details.append(f"unknown location {location_slug!r}")
    if errors:
        raise _invalid(errors, details)
    token = credentials.new_token()
    device = Device(name=name, kind=kind, location=location, revoked=False,
                    token_hash=credentials.hash_token(token), created_at=now)
    session.add(device)
    session.flush()
    if actor is not None:
        audit.record(session, actor=actor, action="device.create", now=now, location_id=location.id,
                     detail={"device_id": device.id, "name": name, "kind": kind})
    return device, token


def get_devices(session, include_revoked: bool = False) -> list[Device]:
    """The devices, by place, kind and name (revoked ones only when asked)."""
    query = select(Device).join(Location).order_by(Location.id, Device.kind, Device.name)
    if not include_revoked:
        query = query.where(Device.revoked.is_(False))
    return list(session.scalars(query))


def revoke_device(session, device_id: int, *, actor: str, now: datetime) -> Device:
    """The device's token answers 401 from now on (the caller disconnects a connected
    display after commit: realtime.drop_device_after_commit)."""
    device = session.scalar(select(Device).where(Device.id == device_id).with_for_update())
    if device is None:
        raise NotFound(f"No device {device_id}.")
    if device.revoked:
        return device
    device.revoked = True
    device.revoked_at = now
    session.flush()
    audit.record(session, actor=actor, action="device.revoke", now=now, location_id=device.location_id,
                 detail={"device_id": device.id, "name": device.name, "kind": device.kind})
    return device


def device_for_token(session, token: str, now: datetime | None = None) -> Device | None:
    """The live device of this token, or None (unknown or revoked). Given ``now``, the
    device is marked as seen (``touch_device``)."""
    device = session.scalar(select(Device).where(Device.token_hash == credentials.hash_token(token)))
    if device is None or device.revoked:
        return None
    if now is not None:
        touch_device(session, device, now)
    return device


def touch_device(session, device: Device, now: datetime) -> bool:
    """Record that the device was seen now, at most once per ``SEEN_EVERY``: a recent
    mark costs no write at all, and the conditional update keeps two requests of the
    same minute from both writing. True when it wrote."""
    since = now - SEEN_EVERY
    if device.last_seen_at is not None and device.last_seen_at > since:
        return False
    written = session.execute(
        update(Device).where(Device.id == device.id,
                             or_(Device.last_seen_at.is_(None), Device.last_seen_at <= since))
        .values(last_seen_at=now).execution_options(synchronize_session=False)).rowcount
    if written:
        # What the row now holds, without marking the object changed (no second UPDATE).
        set_committed_value(device, "last_seen_at", now)
    return bool(written)

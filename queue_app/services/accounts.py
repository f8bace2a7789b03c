"""Staff users, their bearer tokens, and lobby devices."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ApiToken, Device, Location, LoginThrottle, User
from . import credentials
from .errors import Invalid, TooManyAttempts, Unauthorized
from .upserts import insert_for

ROLES = ("staff", "admin")
DEVICE_KINDS = ("kiosk", "display")
# After this many failures in a row a login waits, doubling each time (capped).
FREE_ATTEMPTS = 3
MAX_LOCK_SECONDS = 15 * 60
# Checked against when the username is unknown, so both answers take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def create_user(session, username: str, password: str, role: str, now: datetime) -> User:
    username = (username or "").strip()
    if not username:
        raise Invalid("A username is required.")
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if len(password or "") < 10:
        raise Invalid("A password needs at least 10 characters.")
    if session.scalar(select(User).where(User.username == username)):
        raise Invalid(f"user {username!r} already exists")
    user = User(username=username, password_hash=generate_password_hash(password),
                role=role, created_at=now)
    session.add(user)
    session.flush()
    return user


def authenticate(session, username: str, password: str, now: datetime, source: str) -> User:
    """The user, if the password is right. Failures in a row from one ``source`` (a
    keyed hash of the caller's address, ``credentials.address_key``) lock the account
    for that source only, for a growing while; a locked pair answers
    ``TooManyAttempts`` without checking the password."""
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
    if row is None or row.expires_at <= now or not row.User.active:
        return None
    return row.User


def create_device(session, name: str, kind: str, location_slug: str, now: datetime) -> tuple[Device, str]:
    if kind not in DEVICE_KINDS:
        raise Invalid(f"kind must be one of {', '.join(DEVICE_KINDS)}")
    location = session.scalar(select(Location).where(Location.slug == location_slug))
    if location is None:
        raise Invalid(f"unknown location {location_slug!r}")
    if session.scalar(select(Device).where(Device.name == name)):
        raise Invalid(f"device {name!r} already exists")
    token = credentials.new_token()
    device = Device(name=name, kind=kind, location=location,
                    token_hash=credentials.hash_token(token), created_at=now)
    session.add(device)
    session.flush()
    return device, token


def device_for_token(session, token: str) -> Device | None:
    device = session.scalar(select(Device).where(Device.token_hash == credentials.hash_token(token)))
    return None if device is None or device.revoked else device

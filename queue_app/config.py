"""Settings and the environment variables that set them.

Every setting has one place here. ``load_config`` reads the environment, then the
``config`` dict given to ``create_app`` overrides everything. In production
(``APP_ENV=production``) a missing secret or database is a start-up error, never a
silent default. The README's Configuration table lists every environment variable
read below, with its default and meaning: keep the two together.
"""
from __future__ import annotations

import os
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


class ConfigError(RuntimeError):
    """A setting the application cannot start without is missing or wrong."""


def tokyo_now() -> datetime:
    """The default clock: the current time, aware, in Asia/Tokyo."""
    return datetime.now(TOKYO)


def pinned_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that reads ``start`` when the process starts and then runs at real speed:
    the demo stands at a time the counters are open, whatever the hour it is shown."""
    began = time.monotonic()

    def clock() -> datetime:
        return (start + timedelta(seconds=time.monotonic() - began)).astimezone(TOKYO)

    return clock


def _clock_start(raw: str) -> datetime:
    try:
        start = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"CLOCK_START must be an ISO 8601 date and time, not {raw!r}") from exc
    if start.tzinfo is None:
        raise ConfigError("CLOCK_START needs its offset, e.g. 2027-01-12T10:00:00+09:00")
    return start


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number(name: str, default, convert=int, what: str = "a whole number"):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return convert(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be {what}, not {raw!r}") from exc


def _int(name: str, default: int) -> int:
    return _number(name, default)


def _float(name: str, default: float) -> float:
    return _number(name, default, float, "a number")


def _instance_secret(instance_path: Path) -> str:
    """A development secret that survives restarts, so demo sessions stay logged in."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(instance_path: str, overrides: dict | None) -> dict:
    """Build the settings from defaults, then the environment, then ``overrides``."""
    overrides = dict(overrides or {})
    env = os.environ
    instance = Path(instance_path)
    testing = bool(overrides.get("TESTING", False))
    app_env = overrides.get("APP_ENV", env.get("APP_ENV", "development"))

    config: dict = {
        "APP_ENV": app_env,
        "TESTING": testing,
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or f"sqlite:///{instance / 'queue.db'}",
        # SQL errors never carry the bound values (names, contacts) into logs.
        # pool_pre_ping: a connection the server killed (restart, failover, idle timeout)
        # is noticed and replaced when it is taken from the pool, not inside a request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "pool_pre_ping": True},
        "SOCKETIO_MESSAGE_QUEUE": env.get("SOCKETIO_MESSAGE_QUEUE") or None,
        "SOCKETIO_ASYNC_MODE": env.get("SOCKETIO_ASYNC_MODE", "threading"),
        "SOCKETIO_CHANNEL": env.get("SOCKETIO_CHANNEL", "flask-socketio"),
        "CLOCK": tokyo_now,
        "SCHEDULER_ENABLED": _bool(env.get("SCHEDULER_ENABLED"), not testing),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis gone: limits count per process for a while rather than failing requests.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": _bool(env.get("RATELIMIT_FALLBACK"), True),
        "RATELIMIT_SWALLOW_ERRORS": True,
        "PROXY_HOPS": _int("PROXY_HOPS", 0),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
        "DISPLAY_RESYNC_SECONDS": _float("DISPLAY_RESYNC_SECONDS", 2.0),
        "DISPLAY_SNAPSHOT_CACHE_SECONDS": _float("DISPLAY_SNAPSHOT_CACHE_SECONDS", 5.0),
        "BOOKING_RATE_LIMIT": env.get("BOOKING_RATE_LIMIT", "60/minute;600/hour"),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "30/hour;10/minute"),
        # An SMS provider's gateway class, "package.module:Class" (notify.SmsGateway); empty:
        # none, phone-only residents are on the staff's call list.
        "SMS_GATEWAY": env.get("SMS_GATEWAY", ""),
        "BOOKING_HORIZON_DAYS": _int("BOOKING_HORIZON_DAYS", 30),
        "BOOKING_CUTOFF_MINUTES": _int("BOOKING_CUTOFF_MINUTES", 30),
        # A seat freed on a full day is held this long for the first resident on its waitlist.
        "WAITLIST_HOLD_MINUTES": _int("WAITLIST_HOLD_MINUTES", 30),
        "CALENDAR_CACHE_SECONDS": _int("CALENDAR_CACHE_SECONDS", 30),
        "CHECKIN_EARLY_MINUTES": _int("CHECKIN_EARLY_MINUTES", 30),
        "CHECKIN_LATE_MINUTES": _int("CHECKIN_LATE_MINUTES", 15),
        # The division's telephone, shown on the residents' information page (/info).
        "CITY_PHONE": env.get("CITY_PHONE") or "0776-73-8014",
        "UNDO_SECONDS": _int("UNDO_SECONDS", 60),
        "PERSONAL_DATA_RETENTION_DAYS": _int("PERSONAL_DATA_RETENTION_DAYS", 30),
        "STAFF_TOKEN_HOURS": _int("STAFF_TOKEN_HOURS", 12),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL") or None,
        "REMINDER_HOUR": _int("REMINDER_HOUR", 9),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 10),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), False),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "noreply@city.example.jp"),
        # The API description (flask-smorest) is generated from the request schemas.
        "API_TITLE": "City hall queue API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": app_env == "production",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
    }
    if env.get("SECRET_KEY"):
        config["SECRET_KEY"] = env["SECRET_KEY"]
    config.update(overrides)

    if app_env == "production":
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL")
                   if not env.get(name) and not overrides.get(_key_for(name))]
        if missing:
            raise ConfigError(
                "APP_ENV=production needs " + ", ".join(missing)
                + " in the environment; refusing to start with a default")
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secrets.token_hex(32) if testing else _instance_secret(instance)
    if env.get("CLOCK_START") and "CLOCK" not in overrides:
        if app_env == "production":
            raise ConfigError("CLOCK_START pins the clock for a demo; it is refused with APP_ENV=production")
        config["CLOCK"] = pinned_clock(_clock_start(env["CLOCK_START"]))
    if not callable(config["CLOCK"]):
        raise ConfigError("CLOCK must be a callable that returns an aware datetime")
    return config


def normalise_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (as hosting providers write them) mean
    psycopg 3 here, the only PostgreSQL driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _key_for(env_name: str) -> str:
    return {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}.get(env_name, env_name)

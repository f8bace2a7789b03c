"""Who may act: staff users, their bearer tokens, and lobby devices."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import TokyoDateTime


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="staff")  # "staff" | "admin"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    # Set by an administrator's password reset: the next sign-in must choose a new one
    # before anything else, and no token is issued until then.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    # Flask-Login's interface, for the web console's session. A disabled user, or one
    # whose password was reset, is not signed in: a console session they already hold
    # stops working at the next request, without waiting for it to expire.
    @property
    def is_authenticated(self) -> bool:
        return self.active and not self.must_change_password

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class LoginThrottle(db.Model):
    """Failed sign-ins in a row for one account from one address.

    Counted per address, so a stranger's wrong passwords slow down the stranger and never
    lock the clerk out at their own counter. ``source`` is a keyed hash of the address:
    no address is stored."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("user_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)


class ApiToken(db.Model):
    """A staff bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    expires_at: Mapped[datetime] = mapped_column(TokyoDateTime)

    user: Mapped[User] = relationship()


class Device(db.Model):
    """A kiosk or lobby display, bound to one place; only its token's hash is stored."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "kiosk" | "display"
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(TokyoDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # When its token was last used (a request, a display connecting), kept to the
    # minute: services/accounts.py writes it at most once a minute per device.
    last_seen_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(TokyoDateTime, nullable=True)

    location = relationship("Location")

"""Factories for the counter-side tests: staff tokens, kiosk devices, reservations
made straight through the booking service (no rate limit, any clock), and tickets."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import AuditEntry, Counter, Location, Reservation, Ticket
from queue_app.services import accounts, booking, places
from queue_app.services.credentials import sign_check_in

PASSWORD = "correct horse battery"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def make_staff(app, username: str | None = None, role: str = "staff") -> tuple[int, str]:
    """A staff user and a bearer token for it."""
    with app.app_context():
        now = app.config["CLOCK"]()
        user = accounts.create_user(db.session, username or f"staff-{uuid.uuid4().hex[:6]}",
                                    PASSWORD, role, now)
        token = accounts.issue_token(db.session, user, now, app.config["STAFF_TOKEN_HOURS"])
        db.session.commit()
        return user.id, token


def make_device(app, location: str = "honcho", kind: str = "kiosk") -> tuple[int, str]:
    with app.app_context():
        device, token = accounts.create_device(
            db.session, f"{kind}-{uuid.uuid4().hex[:6]}", kind, location, app.config["CLOCK"]())
        db.session.commit()
        return device.id, token


def reserve(app, start: datetime, location: str = "honcho", service: str = "card-pickup",
            name: str = "山田 花子") -> dict:
    """A booked reservation for ``start`` (booked a day ahead, whatever the clock says)."""
    with app.app_context():
        place = places.get_location(db.session, location)
        procedure = booking.get_service(db.session, service)
        contact = booking.Contact(name, f"r-{uuid.uuid4().hex[:8]}@example.jp", None)
        reservation, _token = booking.book_slot(
            db.session, location=place, service=procedure, start=start, contact=contact,
            now=start - timedelta(days=1), policy=booking.BookingPolicy())
        db.session.commit()
        return {"id": reservation.id, "code": reservation.code,
                "payload": sign_check_in(reservation.code, app.config["SECRET_KEY"])}


def at(hour: int, minute: int = 0, day: int = 12) -> datetime:
    """A moment of January 2027 in Tokyo (the 12th is the default test day, a Tuesday)."""
    return datetime(2027, 1, day, hour, minute, tzinfo=TOKYO)


def counter_ids(app, location: str = "honcho") -> list[int]:
    with app.app_context():
        return list(db.session.scalars(
            select(Counter.id).join(Location).where(Location.slug == location)
            .order_by(Counter.position)))


def walk_in(client, token: str, service: str = "reissue", location: str = "honcho"):
    return client.post("/api/v1/tickets", json={"location": location, "service": service},
                       headers=bearer(token))


def ticket_row(app, ticket_id: str) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def reservation_row(app, reservation_id: int) -> Reservation:
    with app.app_context():
        reservation = db.session.get(Reservation, reservation_id)
        db.session.expunge(reservation)
        return reservation


def audit_actions(app, ticket_id: str | None = None) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        if ticket_id is not None:
            query = query.where(AuditEntry.ticket_id == ticket_id)
        entries = list(db.session.scalars(query))
        for entry in entries:
            db.session.expunge(entry)
        return entries


# ---------------------------------------------------------------- fixtures

class Desk:
    """One place's counter side in a test: the app, a client, a staff user and a kiosk."""

    def __init__(self, app, clock, location: str = "honcho"):
        self.app = app
        self.clock = clock
        self.client = app.test_client()
        self.location = location
        self.staff_id, self.staff = make_staff(app)
        self.kiosk_id, self.kiosk = make_device(app, location)
        self.counters = counter_ids(app, location)

    def sign_in_again(self) -> None:
        """A fresh staff token (the old one expires after STAFF_TOKEN_HOURS)."""
        self.staff_id, self.staff = make_staff(self.app)

    def post(self, path: str, json=None, token: str | None = None):
        return self.client.post(f"/api/v1{path}", json=json,
                                headers=bearer(token or self.staff))

    def get(self, path: str, token: str | None = None):
        return self.client.get(f"/api/v1{path}", headers=bearer(token or self.staff))

    def walk_in(self, service: str = "reissue", advance: int = 1) -> dict:
        """A walk-in from the kiosk, one minute (``advance``) after the last event."""
        self.clock.advance(minutes=advance)
        response = self.post("/tickets", {"location": self.location, "service": service}, self.kiosk)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def check_in(self, start: datetime, service: str = "card-pickup", advance: int = 1) -> dict:
        """Reserve ``start`` and check in now (``advance`` minutes later)."""
        booked = reserve(self.app, start, self.location, service)
        self.clock.advance(minutes=advance)
        response = self.post("/check-ins", {"payload": booked["payload"]}, self.kiosk)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["ticket"]

    def call(self, counter: int = 0):
        """Call-next at the counter with this index; the response."""
        return self.post(f"/counters/{self.counters[counter]}/call-next")

    def called_number(self, counter: int = 0) -> str | None:
        """Finish with whoever is at the counter (one resident at a time), then call
        the next; the number called, or None when nobody is waiting for it."""
        self.finish(counter)
        response = self.call(counter)
        if response.status_code == 204:
            return None
        assert response.status_code == 200, response.get_json()
        return response.get_json()["ticket"]["number"]

    def finish(self, counter: int = 0) -> None:
        """Complete the ticket at the counter, if there is one."""
        with self.app.app_context():
            from queue_app.models import AT_COUNTER

            ticket_id = db.session.scalar(select(Ticket.id).where(
                Ticket.counter_id == self.counters[counter], Ticket.status.in_(AT_COUNTER)))
        if ticket_id is not None:
            assert self.act(ticket_id, "complete").status_code == 200

    def act(self, ticket_id: str, action: str, json=None):
        return self.post(f"/tickets/{ticket_id}/{action}", json)

    def set_counter_services(self, counter: int, services: list[str]) -> None:
        from queue_app.models import Service

        with self.app.app_context():
            row = db.session.get(Counter, self.counters[counter])
            row.services = list(db.session.scalars(select(Service).where(Service.slug.in_(services))))
            db.session.commit()


@pytest.fixture
def desk(make_app, clock):
    app = make_app()
    yield Desk(app, clock)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def events(monkeypatch):
    """Every realtime event published after a commit, as (room, name, data)."""
    published: list[tuple[str, str, dict]] = []
    monkeypatch.setattr("queue_app.events.Publisher.publish",
                        lambda _publisher, room, name, data: published.append((room, name, data)))
    return published

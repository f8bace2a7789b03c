"""Helpers for the waitlist tests: a full holiday-window Sunday, joining its list,
cancelling a seat, and reading holds and slots."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select

from queue_app import jobs
from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import SeatHold, Slot, WaitlistEntry
from queue_app.services import booking, calendar, places

SUNDAY = date(2027, 1, 24)  # the 4th Sunday: the holiday window, 09:00-12:00, by reservation only
NINE = datetime(2027, 1, 24, 9, 0, tzinfo=TOKYO)


def fill_day(app, day: date = SUNDAY, location: str = "honcho", service: str = "card-pickup") -> list[tuple[str, str]]:
    """Book every seat of ``day`` for ``service``; (code, token) of each reservation, in slot order."""
    booked = []
    with app.app_context():
        place = places.get_location(db.session, location)
        procedure = booking.get_service(db.session, service)
        plan = calendar.get_day(db.session, place, day)
        seats = calendar.reservation_capacity(db.session, place, procedure, day)
        for start in plan.slot_starts(procedure):
            for n in range(seats):
                contact = booking.Contact(f"先約 {n}", f"full-{uuid.uuid4().hex[:8]}@example.jp", None)
                reservation, token = booking.book_slot(
                    db.session, location=place, service=procedure, start=start, contact=contact,
                    now=start - timedelta(days=5), policy=booking.BookingPolicy())
                booked.append((reservation.code, token))
        db.session.commit()
    return booked


def join(client, **overrides):
    """POST /waitlist for the full Sunday; overrides change any field (None leaves it out)."""
    body = {"location": "honcho", "service": "card-pickup", "date": SUNDAY.isoformat(),
            "name": "日曜 待子", "email": f"wait-{uuid.uuid4().hex[:8]}@example.jp", "language": "ja"}
    body.update(overrides)
    return client.post("/api/v1/waitlist", json={k: v for k, v in body.items() if v is not None})


def cancel(client, code: str, token: str):
    response = client.delete(f"/api/v1/reservations/{code}?token={token}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def availability(client, day: date = SUNDAY, service: str = "card-pickup") -> dict:
    response = client.get(f"/api/v1/availability?location=honcho&service={service}&date={day.isoformat()}")
    assert response.status_code == 200
    return response.get_json()


def holds(app) -> list[SeatHold]:
    with app.app_context():
        rows = db.session.scalars(select(SeatHold).order_by(SeatHold.id)).all()
        db.session.expunge_all()
        return rows


def entries(app) -> list[WaitlistEntry]:
    with app.app_context():
        rows = db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)).all()
        db.session.expunge_all()
        return rows


def booked_at(app, start: datetime) -> int:
    with app.app_context():
        return db.session.scalar(select(Slot.booked).where(Slot.starts_at == start)) or 0


def sweep(app) -> dict:
    with app.app_context():
        try:
            return jobs.sweep_waitlists()
        finally:
            db.session.remove()


def offer_token(app, hold_id: int) -> str:
    """The clear token of a hold, as its offer e-mail carries it (the outbox row keeps it until sent)."""
    from queue_app.models import OutboxMessage

    with app.app_context():
        return db.session.scalar(select(OutboxMessage.secret).where(
            OutboxMessage.dedupe_key == f"waitlist_offer:{hold_id}"))

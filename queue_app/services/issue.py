"""Issuing a ticket: its number, its row, its audit entry, the check-in of the
reservation behind it (if any) and the place's next event number, written together.

These writes take the two rows every ticket of a place contends for (the day's number
counter and the place's ``seq``), whose locks are held until the commit. On
PostgreSQL they are therefore ONE statement with data-modifying CTEs: one round trip,
and the locks are taken at the very end of the transaction. SQLite has no
data-modifying CTEs; its write transaction starts with ``BEGIN IMMEDIATE``
(extensions.py), so there is nothing to contend for and the writes go one by one.
Either way the caller gets the same ticket (persistent in the session) and ``seq``.
"""
from __future__ import annotations

import json
import secrets
from datetime import date, datetime

from sqlalchemy import Date, Integer, String, bindparam, text
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..events import bump_seq
from ..models import Location, Reservation, Service, Ticket, TicketNumberCounter, TicketStatus
from ..models.types import TokyoDateTime
from . import audit
from .upserts import dialect_of, upsert_increment

# The number is the prefix and the serial with at least three digits (R-007, W-1234),
# as Python's f"{prefix}-{serial:03d}" writes it on SQLite.
_ISSUE_POSTGRESQL = text("""
WITH serial AS (
    INSERT INTO ticket_number_counters (location_id, business_date, prefix, last)
    VALUES (:location_id, :day, :prefix, 1)
    ON CONFLICT (location_id, business_date, prefix)
    DO UPDATE SET last = ticket_number_counters.last + 1
    RETURNING :prefix || '-' || lpad(last::text, greatest(3, length(last::text)), '0') AS number
), ticket AS (
    INSERT INTO tickets (id, location_id, service_id, reservation_id, business_date, number, kind,
                         status, priority, band, order_at, issued_at, recall_count)
    SELECT :id, :location_id, :service_id, :reservation_id, :day, number, :kind,
           :status, 'normal', :band, :order_at, :now, 0
    FROM serial
    RETURNING number
), entry AS (
    INSERT INTO audit_log (at, actor, action, location_id, ticket_id, reservation_code, detail)
    SELECT :now, :actor, :action, :location_id, :id, :reservation_code,
           CAST(CAST(:detail AS jsonb) || jsonb_build_object('number', number) AS json)
    FROM ticket
), checked_in AS (
    UPDATE reservations SET status = :checked_in, checked_in_at = :now WHERE id = :reservation_id
), event AS (
    UPDATE locations SET seq = seq + 1 WHERE id = :location_id RETURNING seq
)
SELECT ticket.number, event.seq FROM ticket, event
""").bindparams(
    # Typed, so that PostgreSQL knows every parameter's type in the SELECTs above.
    bindparam("day", type_=Date), bindparam("now", type_=TokyoDateTime),
    bindparam("order_at", type_=TokyoDateTime), bindparam("reservation_id", type_=Integer),
    bindparam("prefix", type_=String), bindparam("id", type_=String), bindparam("kind", type_=String),
    bindparam("status", type_=String), bindparam("actor", type_=String), bindparam("action", type_=String),
    bindparam("reservation_code", type_=String), bindparam("detail", type_=String),
    bindparam("checked_in", type_=String),
)


def issue(session, *, location: Location, service: Service, kind: str, band: int, order_at: datetime,
          day: date, now: datetime, actor: str, action: str, detail: dict,
          reservation: Reservation | None = None, check_in: dict | None = None) -> tuple[Ticket, int]:
    """Create a waiting ticket with the next number of its prefix for ``day``, audited as
    ``action`` (``detail`` plus the number); ``check_in``: the reservation's new column
    values (transitions.py decides them). Returns the ticket and the place's new ``seq``."""
    prefix = "R" if kind == "reservation" else "W"
    ticket = Ticket(id=secrets.token_urlsafe(16), location_id=location.id, service_id=service.id,
                    reservation_id=reservation.id if reservation is not None else None,
                    business_date=day, kind=kind, status=TicketStatus.WAITING, priority="normal",
                    priority_reason=None, band=band, order_at=order_at, issued_at=now,
                    target_counter_id=None, counter_id=None, called_at=None, started_at=None,
                    finished_at=None, recall_count=0, cancel_reason=None)
    code = reservation.code if reservation is not None else None
    if dialect_of(session) != "postgresql":
        serial = upsert_increment(session, TicketNumberCounter, {
            "location_id": location.id, "business_date": day, "prefix": prefix, "last": 1,
        }, ["location_id", "business_date", "prefix"], "last")
        ticket.number = f"{prefix}-{serial:03d}"
        session.add(ticket)
        audit.record(session, actor=actor, action=action, now=now, location_id=location.id,
                     ticket_id=ticket.id, reservation_code=code, detail={"number": ticket.number, **detail})
        for column, value in (check_in or {}).items():
            setattr(reservation, column, value)
        session.flush()
        return _related(ticket, location, service), bump_seq(session, location.id)
    row = session.execute(_ISSUE_POSTGRESQL, {
        "location_id": location.id, "day": day, "prefix": prefix, "id": ticket.id,
        "service_id": service.id, "reservation_id": ticket.reservation_id, "kind": kind,
        "status": TicketStatus.WAITING.value, "band": band, "order_at": order_at, "now": now,
        "actor": actor, "action": action, "reservation_code": code, "detail": json.dumps(detail),
        "checked_in": (check_in or {}).get("status"),
    }).one()
    # The rows are written: the session takes the ticket as loaded, not as new, and the
    # reservation's new values as what the database holds (nothing left to flush).
    ticket.number = row.number
    make_transient_to_detached(ticket)
    session.add(ticket)
    for column, value in (check_in or {}).items():
        set_committed_value(reservation, column, value)
    return _related(ticket, location, service), row.seq


def _related(ticket: Ticket, location: Location, service: Service) -> Ticket:
    # The place and the procedure are in the session already: no lazy load for them.
    set_committed_value(ticket, "location", location)
    set_committed_value(ticket, "service", service)
    return ticket

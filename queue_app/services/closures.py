"""Closures: the counters of a place closed for a day or part of one.

A planned closure (a system change-over) never cancels anything: while booked
reservations fall in its time it is refused (``ReservationsInTheWay``, listing them),
and the administrator moves or cancels them first. An emergency closure (snow, an
outage) cancels them (transitions.py, each with its audit entry), frees their seats,
queues an e-mail to each resident who left an address, in their language, with the
reason and a link to book again, and hands back a call list of those who left only a
phone number. Either kind ends the seat offers of the waitlist in its hours (their
residents stay on the list: services/waitlist.py ``release_closed_holds``). Reopening
(``reopen_closure``) takes the closure back; the reservations it cancelled stay
cancelled (their residents have been told).

The calendar (calendar.py) reads the closures. Making or reopening one takes the place's
calendar lock first (``calendar.lock_for_change``), so no booking slips past the
reservations it reads, and raises its calendar version (``calendar.raise_version``), so
every process's plans are new at once; the lobby screens of a place closed today hear
of it at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import or_, select

from ..models import Closure, Location, OutboxMessage, Reservation
from ..models.states import ReservationStatus
from . import audit, calendar, outbox, transitions, waitlist
from .booking import free_seat
from .display import announce_queue
from .errors import Invalid, NotFound, ReservationsInTheWay

# The outbox template of the notice an emergency closure sends (notify.py renders it).
CLOSURE_TEMPLATE = outbox.CLOSURE
REASON_MAX = 200

# Messages of the validation (English, the API's); the back-office page words them.
MESSAGES = {
    "times_pair": "Give both the start and the end, or neither for the whole day.",
    "times_order": "The end must be after the start.",
    "past": "The day is in the past.",
    "reason_ja": "Give the reason in Japanese.",
    "reason_en": "Give the reason in English.",
    "reason_long": f"At most {REASON_MAX} characters.",
}


@dataclass
class ClosureResult:
    """A closure just made, and what it did to the reservations in its time."""

    closure: Closure
    location: Location
    affected: list[str] = field(default_factory=list)  # codes of the cancelled reservations
    call_list: list[dict] = field(default_factory=list)  # {"code", "start", "phone"}
    holds_released: int = 0  # waitlist seat offers in the closed hours, ended


def validate(day: date, start: time | None, end: time | None, reason_ja: str, reason_en: str,
             today: date) -> dict[str, list[str]]:
    """The fields that are wrong, each with its message (empty when all is well)."""
    errors: dict[str, list[str]] = {}
    if (start is None) != (end is None):
        errors["start" if start is None else "end"] = [MESSAGES["times_pair"]]
    elif start is not None and end <= start:
        errors["end"] = [MESSAGES["times_order"]]
    if day < today:
        errors["date"] = [MESSAGES["past"]]
    for name, value in (("reason_ja", reason_ja), ("reason_en", reason_en)):
        if not (value or "").strip():
            errors[name] = [MESSAGES[name]]
        elif len(value.strip()) > REASON_MAX:
            errors[name] = [MESSAGES["reason_long"]]
    return errors


def get_reservations_in_the_way(session, location: Location, starts: datetime,
                                ends: datetime) -> list[Reservation]:
    """Booked reservations of ``location`` whose time overlaps ``starts``-``ends``, in
    order of time (a resident already checked in has a ticket: the clerks serve them)."""
    return list(session.scalars(select(Reservation).where(
        Reservation.location_id == location.id, Reservation.status == ReservationStatus.BOOKED,
        Reservation.starts_at < ends, Reservation.ends_at > starts)
        .order_by(Reservation.starts_at, Reservation.code)))


def create_closure(session, *, location: Location, day: date, start: time | None,
                   end: time | None, reason_ja: str, reason_en: str, emergency: bool,
                   actor: str, now: datetime) -> ClosureResult:
    """Close ``location`` on ``day`` (from ``start`` to ``end``, or all day).

    Not an emergency: refused with the reservations in the way, nothing changed. An
    emergency: those reservations are cancelled and their residents told."""
    errors = validate(day, start, end, reason_ja, reason_en, calendar.today(now))
    if errors:
        raise Invalid("Some fields are not valid: " + ", ".join(sorted(errors)), errors=errors)
    closure = Closure(location_id=location.id, on_date=day, starts=start, ends=end,
                      reason=reason_ja.strip(), reason_en=reason_en.strip(), emergency=emergency,
                      created_by=actor, created_at=now)
    starts, ends = calendar.closed_span(closure)
    calendar.lock_for_change(session, location.id)  # before reading what is booked
    in_the_way = get_reservations_in_the_way(session, location, starts, ends)
    if in_the_way and not emergency:
        raise ReservationsInTheWay(
            f"{len(in_the_way)} reservation(s) are booked in that time: move or cancel them "
            "first, or make it an emergency closure, which cancels them and tells the residents.",
            reservations=[r.code for r in in_the_way])
    session.add(closure)
    session.flush()
    result = ClosureResult(closure, location)
    # A seat held for a resident on the waitlist is not a reservation: it never stands
    # in the way, but a hold in the closed hours ends, and its resident waits on. (Before
    # the seats are freed: a hold's row, then its slot's, the order the waitlist keeps.)
    result.holds_released = waitlist.release_closed_holds(session, location, day, now)
    for reservation in in_the_way:
        transitions.cancel_reservation(session, reservation, now, actor)
        free_seat(session, reservation.slot_id)
        result.affected.append(reservation.code)
        if reservation.email:
            enqueue_notice(session, closure, reservation, now)
        elif reservation.phone:
            result.call_list.append({"code": reservation.code, "start": reservation.starts_at,
                                     "phone": reservation.phone})
    calendar.raise_version(session, location.id)
    audit.record(session, actor=actor, action="closure.create", now=now, location_id=location.id,
                 detail={"closure_id": closure.id, "date": day.isoformat(),
                         "start": _hhmm(start), "end": _hhmm(end), "emergency": emergency,
                         "reason": {"ja": closure.reason, "en": closure.reason_en},
                         "cancelled": result.affected, "to_call": len(result.call_list),
                         "holds_released": result.holds_released})
    _tell_lobby(session, closure, now)
    return result


def reopen_closure(session, closure_id: int, *, actor: str, now: datetime) -> Closure:
    """Take a closure back: its hours open again (reservations it cancelled stay so)."""
    closure = session.get(Closure, closure_id)
    if closure is None or closure.reopened_at is not None:
        raise NotFound("No closure in force with this id.")
    calendar.lock_for_change(session, closure.location_id)
    closure.reopened_at = now
    closure.reopened_by = actor
    calendar.raise_version(session, closure.location_id)
    audit.record(session, actor=actor, action="closure.reopen", now=now,
                 location_id=closure.location_id,
                 detail={"closure_id": closure.id, "date": closure.on_date.isoformat(),
                         "start": _hhmm(closure.starts), "end": _hhmm(closure.ends)})
    _tell_lobby(session, closure, now)
    return closure


def get_upcoming(session, today: date, location: Location | None = None) -> list[Closure]:
    """Closures in force from ``today`` on (of one place, and those of every place)."""
    query = select(Closure).where(Closure.on_date >= today, Closure.reopened_at.is_(None))
    if location is not None:
        query = query.where(or_(Closure.location_id == location.id, Closure.location_id.is_(None)))
    return list(session.scalars(query.order_by(Closure.on_date, Closure.starts, Closure.id)))


# ---------------------------------------------------------------- the e-mail

def enqueue_notice(session, closure: Closure, reservation: Reservation, now: datetime) -> None:
    """Queue the e-mail telling the resident their reservation fell to the closure."""
    outbox.enqueue_closure_notice(session, reservation, closure.id, now)


def closure_of_message(session, message: OutboxMessage) -> Closure | None:
    """The closure an outbox notice is about: its id is the second part of the key
    (``closure:<closure id>:<reservation id>``), which keeps the outbox table as it is."""
    parts = message.dedupe_key.split(":")
    if len(parts) != 3 or parts[0] != CLOSURE_TEMPLATE or not parts[1].isdigit():
        return None
    return session.get(Closure, int(parts[1]))


def rebook_url(base: str, reservation: Reservation, language_code: str) -> str:
    """The booking site's month calendar for the same place and procedure, in the
    resident's language: one tap from the e-mail to a new slot."""
    return (f"{base}/book/{reservation.location.slug}/{reservation.service.slug}"
            f"?lang={language_code}")


# ---------------------------------------------------------------- helpers

def _hhmm(moment: time | None) -> str | None:
    return moment.strftime("%H:%M") if moment is not None else None


def _tell_lobby(session, closure: Closure, now: datetime) -> None:
    """A closure of today changes what the screens say now: announce it (``closure``),
    with the lobby's whole picture, which carries the notices."""
    today = calendar.today(now)
    if closure.on_date != today:
        return
    if closure.location_id is not None:
        places = [session.get(Location, closure.location_id)]
    else:
        places = list(session.scalars(select(Location).order_by(Location.id)))
    for place in places:
        announce_queue(session, place, today, now=now, change="closure")

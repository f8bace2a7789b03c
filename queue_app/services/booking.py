"""Availability and online reservations.

Capacity is enforced by the database: a slot's ``booked`` is raised by a conditional
update (an upsert whose UPDATE only applies while ``booked < capacity``; a check
constraint is the backstop); one active reservation per contact and procedure is a
partial unique index. Services never commit: the caller commits once. A booking and a
change to the place's calendar never pass each other: on PostgreSQL the booking shares
the place's calendar lock (``calendar.hold_for_booking``).

A booking is the request that comes in rushes (the morning a holiday window opens), so
it is kept lean: one query for the place and procedure, the day's plan from the rules
cache, and three Core statements on the session (the seat, the reservation, the
confirmation e-mail when there is an address) instead of the ORM's unit of work; on
PostgreSQL two more share the calendar lock and read the version under it.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, case, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..config import TOKYO
from ..i18n import STORED_CODES
from ..models import ACTIVE_STATUSES, RESERVATION_MOVES, Location, Reservation, ReservationStatus, Service, Slot
from . import audit, calendar, credentials, outbox, places, transitions, waitlist
from .errors import (AlreadyCancelled, Duplicate, Invalid, MyNumberRejected, NotFound, NotReservable,
                     SlotFull, UnknownPlace)
from .privacy import my_number_fields
from .upserts import INSERTS, dialect_of


@dataclass(frozen=True)
class BookingPolicy:
    horizon_days: int = 30
    cutoff_minutes: int = 30
    # How long a seat freed on a full day is held for the first resident on its waitlist.
    hold_minutes: int = 30

    @classmethod
    def from_config(cls, config) -> "BookingPolicy":
        return cls(config["BOOKING_HORIZON_DAYS"], config["BOOKING_CUTOFF_MINUTES"],
                   config.get("WAITLIST_HOLD_MINUTES", 30))


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None
    phone: str | None
    language: str = "ja"
    proxy: bool = False
    furigana: str | None = None


_PLACE_AND_SERVICE = (select(Location, Service).join(Service, Service.slug == bindparam("service"))
                      .where(Location.slug == bindparam("location")))


def get_place_and_service(session, location_slug: str, service_slug: str) -> tuple[Location, Service]:
    """Both, in one query (every booking reads them); an unknown one is named in the error."""
    row = session.execute(_PLACE_AND_SERVICE, {"location": location_slug, "service": service_slug}).first()
    if row is None:
        try:
            places.get_location(session, location_slug)
        except UnknownPlace as error:  # named in a request body: bad input, not a 404
            raise Invalid(f"unknown location {location_slug!r}",
                          errors={"location": ["Unknown location."]}) from error
        get_service(session, service_slug)
        raise AssertionError("a place and a procedure that both exist always join")
    return row.Location, row.Service


def get_service(session, slug: str) -> Service:
    service = session.scalar(select(Service).where(Service.slug == slug))
    if service is None:
        raise Invalid(f"unknown service {slug!r}", errors={"service": ["Unknown service."]})
    return service


# ---------------------------------------------------------------- validation

_PHONE = re.compile(r"^0\d{9,10}$")


def normalise_phone(raw: str) -> str | None:
    """Digits of a Japanese phone number (``090-1234-5678`` → ``09012345678``), or None."""
    text = unicodedata.normalize("NFKC", raw or "")
    digits = re.sub(r"[\s\-‐‑–—ー()（）]", "", text)
    if digits.startswith("+81"):
        digits = "0" + digits[3:].lstrip("0")
    return digits if _PHONE.match(digits) else None


def normalise_furigana(raw) -> str | None:
    """The reading of a name in katakana (ひらがな and half-width ｶﾀｶﾅ are converted),
    spaces kept; None when empty; ``ValueError`` for anything but kana and spaces."""
    text = unicodedata.normalize("NFKC", raw or "").strip() if isinstance(raw, str) else ""
    if not text:
        return None
    text = re.sub(r"\s+", " ", text)
    # Hiragana → katakana: the same letters, 0x60 further on.
    katakana = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)
    if not re.fullmatch(r"[ァ-ヺー・ ]+", katakana):
        raise ValueError(katakana)
    return katakana


def validate_contact(name, email, phone, language="ja", proxy=False, furigana=None) -> Contact:
    """Check the resident's details; raise ``MyNumberRejected`` or ``Invalid``."""
    held = my_number_fields({"name": name, "email": email, "phone": phone, "furigana": furigana})
    if held:
        # The value never goes into the error or the logs; the field's name may.
        raise MyNumberRejected(
            "Please do not enter your My Number (12-digit individual number). "
            "マイナンバー(12桁の個人番号)は入力しないでください。",
            errors={field: ["Do not enter a My Number here."] for field in held})
    errors: dict[str, list[str]] = {}
    name = unicodedata.normalize("NFKC", name or "").strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 100:
        errors["name"] = ["Enter a name of 1 to 100 characters."]
    clean_email = None
    if email:
        try:
            clean_email = validate_email(str(email).strip(), check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors["email"] = ["Enter a valid e-mail address."]
    clean_phone = None
    if phone:
        clean_phone = normalise_phone(str(phone))
        if clean_phone is None:
            errors["phone"] = ["Enter a Japanese phone number, e.g. 090-1234-5678."]
    if not email and not phone:
        errors["email"] = ["Give an e-mail address or a phone number."]
    if language not in STORED_CODES:
        errors["language"] = [f"Choose one of {', '.join(STORED_CODES)}."]
    clean_furigana = None
    try:
        clean_furigana = normalise_furigana(furigana)
    except ValueError:
        errors["furigana"] = ["Write the reading of the name in kana (katakana or hiragana)."]
    if clean_furigana is not None and len(clean_furigana) > 100:
        errors["furigana"] = ["Enter a reading of up to 100 characters."]
    if errors:
        raise Invalid("Some fields are not valid.", errors=errors)
    return Contact(name, clean_email, clean_phone, language, bool(proxy), clean_furigana)


# ---------------------------------------------------------------- availability

def is_bookable(start: datetime, now: datetime, policy: BookingPolicy) -> bool:
    """Whether a slot start lies inside the booking window as seen at ``now``."""
    if start - timedelta(minutes=policy.cutoff_minutes) < now:
        return False
    return start.date() <= calendar.today(now) + timedelta(days=policy.horizon_days)


def get_availability(session, location: Location, service: Service, day: date,
                     now: datetime, policy: BookingPolicy) -> dict:
    """The day's slots for a procedure, each with its capacity and what remains.
    A slot that can no longer be booked (too soon, past, beyond the horizon) shows 0."""
    plan = calendar.get_day(session, location, day)
    return get_availabilities(session, location, service, {day: plan}, now, policy)[day]


def get_availabilities(session, location: Location, service: Service, plans: dict,
                       now: datetime, policy: BookingPolicy) -> dict:
    """``get_availability`` for each day of ``plans`` (day → ``calendar.Day``), with one
    query for the seats booked on all of them: the one computation of what remains,
    for the API, the day page and the month calendar alike."""
    capacity = {day: calendar.reservation_capacity(session, location, service, day) for day in plans}
    starts = {day: (plan.slot_starts(service) if capacity[day] else []) for day, plan in plans.items()}
    every = [start for day_starts in starts.values() for start in day_starts]
    booked = {}
    if every:
        rows = session.execute(select(Slot.starts_at, Slot.booked).where(
            Slot.location_id == location.id, Slot.starts_at >= min(every), Slot.starts_at <= max(every)))
        booked = {row.starts_at: row.booked for row in rows}
    step = timedelta(minutes=service.duration_minutes)
    availabilities = {day: {
        "date": day, "location": location.slug, "service": service.slug,
        "open": plan.open, "reservation_only": plan.reservation_only,
        "slots": [{
            "start": start, "end": start + step, "capacity": capacity[day],
            "remaining": (max(capacity[day] - booked.get(start, 0), 0)
                          if is_bookable(start, now, policy) else 0),
        } for start in starts[day]],
    } for day, plan in plans.items()}
    # A waitlist is open on a bookable day that is full, or that someone already waits for.
    waiting = waitlist.get_waiting_counts(session, location, service, [day for day in plans if starts[day]])
    for day, found in availabilities.items():
        found["waitlist"] = waitlist.day_state(found["slots"], waiting.get(day, 0), now, policy).open
    return availabilities


# ---------------------------------------------------------------- booking

def _check_reservable(session, location, service, start, now, policy) -> int:
    """Refuse a start that cannot be booked now; return the slot's capacity. From here
    to the commit the place's calendar cannot change (``calendar.hold_for_booking``); a
    change committed since the place was read is checked against, with its own plan."""
    capacity = _reservable_capacity(session, location, service, start, now, policy)
    if calendar.hold_for_booking(session, location):
        capacity = _reservable_capacity(session, location, service, start, now, policy)
    return capacity


def _reservable_capacity(session, location, service, start, now, policy) -> int:
    start = start.astimezone(TOKYO)
    plan = calendar.get_day(session, location, start.date())
    capacity = calendar.reservation_capacity(session, location, service, start.date())
    if not plan.is_slot_start(service, start) or not capacity:
        raise NotReservable("There is no reservable slot for this procedure at that time.")
    if start < now:
        raise NotReservable("That slot is in the past.")
    if not is_bookable(start, now, policy):
        raise NotReservable(
            f"Slots can be reserved from {policy.horizon_days} days ahead until "
            f"{policy.cutoff_minutes} minutes before they start.")
    return capacity


@functools.cache
def _take_seat_statement(dialect: str):
    slots = Slot.__table__
    insert = (INSERTS[dialect](slots)
              .values(location_id=bindparam("location_id"), starts_at=bindparam("starts_at"),
                      capacity=bindparam("capacity"), booked=1))
    # The seats are the booking procedure's for that day (the back office may change
    # them from a date on); the row keeps the most any booking was given, so its check
    # constraint (booked <= capacity) still holds when procedures with more seats share it.
    wanted = insert.excluded.capacity
    return (insert.on_conflict_do_update(
                index_elements=[slots.c.location_id, slots.c.starts_at],
                set_={"booked": slots.c.booked + 1,
                      "capacity": case((slots.c.capacity < wanted, wanted), else_=slots.c.capacity)},
                where=slots.c.booked < wanted)
            .returning(slots.c.id))


def _take_seat(session, location: Location, start: datetime, capacity: int) -> int:
    """Raise the slot's count by one if a seat is left; ``SlotFull`` otherwise.
    One statement: the first booking creates the slot's row; later ones add one only
    while ``booked < capacity``, the seats of this procedure on that day (no row back
    means full)."""
    slot_id = session.execute(_take_seat_statement(dialect_of(session)), {
        "location_id": location.id, "starts_at": start, "capacity": capacity}).scalar()
    if slot_id is None:
        raise SlotFull("That slot is fully booked; please choose another.")
    return slot_id


def _held_seat(session, slot_id: int, capacity: int) -> int:
    """The seat held for this resident (already counted in the slot), unless the back
    office has since lowered the procedure's seats below what the slot holds."""
    if session.scalar(select(Slot.booked).where(Slot.id == slot_id)) > capacity:
        raise SlotFull("That slot is fully booked; please choose another.")
    return slot_id


def free_seat(session, slot_id: int) -> None:
    session.execute(update(Slot).where(Slot.id == slot_id, Slot.booked > 0)
                    .values(booked=Slot.booked - 1).execution_options(synchronize_session=False))


DUPLICATE_DETAIL = ("You already hold a reservation for this procedure. "
                    "Cancel or move it instead of booking again.")


def _holds_active(session, service: Service, contact: Contact) -> bool:
    """Whether the contact holds an active reservation for the procedure (the partial
    unique indexes decide; this only chooses the message on a full slot)."""
    same_contact = [column == value for column, value in
                    ((Reservation.email, contact.email), (Reservation.phone, contact.phone)) if value]
    return session.scalar(select(Reservation.id).where(
        Reservation.service_id == service.id, Reservation.status.in_(ACTIVE_STATUSES),
        or_(*same_contact)).limit(1)) is not None


@dataclass(frozen=True)
class NewReservation:
    """A reservation just booked, as the resident's answer and the confirmation need it.
    A plain record, not a model instance: it was inserted by a Core statement (module note)."""

    id: int
    code: str
    location: Location
    service: Service
    starts_at: datetime
    ends_at: datetime
    name: str
    email: str | None
    phone: str | None
    language: str
    proxy: bool
    status: str = ReservationStatus.BOOKED


def book_slot(session, *, location: Location, service: Service, start: datetime,
              contact: Contact, now: datetime, policy: BookingPolicy,
              booked_by: str | None = None, channel: str = "online",
              held_slot_id: int | None = None) -> tuple[NewReservation, str]:
    """Reserve ``start`` for ``contact``. Returns the reservation and its secret token
    (shown once; only its hash is kept). Raises ``NotReservable``, ``SlotFull`` or
    ``Duplicate``; the caller then rolls back (a seat already taken is given back).

    ``booked_by``: the clerk who booked for a resident on the phone or at the counter
    (窓口・電話予約, ``channel`` ``phone`` or ``counter``), with the same rules; that is
    audited (a resident booking online is not: the reservation itself is the record).

    ``held_slot_id``: the seat was held for this resident from the waitlist, and is
    already counted in the slot (services/waitlist.py ``book_hold``)."""
    start = start.astimezone(TOKYO)
    capacity = _check_reservable(session, location, service, start, now, policy)
    try:
        slot_id = _held_seat(session, held_slot_id, capacity) if held_slot_id is not None \
            else _take_seat(session, location, start, capacity)
    except SlotFull:
        # Someone who already holds a reservation hears that, not "choose another slot".
        if _holds_active(session, service, contact):
            raise Duplicate(DUPLICATE_DETAIL) from None
        raise
    token = credentials.new_token()
    ends = start + timedelta(minutes=service.duration_minutes)
    reservation_id, code = _insert_reservation(session, {
        "token_hash": credentials.hash_token(token), "status": ReservationStatus.BOOKED,
        "location_id": location.id, "service_id": service.id, "slot_id": slot_id,
        "starts_at": start, "ends_at": ends, "name": contact.name, "furigana": contact.furigana,
        "email": contact.email,
        "phone": contact.phone, "language": contact.language, "proxy": contact.proxy,
        "created_at": now, "checked_in_at": None, "cancelled_at": None,
        "reminder_sent_at": None, "purged_at": None,
    })
    reservation = NewReservation(reservation_id, code, location, service, start, ends, contact.name,
                                 contact.email, contact.phone, contact.language, contact.proxy)
    outbox.enqueue_confirmation(session, reservation, token, now)
    if booked_by is not None:
        audit.record(session, actor=booked_by, action="reservation.book", now=now, location_id=location.id,
                     detail={"code": code, "channel": channel})
    return reservation, token


def find_reservations(session, location: Location, day: date, text: str) -> list[Reservation]:
    """The day's reservations at a place whose code, phone (digits) or name / フリガナ
    holds ``text``: how a clerk finds a resident who came without the QR code."""
    text = text.strip()
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    start = calendar.at(day, time(0, 0))
    matches = [Reservation.code == text.upper(), Reservation.name.contains(text, autoescape=True),
               Reservation.furigana.contains(text, autoescape=True)]
    if len(digits) >= 4:  # a phone number's last four digits, at least
        matches.append(Reservation.phone.contains(digits))
    return list(session.scalars(
        select(Reservation).where(Reservation.location_id == location.id,
                                  Reservation.starts_at >= start,
                                  Reservation.starts_at < start + timedelta(days=1), or_(*matches))
        .order_by(Reservation.starts_at, Reservation.id)))


CODE_DRAWS = 10  # 23^8 codes: a second draw is already a rarity
# The partial unique indexes that keep one active reservation per contact and procedure
# (models/reservations.py), and the column each one adds to the procedure.
_CONTACT_INDEXES = {"uq_reservations_active_email": "email", "uq_reservations_active_phone": "phone"}


@functools.cache
def _insert_reservation_statement(dialect: str):
    reservations = Reservation.__table__
    return (INSERTS[dialect](reservations)
            .on_conflict_do_nothing(index_elements=[reservations.c.code])
            .returning(reservations.c.id))


def _insert_reservation(session, values: dict) -> tuple[int, str]:
    """Insert a new reservation under a fresh code; return its id and code. A code
    already taken inserts nothing (and another code is drawn); any other unique index
    that fails raises."""
    statement = _insert_reservation_statement(dialect_of(session))
    for _ in range(CODE_DRAWS):
        code = credentials.new_code()
        try:
            reservation_id = session.execute(statement, {**values, "code": code}).scalar()
        except IntegrityError as exc:
            if _is_contact_taken(exc):  # the caller rolls back: the seat is given back too
                raise Duplicate(DUPLICATE_DETAIL) from exc
            raise
        if reservation_id is not None:
            return reservation_id, code
    raise RuntimeError(f"no free reservation code in {CODE_DRAWS} draws")


def _is_contact_taken(error: IntegrityError) -> bool:
    """Whether ``error`` comes from one of ``_CONTACT_INDEXES``: PostgreSQL names the
    index, SQLite the columns ("… failed: reservations.service_id, reservations.email")."""
    index = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    if index is not None:
        return index in _CONTACT_INDEXES
    return any(str(error.orig).endswith(f"reservations.service_id, reservations.{column}")
               for column in _CONTACT_INDEXES.values())


def get_reservation(session, code: str, token: str | None) -> Reservation:
    """The reservation for ``code`` if ``token`` is its token. A wrong token is
    indistinguishable from an unknown code."""
    reservation = session.scalar(select(Reservation).where(
        Reservation.code == credentials.normalise_code(code)))
    if reservation is None or not credentials.token_matches(token, reservation.token_hash):
        raise NotFound("No reservation with this code and token.")
    return reservation


def cancel_reservation(session, reservation: Reservation, now: datetime,
                       policy: BookingPolicy | None = None) -> Reservation:
    """Cancel a booked reservation and free its seat at once (held for the first resident
    on the day's waitlist, if anyone waits: services/waitlist.py)."""
    if reservation.status == ReservationStatus.CANCELLED:
        raise AlreadyCancelled("The reservation is already cancelled.")
    if not RESERVATION_MOVES["cancel"].allows(reservation.status):
        raise NotReservable(f"A reservation that is {reservation.status} cannot be cancelled.")
    transitions.cancel_reservation(session, reservation, now, actor="resident")
    waitlist.release_seat(session, reservation.slot_id, now, policy or BookingPolicy())
    session.flush()
    outbox.enqueue_cancellation(session, reservation, now)
    return reservation


def move_reservation(session, reservation: Reservation, new_start: datetime,
                     now: datetime, policy: BookingPolicy) -> Reservation:
    """Move a booked reservation: the new seat is taken before the old one is freed,
    so a full new slot leaves the reservation exactly as it was."""
    if reservation.status != ReservationStatus.BOOKED:
        raise NotReservable(f"A reservation that is {reservation.status} cannot be moved.")
    new_start = new_start.astimezone(TOKYO)
    location, service = reservation.location, reservation.service
    capacity = _check_reservable(session, location, service, new_start, now, policy)
    # Again, locked, now that the calendar is held (an emergency closure may have
    # cancelled it while this waited for the lock: its seat is already freed).
    status = session.scalar(select(Reservation.status).where(Reservation.id == reservation.id)
                            .with_for_update())
    if status != ReservationStatus.BOOKED:
        raise NotReservable(f"A reservation that is {status} cannot be moved.")
    if new_start == reservation.starts_at:
        return reservation
    new_slot_id = _take_seat(session, location, new_start, capacity)
    waitlist.release_seat(session, reservation.slot_id, now, policy)
    reservation.slot_id = new_slot_id
    reservation.starts_at = new_start
    reservation.ends_at = new_start + timedelta(minutes=service.duration_minutes)
    reservation.reminder_sent_at = None
    session.flush()
    outbox.enqueue_moved(session, reservation, now)
    return reservation

"""The waitlist of a full day, and the seats held for the residents on it.

When every seat of a day is taken for a procedure, a resident can join the day's list
with an e-mail address. While someone waits, a seat freed on that day (a cancellation,
a move away, a capacity raise) does not go back on sale: it is *held* for the first
resident on the list, who gets an e-mail with a link and has ``hold_minutes`` to book it;
after that (or when they decline) the same seat is offered to the next one, and only
when nobody waits any more is it freed.

The seat arithmetic stays in ``slots.booked``: a hold owns one counted seat, so it is off
the availability without any change to how availability is computed. A freed seat that
is held is never decremented; a hold that becomes a reservation takes its seat without
an increment; a hold that ends with nobody left to offer it to is decremented.

Choosing who is offered a seat is atomic. The first waiting entry is read with ``FOR
UPDATE SKIP LOCKED`` (PostgreSQL: two transactions freeing two seats at once lock two
different residents; SQLite ignores the clause, its writers are serialised by ``BEGIN
IMMEDIATE``, extensions.py) and then claimed by a conditional UPDATE (only while the
entry still waits, row count checked); a hold is ended (taken, expired, declined) by a
conditional UPDATE too, so an acceptance and an expiry racing for one hold have exactly
one winner. A partial unique index keeps one open hold per entry. Nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..config import TOKYO
from ..models import Location, OutboxMessage, Reservation, ACTIVE_STATUSES, Service, Slot
from ..models.waitlist import (ACTIVE_ENTRY_STATUSES, ENTRY_BOOKED, ENTRY_ENDED, ENTRY_LAPSED, ENTRY_LEFT,
                               ENTRY_OFFERED, ENTRY_WAITING, HOLD_DECLINED, HOLD_EXPIRED, HOLD_OFFERED,
                               HOLD_RELEASED, HOLD_TAKEN, SeatHold, WaitlistEntry)
from . import audit, booking, calendar, credentials
from .errors import AlreadyWaiting, Duplicate, HoldGone, Invalid, NotFound, NotFull
from .upserts import insert_ignore

# Outbox templates (notify.py registers their builders; the key names the row).
JOINED, OFFER = "waitlist_joined", "waitlist_offer"
RESIDENT = "resident"
JOB = "job:waitlist"
SYSTEM = "system:waitlist"  # a seat is offered by whatever freed it (a cancellation, the job)
_BATCH = 200


# ---------------------------------------------------------------- reads

@dataclass(frozen=True)
class DayState:
    """Whether a day can be waited for: ``bookable`` (open for the procedure, with a slot
    still inside the booking window), ``remaining`` seats on those slots, ``waiting``
    residents on its list."""

    bookable: bool
    remaining: int
    waiting: int

    @property
    def open(self) -> bool:
        """A waitlist is open: the day is bookable and full, or someone already waits."""
        return self.bookable and (self.remaining == 0 or self.waiting > 0)


def get_waiting_counts(session, location: Location, service: Service | None, days) -> dict[date, int]:
    """Residents waiting (or holding an offer) per day, for one procedure (None: all of
    them, as the back office's month shows), one query for all ``days``."""
    days = list(days)
    if not days:
        return {}
    for_service = [WaitlistEntry.service_id == service.id] if service is not None else []
    rows = session.execute(select(WaitlistEntry.day, func.count()).where(
        WaitlistEntry.location_id == location.id, *for_service,
        WaitlistEntry.day.in_(days), WaitlistEntry.status.in_(ACTIVE_ENTRY_STATUSES))
        .group_by(WaitlistEntry.day))
    return {row[0]: row[1] for row in rows}


def day_state(slots: list[dict], waiting: int, now: datetime, policy) -> DayState:
    """A day's ``DayState`` from its availability's slots (booking.get_availabilities)."""
    open_slots = [slot for slot in slots if booking.is_bookable(slot["start"], now, policy)]
    return DayState(bool(open_slots), sum(slot["remaining"] for slot in open_slots), waiting)


def get_entry(session, entry_id: int, token: str | None) -> WaitlistEntry:
    """The entry for ``entry_id`` if ``token`` is its token (else ``NotFound``, as for an unknown id)."""
    entry = session.get(WaitlistEntry, entry_id) if isinstance(entry_id, int) else None
    if entry is None or not credentials.token_matches(token, entry.token_hash):
        raise NotFound("No waitlist entry with this id and token.")
    return entry


def get_hold(session, hold_id: int, token: str | None) -> SeatHold:
    """The held seat for ``hold_id`` if ``token`` is its token (else ``NotFound``)."""
    hold = session.get(SeatHold, hold_id) if isinstance(hold_id, int) else None
    if hold is None or not credentials.token_matches(token, hold.token_hash):
        raise NotFound("No seat offer with this id and token.")
    return hold


def hold_state(hold: SeatHold, now: datetime) -> str:
    """``offered`` while it can still be booked, else what ended it (``expired`` also
    for an offer whose time has run out but the job has not yet passed on)."""
    if hold.status == HOLD_OFFERED and hold.expires_at <= now:
        return HOLD_EXPIRED
    return hold.status


def position_of(session, entry: WaitlistEntry) -> int | None:
    """1 for the next resident to be offered a seat on the entry's list; None once offered or gone."""
    if entry.status != ENTRY_WAITING:
        return None
    return session.scalar(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.location_id == entry.location_id, WaitlistEntry.service_id == entry.service_id,
        WaitlistEntry.day == entry.day, WaitlistEntry.status == ENTRY_WAITING,
        WaitlistEntry.id <= entry.id))


# ---------------------------------------------------------------- joining and leaving

def join_waitlist(session, *, location: Location, service: Service, day: date, name, email,
                  language: str, now: datetime, policy) -> tuple[WaitlistEntry, str]:
    """Put a resident on ``day``'s list for ``service`` at ``location``. Returns the entry
    and its secret token (the link to leave the list; only its hash is kept). Raises
    ``Invalid`` (a closed day, beyond the booking window, a procedure not booked then, no
    e-mail), ``MyNumberRejected``, ``NotFull`` while seats remain, ``AlreadyWaiting``,
    ``Duplicate`` (this address already holds a reservation for the procedure)."""
    contact = booking.validate_contact(name, email, None, language)
    if not contact.email:
        raise Invalid("An e-mail address is needed to be told of a free seat.",
                      errors={"email": ["Enter an e-mail address."]})
    today = calendar.today(now)
    if not today <= day <= today + timedelta(days=policy.horizon_days):
        raise Invalid(f"Waitlists are kept for the days reservations are taken for: from today to "
                      f"{policy.horizon_days} days ahead.", errors={"date": ["Outside the booking window."]})
    availability = booking.get_availability(session, location, service, day, now, policy)
    if not availability["open"] or not availability["slots"]:
        raise Invalid("No reservations are taken for this procedure on that day.",
                      errors={"date": ["No reservable slots for this procedure on that day."]})
    state = day_state(availability["slots"], 0, now, policy)
    if not state.bookable:
        raise Invalid("The slots of that day can no longer be reserved.",
                      errors={"date": ["The slots of that day can no longer be reserved."]})
    if state.remaining:
        raise NotFull(f"{state.remaining} seat(s) remain that day: please book one instead.")
    if session.scalar(select(Reservation.id).where(
            Reservation.service_id == service.id, Reservation.email == contact.email,
            Reservation.status.in_(ACTIVE_STATUSES)).limit(1)) is not None:
        raise Duplicate(booking.DUPLICATE_DETAIL)
    token = credentials.new_token()
    entry = WaitlistEntry(token_hash=credentials.hash_token(token), status=ENTRY_WAITING,
                          location_id=location.id, service_id=service.id, day=day, name=contact.name,
                          email=contact.email, language=contact.language, created_at=now)
    try:
        with session.begin_nested():  # the partial unique index decides a race of two joins
            session.add(entry)
    except IntegrityError:
        raise AlreadyWaiting("This e-mail address is already on that day's waitlist for this "
                             "procedure.") from None
    _enqueue(session, JOINED, f"{JOINED}:{entry.id}", entry, now, token)
    audit.record(session, actor=RESIDENT, action="waitlist.join", now=now, location_id=location.id,
                 detail={"entry_id": entry.id, "date": day.isoformat(), "service": service.slug})
    return entry, token


def leave_waitlist(session, entry: WaitlistEntry, now: datetime, policy) -> WaitlistEntry:
    """Take an entry off its list; a seat held for it goes to the next resident at once.
    Leaving twice changes nothing, nor does leaving after the seat was booked."""
    if entry.status not in ACTIVE_ENTRY_STATUSES:
        return entry
    # The hold first, then the entry: the order every other change takes (booking,
    # declining, the expiry), so two of them never wait for each other's row locks.
    hold = session.scalar(select(SeatHold).where(SeatHold.entry_id == entry.id, SeatHold.status == HOLD_OFFERED))
    if hold is not None:
        _end_hold(session, hold, HOLD_DECLINED, now, policy, entry_status=ENTRY_LEFT)
    session.execute(update(WaitlistEntry).where(
        WaitlistEntry.id == entry.id, WaitlistEntry.status.in_(ACTIVE_ENTRY_STATUSES))
        .values(status=ENTRY_LEFT, ended_at=now).execution_options(synchronize_session=False))
    # A seat offered to the entry by a transaction that committed while we waited for
    # its row goes on at once, rather than staying held for someone who left.
    late = session.scalar(select(SeatHold).where(SeatHold.entry_id == entry.id, SeatHold.status == HOLD_OFFERED))
    if late is not None:
        _end_hold(session, late, HOLD_DECLINED, now, policy, entry_status=None)
    session.refresh(entry)
    if entry.status == ENTRY_LEFT and entry.ended_at == now:
        audit.record(session, actor=RESIDENT, action="waitlist.leave", now=now, location_id=entry.location_id,
                     detail={"entry_id": entry.id, "date": entry.day.isoformat()})
    return entry


# ---------------------------------------------------------------- seats freed and held

def release_seat(session, slot_id: int, now: datetime, policy) -> SeatHold | None:
    """A reservation gave up its seat of slot ``slot_id``: hold it for the first resident
    waiting for that day (returned), or free it when nobody waits."""
    hold = _offer_seat(session, slot_id, now, policy)
    if hold is None:
        booking.free_seat(session, slot_id)
    return hold


def offer_freed_seats(session, location: Location, day: date, now: datetime, policy) -> int:
    """Hold every seat still on sale on ``day`` at ``location`` for the residents waiting
    for it, first come first served, earliest slot first. Call it after raising a day's
    capacity (the expiry job also runs it for every day with a list, so a raise it was
    not told of is caught within a minute). Returns how many seats were held."""
    services = list(session.scalars(
        select(Service).join(WaitlistEntry, WaitlistEntry.service_id == Service.id).where(
            WaitlistEntry.location_id == location.id, WaitlistEntry.day == day,
            WaitlistEntry.status == ENTRY_WAITING).distinct()))
    plan = calendar.get_day(session, location, day)
    seats = {service.id: calendar.reservation_capacity(session, location, service, day) for service in services}
    # Which procedures (with seats that day) each slot start can be booked for.
    serves: dict[datetime, list[int]] = {}
    for service in services:
        if seats[service.id]:
            for start in plan.slot_starts(service):
                serves.setdefault(start, []).append(service.id)
    held = 0
    for start in sorted(serves):
        while _hold_expiry(start, now, policy) is not None:
            entry_id = _claim_next(session, location.id, day, serves[start])
            if entry_id is None:
                break
            service_id = session.scalar(select(WaitlistEntry.service_id).where(WaitlistEntry.id == entry_id))
            try:
                slot_id = booking._take_seat(session, location, start, seats[service_id])
            except booking.SlotFull:
                _unclaim(session, entry_id)
                break
            _create_hold(session, slot_id, entry_id, service_id, start, now, policy)
            held += 1
    return held


def expire_holds(session, now: datetime, policy) -> int:
    """Holds whose time ran out end (their resident leaves the list, ``lapsed``) and each
    seat is offered to the next resident, or freed. Returns how many ended."""
    ids = list(session.scalars(select(SeatHold.id).where(
        SeatHold.status == HOLD_OFFERED, SeatHold.expires_at <= now).order_by(SeatHold.id).limit(_BATCH)))
    ended = 0
    for hold_id in ids:
        hold = session.get(SeatHold, hold_id)
        if _end_hold(session, hold, HOLD_EXPIRED, now, policy, entry_status=ENTRY_LAPSED):
            ended += 1
    return ended


def decline_hold(session, hold: SeatHold, now: datetime, policy) -> SeatHold:
    """The resident does not want the seat: it goes to the next one at once; they leave the list."""
    if hold_state(hold, now) != HOLD_OFFERED:
        raise HoldGone("This seat is no longer held for you.")
    if not _end_hold(session, hold, HOLD_DECLINED, now, policy, entry_status=ENTRY_LEFT):
        raise HoldGone("This seat is no longer held for you.")
    session.refresh(hold)
    return hold


def book_hold(session, hold: SeatHold, contact: booking.Contact, now: datetime, policy):
    """Book the held seat for ``contact``, with the rules of any booking (booking.book_slot:
    the per-contact limit, the confirmation e-mail). Returns the reservation and its
    token. ``HoldGone`` when the hold has run out or was used; on any error the caller
    rolls back and the hold is as it was."""
    # The place's calendar lock before the hold's row, the order a closure takes them in
    # (it releases the holds in its hours): the other order could deadlock.
    location = session.get(Location, hold.slot.location_id)
    calendar.hold_for_booking(session, location)
    claimed = session.execute(update(SeatHold).where(
        SeatHold.id == hold.id, SeatHold.status == HOLD_OFFERED, SeatHold.expires_at > now)
        .values(status=HOLD_TAKEN, ended_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise HoldGone("This seat is no longer held for you: the offer has run out or was used.")
    reservation, token = booking.book_slot(
        session, location=location, service=hold.service, start=hold.starts_at, contact=contact,
        now=now, policy=policy, held_slot_id=hold.slot_id)
    session.execute(update(SeatHold).where(SeatHold.id == hold.id).values(reservation_id=reservation.id)
                    .execution_options(synchronize_session=False))
    session.execute(update(WaitlistEntry).where(WaitlistEntry.id == hold.entry_id)
                    .values(status=ENTRY_BOOKED, ended_at=now).execution_options(synchronize_session=False))
    audit.record(session, actor=RESIDENT, action="waitlist.book", now=now, location_id=location.id,
                 reservation_code=reservation.code,
                 detail={"hold_id": hold.id, "entry_id": hold.entry_id, "start": hold.starts_at.isoformat()})
    return reservation, token


def release_closed_holds(session, location: Location, day: date, now: datetime) -> int:
    """Open holds of ``day`` whose slot the calendar no longer has (a closure just made
    and flushed, or found by the job): each is ``released``, its seat freed (not offered on: the slot is gone),
    and its resident is back on the list in their place, to be offered the next seat
    freed that day. Returns how many."""
    holds = list(session.scalars(select(SeatHold).join(Slot, SeatHold.slot_id == Slot.id).where(
        Slot.location_id == location.id, SeatHold.status == HOLD_OFFERED,
        SeatHold.starts_at >= calendar.at(day, time(0)),
        SeatHold.starts_at < calendar.at(day + timedelta(days=1), time(0))).order_by(SeatHold.id)))
    if not holds:
        return 0
    plan = calendar.get_days(session, location, day, day)[day]  # as the closure left it
    released = 0
    for hold in holds:
        if plan.is_slot_start(hold.service, hold.starts_at.astimezone(TOKYO)):
            continue
        ended = session.execute(update(SeatHold).where(SeatHold.id == hold.id, SeatHold.status == HOLD_OFFERED)
                                .values(status=HOLD_RELEASED, ended_at=now)
                                .execution_options(synchronize_session=False))
        if ended.rowcount != 1:
            continue
        session.execute(update(WaitlistEntry).where(
            WaitlistEntry.id == hold.entry_id, WaitlistEntry.status == ENTRY_OFFERED)
            .values(status=ENTRY_WAITING).execution_options(synchronize_session=False))
        booking.free_seat(session, hold.slot_id)
        released += 1
    return released


# ---------------------------------------------------------------- the day after

def end_past_entries(session, now: datetime) -> int:
    """Entries of days gone by leave their lists (``ended``) and lose their name and
    address; the addresses in their e-mails go too. Returns how many were purged."""
    today = calendar.today(now)
    ids = list(session.scalars(select(WaitlistEntry.id).where(
        WaitlistEntry.purged_at.is_(None), WaitlistEntry.day < today).limit(_BATCH * 5)))
    purged = 0
    for first in range(0, len(ids), _BATCH):
        chunk = ids[first:first + _BATCH]
        session.execute(update(WaitlistEntry).where(
            WaitlistEntry.id.in_(chunk), WaitlistEntry.status.in_(ACTIVE_ENTRY_STATUSES))
            .values(status=ENTRY_ENDED, ended_at=now).execution_options(synchronize_session=False))
        purged += session.execute(update(WaitlistEntry).where(
            WaitlistEntry.id.in_(chunk), WaitlistEntry.purged_at.is_(None))
            .values(name=None, email=None, purged_at=now).execution_options(synchronize_session=False)).rowcount
        hold_ids = list(session.scalars(select(SeatHold.id).where(SeatHold.entry_id.in_(chunk))))
        keys = [f"{JOINED}:{i}" for i in chunk] + [f"{OFFER}:{i}" for i in hold_ids]
        session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key.in_(keys))
                        .values(recipient=None, secret=None).execution_options(synchronize_session=False))
    # Holds of a day gone by hold nothing any more (their slot has passed).
    session.execute(update(SeatHold).where(SeatHold.status == HOLD_OFFERED,
                                           SeatHold.starts_at < calendar.at(today, time(0)))
                    .values(status=HOLD_RELEASED, ended_at=now).execution_options(synchronize_session=False))
    if purged:
        audit.record(session, actor=JOB, action="waitlist.purge", now=now, detail={"entries": purged})
    return purged


def sweep(session, now: datetime, policy) -> dict:
    """The job's round: expire holds that ran out, then hold any seat on sale on a day
    someone waits for (a capacity raised without telling us, a hold that lapsed when
    nobody was left and someone joined since), then purge the days gone by."""
    expired = expire_holds(session, now, policy)
    released = _release_holds_in_closed_hours(session, now)
    held = 0
    today = calendar.today(now)
    days = session.execute(select(WaitlistEntry.location_id, WaitlistEntry.day).where(
        WaitlistEntry.status == ENTRY_WAITING, WaitlistEntry.day >= today).distinct()).all()
    for location_id, day in sorted(days):
        held += offer_freed_seats(session, session.get(Location, location_id), day, now, policy)
    return {"expired": expired, "released": released, "held": held,
            "purged": end_past_entries(session, now)}


def _release_holds_in_closed_hours(session, now: datetime) -> int:
    """Holds of today and later whose slot a closure has taken: a closure releases those
    it finds, but a seat offered while the closure was being made (a cancellation, this
    job) is only seen here, within a minute. Its resident waits on, as the closure's own."""
    rows = session.execute(select(Slot.location_id, SeatHold.starts_at).join(Slot, SeatHold.slot_id == Slot.id)
                           .where(SeatHold.status == HOLD_OFFERED,
                                  SeatHold.starts_at >= calendar.at(calendar.today(now), time(0)))).all()
    days = sorted({(location_id, calendar.today(starts_at)) for location_id, starts_at in rows})
    return sum(release_closed_holds(session, session.get(Location, location_id), day, now)
               for location_id, day in days)


# ---------------------------------------------------------------- helpers

def _hold_expiry(start: datetime, now: datetime, policy) -> datetime | None:
    """Until when a seat of ``start`` can be held from ``now``: ``hold_minutes``, and never
    past the booking cut-off (a hold that could no longer be booked holds nothing). None
    when the slot can no longer be booked at all."""
    if not booking.is_bookable(start, now, policy):
        return None
    until = min(now + timedelta(minutes=policy.hold_minutes),
                start - timedelta(minutes=policy.cutoff_minutes))
    return until if until > now else None


def _waiting_query(location_id: int, day: date, service_ids):
    return select(WaitlistEntry.id).where(
        WaitlistEntry.location_id == location_id, WaitlistEntry.day == day,
        WaitlistEntry.service_id.in_(list(service_ids)), WaitlistEntry.status == ENTRY_WAITING)


def _anyone_waiting(session, location_id: int, day: date, service_ids) -> bool:
    return session.scalar(_waiting_query(location_id, day, service_ids).limit(1)) is not None


def _claim_next(session, location_id: int, day: date, service_ids) -> int | None:
    """Claim the first waiting entry (``waiting`` → ``offered``); its id, or None when
    nobody waits. Atomic: see the module note."""
    for _ in range(20):
        entry_id = session.scalar(_waiting_query(location_id, day, service_ids)
                                  .order_by(WaitlistEntry.id).limit(1)
                                  .with_for_update(skip_locked=True))
        if entry_id is None:
            return None
        claimed = session.execute(update(WaitlistEntry).where(
            WaitlistEntry.id == entry_id, WaitlistEntry.status == ENTRY_WAITING)
            .values(status=ENTRY_OFFERED).execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            return entry_id
    return None


def _unclaim(session, entry_id: int) -> None:
    session.execute(update(WaitlistEntry).where(
        WaitlistEntry.id == entry_id, WaitlistEntry.status == ENTRY_OFFERED)
        .values(status=ENTRY_WAITING).execution_options(synchronize_session=False))


def _servable(session, slot: Slot) -> list[int]:
    """Ids of the procedures a seat of ``slot`` can be booked for (someone may wait for them)."""
    if slot.booked <= 0:
        return []
    location = session.get(Location, slot.location_id)
    start = slot.starts_at.astimezone(TOKYO)
    service_ids = list(session.scalars(select(WaitlistEntry.service_id).where(
        WaitlistEntry.location_id == slot.location_id, WaitlistEntry.day == start.date(),
        WaitlistEntry.status == ENTRY_WAITING).distinct()))
    if not service_ids:
        return []
    plan = calendar.get_day(session, location, start.date())
    # The seat offered is counted in ``slot.booked``: it is within a procedure's seats
    # while the slot holds no more than them (the back office may have lowered them).
    return [service.id for service in session.scalars(select(Service).where(Service.id.in_(service_ids)))
            if plan.is_slot_start(service, start)
            and calendar.reservation_capacity(session, location, service, start.date()) >= slot.booked]


def _offer_seat(session, slot_id: int, now: datetime, policy) -> SeatHold | None:
    """Hold the (already counted) seat of ``slot_id`` for the first resident waiting who
    can book it; None (nothing changed) when there is nobody or the slot is too near."""
    slot = session.get(Slot, slot_id)
    start = slot.starts_at.astimezone(TOKYO)
    if _hold_expiry(start, now, policy) is None:
        return None
    service_ids = _servable(session, slot)
    if not service_ids:
        return None
    entry_id = _claim_next(session, slot.location_id, start.date(), service_ids)
    if entry_id is None:
        return None
    service_id = session.scalar(select(WaitlistEntry.service_id).where(WaitlistEntry.id == entry_id))
    return _create_hold(session, slot_id, entry_id, service_id, start, now, policy)


def _create_hold(session, slot_id: int, entry_id: int, service_id: int, start: datetime,
                 now: datetime, policy) -> SeatHold:
    token = credentials.new_token()
    hold = SeatHold(token_hash=credentials.hash_token(token), status=HOLD_OFFERED, slot_id=slot_id,
                    entry_id=entry_id, service_id=service_id, starts_at=start, created_at=now,
                    expires_at=_hold_expiry(start, now, policy))
    session.add(hold)
    session.flush()
    entry = session.get(WaitlistEntry, entry_id)
    _enqueue(session, OFFER, f"{OFFER}:{hold.id}", entry, now, token)
    audit.record(session, actor=SYSTEM, action="waitlist.offer", now=now, location_id=entry.location_id,
                 detail={"hold_id": hold.id, "entry_id": entry_id, "start": start.isoformat(),
                         "expires_at": hold.expires_at.isoformat()})
    return hold


def _end_hold(session, hold: SeatHold, status: str, now: datetime, policy,
              entry_status: str | None) -> bool:
    """End an open hold (``expired``, ``declined``); its entry moves to ``entry_status``
    (None: already moved) and the seat goes to the next resident or is freed. False when
    the hold was no longer open (another request ended or took it first)."""
    ended = session.execute(update(SeatHold).where(SeatHold.id == hold.id, SeatHold.status == HOLD_OFFERED)
                            .values(status=status, ended_at=now).execution_options(synchronize_session=False))
    if ended.rowcount != 1:
        return False
    if entry_status is not None:
        session.execute(update(WaitlistEntry).where(
            WaitlistEntry.id == hold.entry_id, WaitlistEntry.status == ENTRY_OFFERED)
            .values(status=entry_status, ended_at=now).execution_options(synchronize_session=False))
    passed_to = release_seat(session, hold.slot_id, now, policy)
    audit.record(session, actor=JOB if status == HOLD_EXPIRED else RESIDENT, action=f"waitlist.{status}",
                 now=now, location_id=session.get(Slot, hold.slot_id).location_id,
                 detail={"hold_id": hold.id, "entry_id": hold.entry_id,
                         "passed_to_hold": passed_to.id if passed_to is not None else None})
    return True


def _enqueue(session, template: str, key: str, entry: WaitlistEntry, now: datetime, secret: str) -> None:
    """Queue an e-mail about an entry (``reservation_id`` empty; the key names the entry or hold)."""
    insert_ignore(session, OutboxMessage, {
        "dedupe_key": key, "template": template, "reservation_id": None, "recipient": entry.email,
        "language": entry.language, "secret": secret, "status": "pending", "attempts": 0,
        "next_attempt_at": now, "created_at": now,
    }, ["dedupe_key"])

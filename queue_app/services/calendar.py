"""The calendar: when a place is open, for which procedures, and its bookable slots.

Rules (DOMAIN.md): weekdays follow the place's opening hours; Saturdays and Sundays
are closed unless a holiday window is set; Japan's national and substitute holidays
(from jpholiday) and the New Year closure (29 December to 3 January) close the place,
as does an extra closure for the whole day; a closure of part of a day (from ``starts``
to ``ends``, services/closures.py) cuts those hours out of the day's windows, and its
slots with them. The extended-hours window adds time after closing.
"Today" is always the date in Asia/Tokyo.

Every change to a place's calendar first takes the place's calendar lock
(``lock_for_change``) and ends by raising its ``calendar_version`` (``raise_version``).
The plans cached per process (rules_cache.py) are keyed by that number, so a process
that reads the place sees a change the moment it is committed, whichever process made
it; and a booking shares the lock until it commits (``hold_for_booking``): a booking and
a change of the same place never pass each other unseen.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import jpholiday
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..config import TOKYO
from ..models import CalendarWindow, Closure, Counter, Location, OpeningHours, Service, SlotCapacity
from ..models.places import counter_services
from . import rules_cache
from .upserts import dialect_of

SLOT_MINUTES = 15


@dataclass(frozen=True)
class Window:
    """A stretch of a day when counters are open.

    ``walk_in`` says whether residents without a reservation are served; ``reservable``
    lists the procedures that can be booked in its slots (slots_from to slots_until).
    ``services`` None means every procedure the place offers.
    """

    kind: str  # "regular" | "extended" | "holiday"
    starts: datetime
    ends: datetime
    slots_from: datetime | None
    slots_until: datetime | None
    walk_in: bool
    services: frozenset[int] | None
    reservation_only: bool = False

    def offers(self, service: Service) -> bool:
        return self.services is None or service.id in self.services

    def is_reservable(self, service: Service) -> bool:
        if self.slots_from is None or not self.offers(service):
            return False
        return self.reservation_only or service.reservable


@dataclass(frozen=True)
class ClosureNotice:
    """A closure of (part of) a day, as residents and the lobby are told of it.
    ``reason_ja``/``reason_en`` so ``i18n.localised(notice, "reason")`` picks one."""

    id: int
    starts: datetime
    ends: datetime
    whole_day: bool
    reason_ja: str
    reason_en: str
    emergency: bool


@dataclass(frozen=True)
class Day:
    """A place's opening on one date; shared through the rules cache, so immutable."""

    date: date
    windows: tuple[Window, ...] = ()
    closed_reason: str | None = None
    closures: tuple[ClosureNotice, ...] = ()

    @property
    def open(self) -> bool:
        return bool(self.windows)

    @property
    def reservation_only(self) -> bool:
        return self.open and all(w.reservation_only for w in self.windows)

    def window_at(self, moment: datetime) -> Window | None:
        return next((w for w in self.windows if w.starts <= moment < w.ends), None)

    def is_slot_start(self, service: Service, moment: datetime) -> bool:
        """Whether a bookable slot for ``service`` starts at ``moment``: the same as
        ``moment in slot_starts(service)``, without building the day's list (every
        booking asks)."""
        step = timedelta(minutes=SLOT_MINUTES)
        return any(window.is_reservable(service) and window.slots_from <= moment
                   and moment + step <= window.slots_until
                   and (moment - window.slots_from) % step == timedelta(0)
                   for window in self.windows)

    def slot_starts(self, service: Service) -> list[datetime]:
        """The starts of the bookable slots for ``service`` on this day, in order."""
        step = timedelta(minutes=SLOT_MINUTES)
        starts: list[datetime] = []
        for window in self.windows:
            if not window.is_reservable(service):
                continue
            moment = window.slots_from
            while moment + step <= window.slots_until:
                starts.append(moment)
                moment += step
        return sorted(set(starts))


def today(now: datetime) -> date:
    """The calendar date in Asia/Tokyo; UTC midnight is 09:00 here."""
    return now.astimezone(TOKYO).date()


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=TOKYO)


def is_new_year_closure(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def _week_of_month(day: date) -> int:
    """1 for the first such weekday of the month, 2 for the second, …"""
    return (day.day - 1) // 7 + 1


def _window_applies(window: CalendarWindow, day: date) -> bool:
    if window.on_date is not None:
        return window.on_date == day
    if window.weekday != day.weekday():
        return False
    weeks = [int(w) for w in window.weeks_of_month.split(",") if w.strip()]
    return not weeks or _week_of_month(day) in weeks


@dataclass
class _Rules:
    """A place's calendar rows, loaded once for a range of days."""

    # The weekly plans, latest first: (in force from, weekday → its hours).
    hours: list[tuple[date, dict[int, list[OpeningHours]]]]
    specials: list[CalendarWindow]
    closures: dict[date, list[ClosureNotice]]

    def hours_on(self, day: date) -> list[OpeningHours]:
        """The ordinary hours of ``day``'s weekday in the weekly plan in force then."""
        plan = next((weekly for since, weekly in self.hours if since <= day), {})
        return plan.get(day.weekday(), [])


def _load_rules(session, location: Location, first: date, last: date) -> _Rules:
    plans: dict[date, dict[int, list[OpeningHours]]] = {}
    for row in session.scalars(select(OpeningHours).where(OpeningHours.location_id == location.id)):
        plans.setdefault(row.valid_from or date.min, {}).setdefault(row.weekday, []).append(row)
    hours = sorted(plans.items(), key=lambda item: item[0], reverse=True)
    specials = session.scalars(select(CalendarWindow).options(selectinload(CalendarWindow.services))
                               .where(CalendarWindow.location_id == location.id)).all()
    closures: dict[date, list[ClosureNotice]] = {}
    for notice in get_notices(session, location, first, last):
        closures.setdefault(notice.starts.date(), []).append(notice)
    return _Rules(hours, list(specials), closures)


def closed_span(closure: Closure) -> tuple[datetime, datetime]:
    """The instants a closure closes: its hours, or the whole day (midnight to midnight)."""
    if closure.starts is None or closure.ends is None:
        return at(closure.on_date, time(0)), at(closure.on_date + timedelta(days=1), time(0))
    return at(closure.on_date, closure.starts), at(closure.on_date, closure.ends)


def notice_of(closure: Closure) -> ClosureNotice:
    starts, ends = closed_span(closure)
    return ClosureNotice(closure.id, starts, ends, closure.whole_day, closure.reason or "",
                         closure.reason_en or "", bool(closure.emergency))


def get_notices(session, location: Location, first: date, last: date) -> list[ClosureNotice]:
    """The closures in force at ``location`` from ``first`` to ``last``, as residents and
    the lobby are told of them. Read from the table, not through the rules cache: the
    event that tells the screens of a closure is written in the closure's own
    transaction, before the cache has forgotten the old plan."""
    return [notice_of(closure) for closure in session.scalars(select(Closure).where(
        Closure.on_date >= first, Closure.on_date <= last, Closure.reopened_at.is_(None),
        or_(Closure.location_id == location.id, Closure.location_id.is_(None)))
        .order_by(Closure.on_date, Closure.starts, Closure.id))]


def notice_json(notice: ClosureNotice) -> dict:
    """A notice for the lobby screens: its times and the reason in both languages."""
    return {"start": notice.starts.isoformat(), "end": notice.ends.isoformat(),
            "all_day": notice.whole_day, "emergency": notice.emergency,
            "reason": {"ja": notice.reason_ja, "en": notice.reason_en}}


def _cut(window: Window, starts: datetime, ends: datetime) -> list[Window]:
    """What is left of ``window`` once ``starts``-``ends`` is closed: none, one or two
    pieces. Slots keep the window's 15-minute grid, so a piece's first slot is the
    first whole slot of the grid after the closure."""
    if ends <= window.starts or starts >= window.ends:
        return [window]
    pieces = []
    for begin, end in ((window.starts, min(window.ends, starts)), (max(window.starts, ends), window.ends)):
        if begin >= end:
            continue
        slots_from = slots_until = None
        if window.slots_from is not None:
            step = timedelta(minutes=SLOT_MINUTES)
            slots_from = max(window.slots_from, begin)
            offset = (slots_from - window.slots_from) % step
            if offset:
                slots_from += step - offset
            slots_until = min(window.slots_until, end)
            if slots_from + step > slots_until:
                slots_from = slots_until = None
        pieces.append(replace(window, starts=begin, ends=end, slots_from=slots_from,
                              slots_until=slots_until))
    return pieces


def _plan(rules: _Rules, day: date) -> Day:
    if is_new_year_closure(day):
        return Day(day, closed_reason="new_year")
    if jpholiday.is_holiday(day):
        return Day(day, closed_reason="national_holiday")
    notices = tuple(rules.closures.get(day, ()))
    if any(notice.whole_day for notice in notices):
        return Day(day, closed_reason="closure", closures=notices)

    windows: list[Window] = []
    if day.weekday() < 5:
        for hours in rules.hours_on(day):
            windows.append(Window(
                "regular", at(day, hours.opens), at(day, hours.closes),
                at(day, hours.slots_from), at(day, hours.slots_until),
                walk_in=True, services=None))
    for special in rules.specials:
        if not _window_applies(special, day):
            continue
        # The holiday window only exists on days without ordinary hours.
        if special.kind == "holiday" and day.weekday() < 5:
            continue
        if special.kind == "extended" and day.weekday() >= 5:
            continue
        reservable = special.reservation_only
        windows.append(Window(
            special.kind, at(day, special.starts), at(day, special.ends),
            at(day, special.starts) if reservable else None,
            at(day, special.ends) if reservable else None,
            walk_in=not special.reservation_only,
            services=frozenset(s.id for s in special.services) or None,
            reservation_only=special.reservation_only))
    had_hours = bool(windows)
    for notice in notices:
        windows = [piece for window in windows for piece in _cut(window, notice.starts, notice.ends)]
    windows.sort(key=lambda w: w.starts)
    if windows:
        return Day(day, tuple(windows), None, notices)
    return Day(day, (), "closure" if had_hours else "no_opening_hours", notices)


# The PostgreSQL advisory lock of a place's calendar is (CALENDAR_LOCK, the place's id):
# a change takes it alone, a booking shares it. Advisory locks live in memory (no row is
# written, unlike a share lock on the place's row, which would also stand in the way of
# every walk-in's and call's event number on that row).
CALENDAR_LOCK = 7301


def lock_for_change(session, location_id: int | None) -> None:
    """First step of a change to the calendar of the place (None: of every place),
    before it reads what is booked. PostgreSQL: take the place's calendar lock until the
    change commits; a booking of the place then either committed before that read, and
    is seen by it, or waits for the change and books by it (``hold_for_booking``).
    SQLite: nothing to take (its writers are serialised). The change ends with
    ``raise_version``."""
    if dialect_of(session) == "postgresql":
        for place_id in _place_ids(session, location_id):
            session.execute(select(func.pg_advisory_xact_lock(CALENDAR_LOCK, place_id)))


def raise_version(session, location_id: int | None) -> None:
    """Last step of a change, once it is written: raise the place's calendar version,
    the key of every process's cached plans and seats. Last, because it writes the
    place's row, which every walk-in and call also writes (their event number) after
    locking a ticket or a reservation: taken first, it would lock in the other order.
    Nothing the change did before reads the cache (the checks read the tables)."""
    session.execute(update(Location).where(Location.id.in_(_place_ids(session, location_id)))
                    .values(calendar_version=Location.calendar_version + 1))


def _place_ids(session, location_id: int | None) -> list[int]:
    return ([location_id] if location_id is not None
            else list(session.scalars(select(Location.id).order_by(Location.id))))


def hold_for_booking(session, location: Location) -> bool:
    """Keep the place's calendar from changing until this transaction ends; whether it
    changed since ``location`` was read (its ``calendar_version`` is then brought up to
    date, and with it the plans ``get_day`` and ``reservation_capacity`` give).

    PostgreSQL: the calendar lock, shared (bookings do not wait for each other), then
    the version as it is once the lock is held. Without it, a booking and a change could
    each miss the other (the change reads no reservation yet, the booking reads the old
    plan), and a reservation would be left in hours that are closed. SQLite needs no
    statement: the booking's transaction began with ``BEGIN IMMEDIATE``
    (extensions.py), so no other writer commits while it runs, and the place was read
    inside it."""
    if dialect_of(session) != "postgresql":
        return False
    session.execute(select(func.pg_advisory_xact_lock_shared(CALENDAR_LOCK, location.id)))
    version = session.scalar(select(Location.calendar_version).where(Location.id == location.id))
    if version == location.calendar_version:
        return False
    set_committed_value(location, "calendar_version", version)
    return True


def get_day(session, location: Location, day: date) -> Day:
    """The opening of ``location`` on ``day``: its windows, or why it is closed
    (from the rules cache while it holds that day at the place's calendar version)."""
    return rules_cache.cached(session, ("day", location.id, location.calendar_version, day),
                              lambda: _plan(_load_rules(session, location, day, day), day))


def get_days(session, location: Location, first: date, last: date) -> dict[date, Day]:
    """``get_day`` for every day from ``first`` to ``last``, with three queries in all."""
    rules = _load_rules(session, location, first, last)
    days = {}
    day = first
    while day <= last:
        days[day] = _plan(rules, day)
        day += timedelta(days=1)
    return days


def offered_services(session, location: Location) -> frozenset[int]:
    """Ids of the procedures some counter of ``location`` serves (open or not). One
    query, or none while the rules cache holds it: every walk-in asks."""
    def load() -> frozenset[int]:
        return frozenset(session.scalars(
            select(counter_services.c.service_id).join(Counter)
            .where(Counter.location_id == location.id).distinct()))

    return rules_cache.cached(session, ("offered", location.id), load)


def load_capacity(session, location: Location, service: Service) -> tuple[int, tuple[tuple[date, int], ...]]:
    """What a procedure's seats per slot are read from, as the database has it now: the
    counters that take reservations and serve it, and the seats the back office set from
    a date on (latest first). ``capacity_on`` reads a day's seats from it."""
    counters = session.scalar(
        select(func.count()).select_from(Counter).join(counter_services)
        .where(Counter.location_id == location.id, Counter.takes_reservations.is_(True),
               counter_services.c.service_id == service.id))
    rules = session.execute(select(SlotCapacity.valid_from, SlotCapacity.seats).where(
        SlotCapacity.location_id == location.id, SlotCapacity.service_id == service.id)
        .order_by(SlotCapacity.valid_from.desc())).all()
    return counters, tuple((row.valid_from, row.seats) for row in rules)


def capacity_on(loaded: tuple[int, tuple[tuple[date, int], ...]], day: date | None) -> int:
    """The seats of ``day`` (None: the counters' count) from ``load_capacity``'s answer."""
    counters, rules = loaded
    if day is None:
        return counters
    return next((seats for since, seats in rules if since <= day), counters)


def reservation_capacity(session, location: Location, service: Service, day: date | None = None) -> int:
    """How many residents one slot of ``day`` can take for this procedure: the seats the
    back office set from a date on (``SlotCapacity``), or else the counters that take
    reservations and serve it (one resident per counter per slot). A slot's seats are
    shared by the procedures booked in it (booking._take_seat). Without ``day``: the
    counters' count. One query, or none while the rules cache holds it."""
    loaded = rules_cache.cached(session, ("capacity", location.id, location.calendar_version, service.id),
                                lambda: load_capacity(session, location, service))
    return capacity_on(loaded, day)

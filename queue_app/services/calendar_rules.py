"""Changes to a place's calendar from the back office: the weekly hours and the slot
capacity per procedure from a date on, and the holiday and extended windows.

A change never cancels a reservation silently. The booked reservations from its date on
that have room are noted, the change is written and flushed, and they are checked
against the plan it makes: one whose slot is gone (the hours shortened, a window
removed) or that is beyond the procedure's new seats in its slot is "in the way", and
the change is refused (``ReservationsInTheWay``, listing their codes). The caller's unit of work rolls the
change back, so nothing is left of it. The administrator moves or cancels those
reservations first (or, for snow, makes an emergency closure: services/closures.py).

Seats a change adds (more capacity, longer hours, a new window) go to the residents on
the waitlist of those days first: the waitlist's job offers every seat on sale on a day
with a list within a minute (services/waitlist.py ``offer_freed_seats``), once the
change is committed and the plans it reads are the new ones.

Each change first takes the place's calendar lock (``calendar.lock_for_change``), so a
booking of the place waits for it rather than slip in between the reading of what is
booked and the commit, and ends by raising its calendar version
(``calendar.raise_version``), so every process's cached plans are new once it commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import jpholiday
from sqlalchemy import delete, select

from ..models import CalendarWindow, Location, OpeningHours, Reservation, Service, Slot, SlotCapacity
from ..models.states import ReservationStatus
from . import audit, calendar
from .errors import Invalid, NotFound, ReservationsInTheWay

WEEKDAYS = range(5)  # Saturdays and Sundays open only through a holiday window
MAX_SEATS = 50
WINDOW_KINDS = ("holiday", "extended")

# Messages of the validation (English, the API's); the back-office page words them.
MESSAGES = {
    "past": "The date is in the past.",
    "weekday": "Ordinary hours are for Monday to Friday; weekends open through a holiday window.",
    "twice": "A weekday is given twice.",
    "no_days": "Open at least one weekday (close days with a closure instead).",
    "order": "Opening must come before closing.",
    "slots_inside": "Reservable slots must lie within the opening hours.",
    "slots_order": "The first slot must start before the last one ends.",
    "quarter": "Slot times must be on the quarter hour (:00, :15, :30, :45).",
    "seats": f"Give a number of seats from 0 to {MAX_SEATS}.",
    "kind": "Choose a holiday window or an extended-hours window.",
    "when": "Give either a date or a weekday.",
    "holiday_day": "A holiday window is on a Saturday or a Sunday.",
    "extended_day": "An extended-hours window is on a weekday.",
    "weeks": "Weeks of the month are numbers from 1 to 5, e.g. 2,4.",
    "window_order": "The end must be after the start.",
    "procedures": "Unknown procedure.",
}


@dataclass(frozen=True)
class WeekdayHours:
    """One weekday of a weekly plan: open from ``opens`` to ``closes``, reservable slots
    from ``slots_from`` to ``slots_until``."""

    weekday: int
    opens: time
    closes: time
    slots_from: time
    slots_until: time


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _fail(errors: dict[str, list[str]]) -> None:
    if errors:
        raise Invalid("Some fields are not valid: " + ", ".join(sorted(errors)), errors=errors)


def _on_quarter(value: time) -> bool:
    return value.minute % 15 == 0 and value.second == 0 and value.microsecond == 0


def _check_from(valid_from: date, now: datetime, errors: dict) -> None:
    if valid_from < calendar.today(now):
        errors["from"] = [MESSAGES["past"]]


# ---------------------------------------------------------------- what is in the way

def get_fitting(session, location: Location, first: date, now: datetime,
                seats_of: Service | None = None) -> dict[int, Reservation]:
    """The booked reservations of ``location`` from ``first`` (and from now) on that the
    calendar as the session sees it has room for: their start is a slot of their
    procedure, and, for ``seats_of``, they are within its seats that day (a slot's
    residents of other procedures count first, then the earliest booked of
    ``seats_of``). Seats held for the waitlist do not count: a hold beyond the new seats
    cannot be booked and lapses (booking._held_seat, waitlist._servable). By id."""
    session.flush()
    since = max(calendar.at(first, time(0)), now)
    booked = session.scalars(select(Reservation).where(
        Reservation.location_id == location.id, Reservation.status == ReservationStatus.BOOKED,
        Reservation.starts_at >= since).order_by(Reservation.starts_at, Reservation.id)).all()
    if not booked:
        return {}
    days = calendar.get_days(session, location, calendar.today(booked[0].starts_at),
                             calendar.today(booked[-1].starts_at))
    fitting = {r.id: r for r in booked
               if days[calendar.today(r.starts_at)].is_slot_start(r.service, r.starts_at)}
    if seats_of is None:
        return fitting
    loaded = calendar.load_capacity(session, location, seats_of)
    mine: dict[int, list[Reservation]] = {}
    others: dict[int, int] = {}
    for reservation in booked:
        if reservation.service_id == seats_of.id:
            mine.setdefault(reservation.slot_id, []).append(reservation)
        else:
            others[reservation.slot_id] = others.get(reservation.slot_id, 0) + 1
    for slot_id, reservations in mine.items():
        seats = calendar.capacity_on(loaded, calendar.today(reservations[0].starts_at))
        room = max(seats - others.get(slot_id, 0), 0)
        for reservation in reservations[room:]:
            fitting.pop(reservation.id, None)
    return fitting


def _refuse_what_no_longer_fits(session, location: Location, before: dict[int, Reservation], first: date,
                                now: datetime, seats_of: Service | None = None) -> None:
    """Refuse the change just written when a reservation that had room before it
    (``before``, from ``get_fitting``) has none after it. Only those are listed: what
    did not fit already (a procedure made unreservable earlier) does not block it."""
    after = get_fitting(session, location, first, now, seats_of)
    in_the_way = sorted((r for r_id, r in before.items() if r_id not in after),
                        key=lambda r: (r.starts_at, r.code))
    if in_the_way:
        raise ReservationsInTheWay(
            f"{len(in_the_way)} reservation(s) are booked where the new calendar has no room: "
            "move or cancel them first.", reservations=[r.code for r in in_the_way])


# ---------------------------------------------------------------- weekly hours

def get_weekly_plans(session, location: Location) -> list[tuple[date | None, list[OpeningHours]]]:
    """The weekly plans of a place, in order: (in force from, or None since always; its days)."""
    plans: dict[date | None, list[OpeningHours]] = {}
    for row in session.scalars(select(OpeningHours).where(OpeningHours.location_id == location.id)
                               .order_by(OpeningHours.weekday, OpeningHours.opens)):
        plans.setdefault(row.valid_from, []).append(row)
    return sorted(plans.items(), key=lambda item: item[0] or date.min)


def get_hours_in_force(session, location: Location, day: date) -> list[OpeningHours]:
    """The weekly plan in force on ``day`` (its rows, by weekday)."""
    return next((rows for since, rows in reversed(get_weekly_plans(session, location))
                 if since is None or since <= day), [])


def validate_hours(days: list[WeekdayHours]) -> dict[str, list[str]]:
    """Errors by field (``days.<weekday>``)."""
    errors: dict[str, list[str]] = {}
    if not days:
        # A plan exists through its weekdays' rows: one with none would leave the previous
        # plan in force. Days off are closures; a procedure's seats can be set to 0.
        errors["days"] = [MESSAGES["no_days"]]
    seen = set()
    for day in days:
        field = f"days.{day.weekday}"
        if day.weekday not in WEEKDAYS:
            errors[field] = [MESSAGES["weekday"]]
        elif day.weekday in seen:
            errors[field] = [MESSAGES["twice"]]
        elif not day.opens < day.closes:
            errors[field] = [MESSAGES["order"]]
        elif not (day.opens <= day.slots_from and day.slots_until <= day.closes):
            errors[field] = [MESSAGES["slots_inside"]]
        elif not day.slots_from < day.slots_until:
            errors[field] = [MESSAGES["slots_order"]]
        elif not (_on_quarter(day.slots_from) and _on_quarter(day.slots_until)):
            errors[field] = [MESSAGES["quarter"]]
        seen.add(day.weekday)
    return errors


def set_weekly_hours(session, location: Location, valid_from: date, days: list[WeekdayHours], *,
                     actor: str, now: datetime) -> list[OpeningHours]:
    """The ordinary hours from ``valid_from`` on (until a later plan's date): the
    weekdays in ``days`` open so, the others closed. A plan already set from that very
    date is replaced. Refused while booked reservations fall outside the new slots."""
    errors = validate_hours(days)
    _check_from(valid_from, now, errors)
    _fail(errors)
    calendar.lock_for_change(session, location.id)  # before reading what is booked
    before = get_fitting(session, location, valid_from, now)
    session.execute(delete(OpeningHours).where(OpeningHours.location_id == location.id,
                                               OpeningHours.valid_from == valid_from))
    rows = [OpeningHours(location_id=location.id, valid_from=valid_from, weekday=d.weekday, opens=d.opens,
                         closes=d.closes, slots_from=d.slots_from, slots_until=d.slots_until)
            for d in sorted(days, key=lambda d: d.weekday)]
    session.add_all(rows)
    _refuse_what_no_longer_fits(session, location, before, valid_from, now)
    calendar.raise_version(session, location.id)
    audit.record(session, actor=actor, action="calendar.hours", now=now, location_id=location.id,
                 detail={"from": valid_from.isoformat(), "days": [
                     {"weekday": d.weekday, "opens": _hhmm(d.opens), "closes": _hhmm(d.closes),
                      "slots_from": _hhmm(d.slots_from), "slots_until": _hhmm(d.slots_until)} for d in days]})
    return rows


# ---------------------------------------------------------------- capacity

def get_capacities(session, location: Location) -> list[SlotCapacity]:
    """The seats set per procedure from a date on, in order."""
    return list(session.scalars(select(SlotCapacity).where(SlotCapacity.location_id == location.id)
                                .order_by(SlotCapacity.service_id, SlotCapacity.valid_from)))


def set_capacity(session, location: Location, service: Service, valid_from: date, seats, *,
                 actor: str, now: datetime) -> SlotCapacity:
    """How many residents a slot takes for ``service`` from ``valid_from`` on (0: not
    bookable from then). Refused while a slot from then on holds more of them."""
    errors: dict[str, list[str]] = {}
    if isinstance(seats, bool) or not isinstance(seats, int) or not 0 <= seats <= MAX_SEATS:
        errors["seats"] = [MESSAGES["seats"]]
    _check_from(valid_from, now, errors)
    _fail(errors)
    calendar.lock_for_change(session, location.id)  # before reading what is booked
    before = calendar.capacity_on(calendar.load_capacity(session, location, service), valid_from)
    fitting = get_fitting(session, location, valid_from, now, seats_of=service)
    row = session.scalar(select(SlotCapacity).where(
        SlotCapacity.location_id == location.id, SlotCapacity.service_id == service.id,
        SlotCapacity.valid_from == valid_from))
    if row is None:
        row = SlotCapacity(location_id=location.id, service_id=service.id, valid_from=valid_from, seats=seats)
        session.add(row)
    row.seats = seats
    _refuse_what_no_longer_fits(session, location, fitting, valid_from, now, seats_of=service)
    calendar.raise_version(session, location.id)
    audit.record(session, actor=actor, action="calendar.capacity", now=now, location_id=location.id,
                 detail={"service": service.slug, "from": valid_from.isoformat(), "seats": seats,
                         "before": before})
    return row


# ---------------------------------------------------------------- windows

def get_windows(session, location: Location) -> list[CalendarWindow]:
    return list(session.scalars(select(CalendarWindow).where(CalendarWindow.location_id == location.id)
                                .order_by(CalendarWindow.kind, CalendarWindow.on_date, CalendarWindow.weekday,
                                          CalendarWindow.starts)))


def _weeks(value: str, errors: dict) -> str:
    weeks = [part.strip() for part in (value or "").replace("、", ",").split(",") if part.strip()]
    if any(not w.isdigit() or not 1 <= int(w) <= 5 for w in weeks):
        errors["weeks_of_month"] = [MESSAGES["weeks"]]
        return ""
    return ",".join(str(n) for n in sorted({int(w) for w in weeks}))


def add_window(session, location: Location, *, kind: str, on_date: date | None, weekday: int | None,
               weeks_of_month: str, starts: time, ends: time, reservation_only: bool,
               services: list[Service], actor: str, now: datetime) -> CalendarWindow:
    """A holiday window (a Saturday or Sunday, reservation-only as a rule) or an
    extended-hours window (after closing on a weekday), once ``on_date`` or every
    ``weekday`` (in the ``weeks_of_month``, e.g. "2,4"). ``services`` empty: every
    procedure."""
    errors: dict[str, list[str]] = {}
    if kind not in WINDOW_KINDS:
        errors["kind"] = [MESSAGES["kind"]]
    if (on_date is None) == (weekday is None):
        errors["date"] = [MESSAGES["when"]]
    elif on_date is not None and on_date < calendar.today(now):
        errors["date"] = [MESSAGES["past"]]
    elif weekday is not None and not 0 <= weekday <= 6:
        errors["weekday"] = [MESSAGES["when"]]
    elif kind in WINDOW_KINDS:
        day_of_week = on_date.weekday() if on_date is not None else weekday
        if kind == "holiday" and day_of_week < 5:
            errors["date" if on_date else "weekday"] = [MESSAGES["holiday_day"]]
        if kind == "extended" and day_of_week >= 5:
            errors["date" if on_date else "weekday"] = [MESSAGES["extended_day"]]
    weeks = _weeks(weeks_of_month, errors) if on_date is None else ""
    if not starts < ends:
        errors["end"] = [MESSAGES["window_order"]]
    elif not (_on_quarter(starts) and _on_quarter(ends)):
        errors["start"] = [MESSAGES["quarter"]]
    _fail(errors)
    calendar.lock_for_change(session, location.id)
    window = CalendarWindow(location_id=location.id, kind=kind, on_date=on_date, weekday=weekday,
                            weeks_of_month=weeks, starts=starts, ends=ends,
                            reservation_only=reservation_only, services=list(services))
    session.add(window)
    session.flush()
    calendar.raise_version(session, location.id)
    audit.record(session, actor=actor, action="calendar.window_add", now=now, location_id=location.id,
                 detail=window_detail(window))
    return window


def remove_window(session, window_id: int, *, actor: str, now: datetime) -> CalendarWindow:
    """Take a window out of the calendar; refused while reservations are booked in it."""
    window = session.get(CalendarWindow, window_id)
    if window is None:
        raise NotFound("No window with this id.")
    location = session.get(Location, window.location_id)
    detail = window_detail(window)
    first = window.on_date or calendar.today(now)
    calendar.lock_for_change(session, location.id)  # before reading what is booked
    before = get_fitting(session, location, first, now)
    session.delete(window)
    _refuse_what_no_longer_fits(session, location, before, first, now)
    calendar.raise_version(session, location.id)
    audit.record(session, actor=actor, action="calendar.window_remove", now=now,
                 location_id=location.id, detail=detail)
    return window


def window_detail(window: CalendarWindow) -> dict:
    """A window in plain values (the audit entry, the API)."""
    return {"id": window.id, "kind": window.kind,
            "date": window.on_date.isoformat() if window.on_date else None,
            "weekday": window.weekday, "weeks_of_month": window.weeks_of_month or "",
            "start": _hhmm(window.starts), "end": _hhmm(window.ends),
            "reservation_only": bool(window.reservation_only),
            "services": sorted(s.slug for s in window.services)}


# ---------------------------------------------------------------- the month

@dataclass(frozen=True)
class MonthDay:
    """One day of the back office's month view."""

    date: date
    plan: calendar.Day
    holiday_name: str | None
    seats: int  # reservable seats of the day (each slot's largest capacity)
    booked: int  # seats taken (reservations, and seats held for the waitlist)

    @property
    def fill(self) -> int | None:
        """Per cent of the seats taken; None without seats."""
        return round(100 * self.booked / self.seats) if self.seats else None


def month_days(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def get_month(session, location: Location, month: date) -> list[MonthDay]:
    """Every day of ``month`` at ``location``: its plan, and how full its slots are."""
    first, last = month_days(month)
    plans = calendar.get_days(session, location, first, last)
    services = session.scalars(select(Service)).all()
    booked = _booked_by_day(session, location, first, last)
    days = []
    for day, plan in plans.items():
        seats_at: dict[datetime, int] = {}
        for service in services:
            seats = calendar.reservation_capacity(session, location, service, day)
            if not seats:
                continue
            for start in plan.slot_starts(service):
                seats_at[start] = max(seats_at.get(start, 0), seats)
        days.append(MonthDay(day, plan, jpholiday.is_holiday_name(day), sum(seats_at.values()),
                             booked.get(day, 0)))
    return days


def _booked_by_day(session, location: Location, first: date, last: date) -> dict[date, int]:
    rows = session.execute(select(Slot.starts_at, Slot.booked).where(
        Slot.location_id == location.id, Slot.starts_at >= calendar.at(first, time(0)),
        Slot.starts_at < calendar.at(last + timedelta(days=1), time(0))))
    totals: dict[date, int] = {}
    for row in rows:
        day = calendar.today(row.starts_at)
        totals[day] = totals.get(day, 0) + row.booked
    return totals

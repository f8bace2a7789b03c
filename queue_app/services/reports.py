"""Reports: how a place's days went, as SQL aggregates computed by the database.

For a place and a range of business days (``first``..``last``, both included, at most
``MAX_DAYS``), ``get_summary`` gives the figures the division reports (DOMAIN.md), over
the whole range and per day, per hour of the day (Asia/Tokyo) and per procedure:

- tickets by kind (reservation, walk-in), counted on the day they were issued;
- waiting (issued → called; a reservation's ticket is issued when it checks in),
  walking (called → started) and service (started → finished, tickets served) minutes,
  each as the median and the 90th percentile, interpolated linearly as PostgreSQL's
  ``percentile_cont`` does;
- the no-show rate of reservations: no-shows ÷ reservations of those days that were not
  cancelled and whose slot has started;
- the slot fill rate: seats booked ÷ seats the calendar offered for reservations (the
  rules give the seats; the ``slots`` rows, which exist only once booked, give the
  bookings);
- walk-ins turned away by the reception cut-off (``turned_away``);
- counter utilisation: serving time (started → finished) ÷ the counters' open time
  (``counter_sessions``; a session still open counts until now, and at most until the
  end of its day). Only days with open time recorded count: a day from before counter
  sessions were kept would otherwise add serving time against no open time.

Nothing is loaded row by row into Python: each figure is one aggregate query per
grouping. PostgreSQL computes percentiles with ``percentile_cont``; SQLite, which has
no such function, ranks the durations with window functions and interpolates between
the two neighbouring ranks in the same query. Times are stored as naive UTC
(models/types.py); hours and dates are taken in Asia/Tokyo (a fixed +9 hours on SQLite:
Japan has no daylight saving time).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterator

from sqlalchemy import (Float, Integer, and_, case, cast, func, literal, literal_column,
                        select, tuple_)

from ..config import TOKYO
from ..models import (Counter, CounterSession, Location, Reservation, ReservationStatus, Service,
                      Slot, Ticket, TicketStatus, TurnedAway)
from . import calendar, places
from .errors import Invalid, UnknownPlace
from .tokyo_sql import TOKYO_OFFSET, TokyoSql

MAX_DAYS = 400
GROUPINGS = ("all", "day", "hour", "service")
DURATIONS = ("wait", "walk", "service")  # reported as wait_minutes, walk_minutes, service_minutes
PERCENTILES = (("p50", 0.5), ("p90", 0.9))
# What a refused request is told, per field (the API's words; the page translates them).
MESSAGES = {
    "first_missing": "Give the first day (YYYY-MM-DD).",
    "last_missing": "Give the last day (YYYY-MM-DD).",
    "reversed": "The last day is before the first day.",
    "too_long": f"At most {MAX_DAYS} days at a time.",
    "unknown_location": "Unknown location.",
}


# ---------------------------------------------------------------- the period

@dataclass(frozen=True)
class Period:
    """A place and a range of business days, both ends included."""

    location: Location
    first: date
    last: date

    @property
    def starts(self) -> datetime:
        """The first moment of ``first`` in Tokyo."""
        return datetime.combine(self.first, time(0), TOKYO)

    @property
    def ends(self) -> datetime:
        """The first moment after ``last`` in Tokyo."""
        return datetime.combine(self.last + timedelta(days=1), time(0), TOKYO)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def check_range(first: date | None, last: date | None) -> None:
    """Refuse a missing, reversed or over-long range (422 ``invalid`` naming the field)."""
    errors: dict[str, list[str]] = {}
    if first is None:
        errors["from"] = [MESSAGES["first_missing"]]
    if last is None:
        errors["to"] = [MESSAGES["last_missing"]]
    if not errors:
        if last < first:
            errors["to"] = [MESSAGES["reversed"]]
        elif (last - first).days + 1 > MAX_DAYS:
            errors["to"] = [MESSAGES["too_long"]]
    if errors:
        raise Invalid("Some fields are not valid: " + ", ".join(sorted(errors)), errors=errors)


def get_period(session, location_slug: str, first: date | None, last: date | None) -> Period:
    """The place (named in a query or a form: an unknown one is 422 ``invalid``) and a
    checked range."""
    errors: dict[str, list[str]] = {}
    location = None
    try:
        location = places.get_location(session, location_slug)
    except UnknownPlace:
        errors["location"] = [MESSAGES["unknown_location"]]
    try:
        check_range(first, last)
    except Invalid as error:
        errors.update(error.extra["errors"])
    if errors:
        raise Invalid("Some fields are not valid: " + ", ".join(sorted(errors)), errors=errors)
    return Period(location, first, last)


def _seconds_since_1970(moment: datetime) -> float:
    return moment.timestamp()


# ---------------------------------------------------------------- the summary

def get_summary(session, period: Period, now: datetime) -> dict:
    """The summary of ``period`` (see the module's docstring): totals, then ``by_day``,
    ``by_hour`` and ``by_service`` lists with the same figures."""
    sql = TokyoSql(session)
    figures: dict[str, dict] = {grouping: defaultdict(dict) for grouping in GROUPINGS}
    for part in (_tickets, _open_time, _serving_by_hour, _reservations, _slots, _turned_away):
        part(session, sql, period, now, figures)

    # Serving time in all: only on the days whose open time is known (see the docstring).
    if None in figures["all"]:
        figures["all"][None]["serving_seconds"] = sum(
            values.get("serving_seconds") or 0 for values in figures["day"].values() if values.get("open_seconds"))
    slugs = dict(session.execute(select(Service.id, Service.slug)).all())
    total = _entry(figures["all"].get(None, {}))
    total.update({
        "location": period.location.slug, "from": period.first, "to": period.last,
        "by_day": [{"date": day, **_entry(values)} for day, values in sorted(figures["day"].items())],
        "by_hour": [{"hour": hour, **_entry(values)} for hour, values in sorted(figures["hour"].items())],
        "by_service": [{"service": slugs.get(service_id, str(service_id)), **_entry(values)}
                       for service_id, values in sorted(figures["service"].items())],
    })
    for row in total["by_service"]:  # seats and counters are not per procedure
        row["slot_fill_rate"] = row["counter_utilisation"] = None
    return total


def _entry(values: dict) -> dict:
    """One row of figures, from what the queries gathered for one group."""
    def ratio(numerator, denominator):
        if not denominator:
            return None
        return round(float(numerator or 0) / float(denominator), 4)

    def minutes(value):
        return None if value is None else round(float(value), 1)

    entry = {"tickets": {"reservation": int(values.get("reservation") or 0),
                         "walk_in": int(values.get("walk_in") or 0)}}
    for duration in DURATIONS:
        entry[f"{duration}_minutes"] = {name: minutes(values.get(f"{duration}_{name}"))
                                        for name, _ in PERCENTILES}
    entry["no_show_rate"] = ratio(values.get("no_shows"), values.get("expected"))
    entry["slot_fill_rate"] = ratio(values.get("booked"), values.get("capacity"))
    entry["turned_away"] = int(values.get("turned_away") or 0)
    entry["counter_utilisation"] = ratio(values.get("serving_seconds"), values.get("open_seconds"))
    return entry


def _key(value):
    """Group keys as Python values: dates as ``date`` (SQLite answers a string)."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.date()
    if value is not None and not isinstance(value, date):
        return int(value)
    return value


def _merge(session, statement, grouping: str, figures: dict) -> None:
    """Run an aggregate query whose rows are (``k``, figure…) and merge them into the
    group ``k`` of ``grouping``."""
    for row in session.execute(statement).mappings():
        values = dict(row)
        figures[grouping][_key(values.pop("k"))].update(values)


def _by_groupings(session, keys: dict, columns: list, source, where: list, figures: dict) -> None:
    """The aggregate ``columns`` per grouping named in ``keys`` (grouping → key
    expression, None for "all"). PostgreSQL answers every grouping in one statement
    (GROUPING SETS: one scan); SQLite, which has none, in one statement per grouping."""
    if session.get_bind().dialect.name == "postgresql":
        named = [(grouping, key) for grouping, key in keys.items() if key is not None]
        exprs = [key for _grouping, key in named]
        full = (1 << len(exprs)) - 1  # GROUPING() sets a bit for each key not grouped
        bits = {full ^ (1 << (len(exprs) - 1 - i)): grouping for i, (grouping, _key) in enumerate(named)}
        sets = [tuple_(key) for key in exprs]
        if "all" in keys:
            bits[full], sets = "all", [tuple_(), *sets]
        statement = (select(func.grouping(*exprs).label("g"), *[key.label(f"k{i}") for i, key in enumerate(exprs)],
                            *columns).select_from(source).where(*where)
                     .group_by(func.grouping_sets(*sets)))
        for row in session.execute(statement).mappings():
            values = dict(row)
            grouping = bits[values.pop("g")]
            group_keys = [values.pop(f"k{i}") for i in range(len(exprs))]
            key = None if grouping == "all" else group_keys[[g for g, _k in named].index(grouping)]
            figures[grouping][_key(key)].update(values)
        return
    for grouping, key in keys.items():
        statement = select((key if key is not None else literal(None)).label("k"), *columns) \
            .select_from(source).where(*where)
        if key is not None:
            statement = statement.group_by(key)
        _merge(session, statement, grouping, figures)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# ---------------------------------------------------------------- tickets and their times

def _ticket_base(sql: TokyoSql, period: Period):
    """The period's tickets with their group keys and durations, as a subquery."""
    served = Ticket.status == TicketStatus.DONE
    return (select(
        Ticket.kind.label("kind"),
        Ticket.business_date.label("day"),
        sql.tokyo_hour(Ticket.issued_at).label("hour"),
        Ticket.service_id.label("service"),
        sql.minutes_between(Ticket.issued_at, Ticket.called_at).label("wait_m"),
        sql.minutes_between(Ticket.called_at, Ticket.started_at).label("walk_m"),
        case((served, sql.minutes_between(Ticket.started_at, Ticket.finished_at)), else_=None).label("service_m"))
        .where(Ticket.location_id == period.location.id,
               Ticket.business_date.between(period.first, period.last))
        .subquery("t"))


def _ticket_columns(source) -> list:
    return [_count_if(source.c.kind == "reservation").label("reservation"),
            _count_if(source.c.kind == "walk_in").label("walk_in"),
            # serving time, for utilisation (by day; by hour see _serving_by_hour)
            (func.sum(source.c.service_m) * 60.0).label("serving_seconds")]


def _tickets(session, sql: TokyoSql, period: Period, now: datetime, figures: dict) -> None:
    base = _ticket_base(sql, period)
    if sql.postgresql:
        _tickets_postgresql(session, base, figures)
    else:
        for grouping in GROUPINGS:
            _tickets_sqlite(session, base, grouping, figures)
    for grouping in ("hour", "service"):  # serving time by hour is shared out by _serving_by_hour
        for values in figures[grouping].values():
            values.pop("serving_seconds", None)


# GROUPING(day, hour, service) of each grouping set: a bit is 1 where that key is not grouped.
_GROUPING_BITS = {0b111: "all", 0b011: "day", 0b101: "hour", 0b110: "service"}


def _tickets_postgresql(session, base, figures: dict) -> None:
    """One statement for the four groupings (GROUPING SETS: one scan), with
    ``percentile_cont``."""
    percentiles = [func.percentile_cont(fraction).within_group(base.c[f"{duration}_m"])
                   .label(f"{duration}_{name}")
                   for duration in DURATIONS for name, fraction in PERCENTILES]
    statement = (select(func.grouping(base.c.day, base.c.hour, base.c.service).label("g"),
                        base.c.day, base.c.hour, base.c.service, *_ticket_columns(base), *percentiles)
                 .group_by(func.grouping_sets(tuple_(), tuple_(base.c.day), tuple_(base.c.hour),
                                              tuple_(base.c.service))))
    for row in session.execute(statement).mappings():
        values = dict(row)
        grouping = _GROUPING_BITS[values.pop("g")]
        keys = {name: values.pop(name) for name in ("day", "hour", "service")}
        figures[grouping][_key(keys.get(grouping))].update(values)


def _tickets_sqlite(session, base, grouping: str, figures: dict) -> None:
    """``percentile_cont`` in SQL: within its group, each duration gets its rank ``i``
    (0-based, empty durations ranked last) and the group its count ``n``; the p-th
    percentile lies at ``pos = p·(n−1)``, between the values ranked ``floor(pos)`` and
    ``floor(pos)+1``, weighted by the fraction of ``pos``."""
    key = None if grouping == "all" else base.c[grouping]
    partition = [key] if key is not None else None
    ranked_columns = [base.c.kind, (key if key is not None else literal(None)).label("k")]
    for duration in DURATIONS:
        value = base.c[f"{duration}_m"]
        ranked_columns += [
            value,
            (func.row_number().over(partition_by=partition, order_by=value.asc().nulls_last()) - 1)
            .label(f"{duration}_i"),
            func.count(value).over(partition_by=partition).label(f"{duration}_n"),
        ]
    ranked = select(*ranked_columns).subquery("r")
    percentiles = []
    for duration in DURATIONS:
        value, rank, count = ranked.c[f"{duration}_m"], ranked.c[f"{duration}_i"], ranked.c[f"{duration}_n"]
        for name, fraction in PERCENTILES:
            position = (count - 1) * fraction
            below = cast(position, Integer)  # floor: position is never negative
            weight = position - below
            interpolated = func.sum(case((rank == below, value * (1 - weight)),
                                         (rank == below + 1, value * weight), else_=None))
            percentiles.append(case((func.max(count) > 0, interpolated), else_=None)
                               .label(f"{duration}_{name}"))
    statement = select(ranked.c.k, *_ticket_columns(ranked), *percentiles)
    if key is not None:
        statement = statement.group_by(ranked.c.k)
    else:
        statement = statement.having(func.count() > 0)
    _merge(session, statement, grouping, figures)


# ---------------------------------------------------------------- reservations, seats, cut-off

def _reservations(session, sql: TokyoSql, period: Period, now: datetime, figures: dict) -> None:
    starts = Reservation.starts_at
    keys = {"all": None, "day": sql.tokyo_date(starts), "hour": sql.tokyo_hour(starts),
            "service": Reservation.service_id}
    columns = [
        _count_if(Reservation.status == ReservationStatus.NO_SHOW).label("no_shows"),
        # Expected to come: not cancelled, and the slot has started (a later one may still come).
        _count_if(and_(Reservation.status != ReservationStatus.CANCELLED, starts <= now)).label("expected"),
    ]
    where = [Reservation.location_id == period.location.id, starts >= period.starts, starts < period.ends]
    _by_groupings(session, keys, columns, Reservation, where, figures)


def _slots(session, sql: TokyoSql, period: Period, now: datetime, figures: dict) -> None:
    """Seats booked (the ``slots`` rows, one per slot with a booking) over the seats the
    calendar offered. A slot nobody booked has no row, so the seats offered come from
    the calendar's rules (a few queries, then plain arithmetic over the days); where
    the rows hold more seats than the calendar now offers (a closure decided after
    the bookings), the rows count, so the rate never passes 1."""
    starts = Slot.starts_at
    keys = {"all": None, "day": sql.tokyo_date(starts), "hour": sql.tokyo_hour(starts)}
    columns = [func.sum(Slot.booked).label("booked"), func.sum(Slot.capacity).label("row_seats")]
    where = [Slot.location_id == period.location.id, starts >= period.starts, starts < period.ends]
    _by_groupings(session, keys, columns, Slot, where, figures)
    offered = get_offered_seats(session, period)
    for grouping in ("all", "day", "hour"):
        for key, seats in offered[grouping].items():
            figures[grouping][key]["calendar_seats"] = seats
        for values in figures[grouping].values():
            values["capacity"] = max(values.pop("row_seats", 0) or 0, values.pop("calendar_seats", 0))


def get_offered_seats(session, period: Period) -> dict[str, dict]:
    """Seats the calendar offers for reservations in the period: in all, per day and per
    hour. A slot start offers as many seats as the counters that take reservations for
    the procedures bookable then (the most among them: a slot's row is shared by every
    procedure, see services/booking.py)."""
    services = session.scalars(select(Service)).all()
    capacity = {service.id: calendar.reservation_capacity(session, period.location, service)
                for service in services}
    offered: dict[str, dict] = {"all": defaultdict(int), "day": defaultdict(int), "hour": defaultdict(int)}
    step = timedelta(minutes=calendar.SLOT_MINUTES)
    for day, plan in calendar.get_days(session, period.location, period.first, period.last).items():
        seats_at: dict[datetime, int] = {}
        for window in plan.windows:
            seats = max((capacity[s.id] for s in services if window.is_reservable(s)), default=0)
            moment = window.slots_from
            while seats and moment + step <= window.slots_until:
                seats_at[moment] = max(seats_at.get(moment, 0), seats)
                moment += step
        for moment, seats in seats_at.items():
            offered["all"][None] += seats
            offered["day"][day] += seats
            offered["hour"][moment.astimezone(TOKYO).hour] += seats
    return offered


def _turned_away(session, sql: TokyoSql, period: Period, now: datetime, figures: dict) -> None:
    keys = {"all": None, "day": TurnedAway.business_date, "hour": sql.tokyo_hour(TurnedAway.at),
            "service": TurnedAway.service_id}
    columns = [func.count().label("turned_away")]
    where = [TurnedAway.location_id == period.location.id,
             TurnedAway.business_date.between(period.first, period.last)]
    _by_groupings(session, keys, columns, TurnedAway, where, figures)


# ---------------------------------------------------------------- counter utilisation

def _open_time(session, sql: TokyoSql, period: Period, now: datetime, figures: dict) -> None:
    """The counters' open seconds, in all, per day and per hour. A session still open
    counts until now, and at most until the end of its business day (24:00 in Tokyo)."""
    day_end = sql.seconds(CounterSession.business_date) + (24 * 3600 - TOKYO_OFFSET)
    sessions = (select(
        CounterSession.business_date.label("day"),
        sql.seconds(CounterSession.opened_at).label("a"),
        func.coalesce(sql.seconds(CounterSession.closed_at),
                      sql.least(literal(_seconds_since_1970(now), Float), day_end)).label("b"))
        .where(CounterSession.location_id == period.location.id,
               CounterSession.business_date.between(period.first, period.last))
        .offset(0)  # computed once a row, not once per use (see _serving_by_hour)
        .subquery("s"))
    length = sql.greatest(sessions.c.b - sessions.c.a, literal(0.0, Float))
    _by_groupings(session, {"all": None, "day": sessions.c.day}, [func.sum(length).label("open_seconds")],
                  sessions, [], figures)
    _share_by_hour(session, sql, sessions, "open_seconds", figures)


def _serving_by_hour(session, sql: TokyoSql, period: Period, now: datetime, figures: dict) -> None:
    """Serving seconds per hour of the day, on the days with open time recorded (in all
    and per day: see ``_tickets`` and ``get_summary``)."""
    # Days with serving time but no open time recorded do not count (see get_summary);
    # usually there are none, and the query needs no condition for them.
    unknown = [day for day, values in figures["day"].items()
               if values.get("serving_seconds") and not values.get("open_seconds")]
    serving = (select(sql.seconds(Ticket.started_at).label("a"), sql.seconds(Ticket.finished_at).label("b"))
               .where(Ticket.location_id == period.location.id,
                      Ticket.business_date.between(period.first, period.last),
                      Ticket.business_date.not_in(unknown) if unknown else literal(True),
                      Ticket.status == TicketStatus.DONE)
               .offset(0)  # keeps the database from inlining it: a and b are computed once a row
               .subquery("v"))
    _share_by_hour(session, sql, serving, "serving_seconds", figures)


def _share_by_hour(session, sql: TokyoSql, source, name: str, figures: dict) -> None:
    """Share intervals [a, b) out between the Tokyo hours they cover. The database
    groups them by their first hour and the number of hour boundaries they cross
    (``span``), summing the part in the first hour and the part in the last; the few
    such groups are then spread here: hours in between get a full hour each."""
    hour_seconds = literal_column("3600.0")
    local_a = source.c.a + literal_column(str(TOKYO_OFFSET))
    local_b = source.c.b + literal_column(str(TOKYO_OFFSET))
    first = sql.whole(local_a / hour_seconds)
    last = sql.whole((local_b - literal_column("0.001")) / hour_seconds)
    parts = (select(
        (first % literal_column("24")).label("hour"), (last - first).label("span"),
        (sql.least(local_b, (first + 1) * hour_seconds) - local_a).label("head"),
        case((last > first, local_b - last * hour_seconds), else_=literal_column("0.0")).label("tail"))
        .where(source.c.b > source.c.a)
        .subquery("parts"))
    statement = (select(parts.c.hour, parts.c.span, func.count().label("n"),
                        func.sum(parts.c.head).label("head"), func.sum(parts.c.tail).label("tail"))
                 .group_by(parts.c.hour, parts.c.span))
    seconds: dict[int, float] = defaultdict(float)
    for row in session.execute(statement):
        hour, span = int(row.hour), int(row.span)
        seconds[hour] += float(row.head)
        if span > 0:
            seconds[(hour + span) % 24] += float(row.tail)
        for step in range(1, min(span, 24)):
            seconds[(hour + step) % 24] += 3600.0 * row.n
    for hour, value in seconds.items():
        figures["hour"][hour][name] = value


# ---------------------------------------------------------------- the tickets themselves

def iter_tickets(session, period: Period, batch: int = 2000) -> Iterator:
    """The tickets of the period for an export, in the order they were issued, read in
    batches (a year's export is streamed, never held whole). Rows carry the number, kind,
    procedure, day, the four times, status and counter: nothing about the resident."""
    statement = (select(Ticket.number, Ticket.kind, Service.slug.label("service"),
                        Service.name_ja.label("service_ja"), Service.name_en.label("service_en"),
                        Ticket.business_date, Ticket.issued_at, Ticket.called_at, Ticket.started_at,
                        Ticket.finished_at, Ticket.status, Counter.name.label("counter"))
                 .join(Service, Service.id == Ticket.service_id)
                 .outerjoin(Counter, Counter.id == Ticket.counter_id)
                 .where(Ticket.location_id == period.location.id,
                        Ticket.business_date.between(period.first, period.last))
                 .order_by(Ticket.business_date, Ticket.issued_at, Ticket.id)
                 .execution_options(yield_per=batch))
    yield from session.execute(statement)

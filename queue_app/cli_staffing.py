"""``flask --app wsgi staffing-advice LOCATION DATE``: how many counters a day needs.

The place's rules (procedures, counters, opening hours, windows, closures, the usual
day) and that day's reservations are copied into a scratch SQLite database — the
reservations as a slot and a procedure only: no name, no reading, no e-mail, no
phone, no code of the real ones. A warm-up day is played there first (made-up
residents, their contacts purged afterwards) so the estimate and the reception
cut-off have a history; then the day itself is played (simulation.py, the real
services) with 1 to N counters and several seeds, with the walk-in rate seen on the
same weekday in past weeks (or a default). For each count it prints the mean and
90th-percentile wait of the residents called, the walk-ins turned away by 受付終了
and when the last resident leaves. Each run starts from a copy of the prepared file,
so the runs are independent and the same seed meets the same residents.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from . import simulation as sim
from .extensions import db
from .models import (CalendarWindow, Closure, Counter, Location, OpeningHours, Reservation, ReservationStatus,
                     Service, Slot, SlotCapacity, StaffedHour, Ticket, TurnedAway)
from .services import calendar, credentials, housekeeping, staffing

DEFAULT_WALK_INS_PER_HOUR = 12.0  # without history: a quiet ordinary day
HISTORY_WEEKS = 8
RULE_COLUMNS = {
    Service: ("slug", "name_ja", "name_en", "duration_minutes", "reservable", "position"),
    OpeningHours: ("valid_from", "weekday", "opens", "closes", "slots_from", "slots_until"),
    CalendarWindow: ("kind", "weekday", "weeks_of_month", "on_date", "starts", "ends", "reservation_only"),
}


# ---------------------------------------------------------------- reading the source

def observed_walk_in_rate(session, location: Location, day: date, weeks: int = HISTORY_WEEKS) -> float | None:
    """Walk-ins an hour on the same weekday in the last ``weeks`` weeks (tickets issued
    plus residents turned away, over the hours the place took walk-ins); None when
    none of those days saw a walk-in."""
    rates = []
    for back in range(1, weeks + 1):
        past = day - timedelta(weeks=back)
        hours = sum((w.ends - w.starts).total_seconds() / 3600
                    for w in calendar.get_day(session, location, past).windows if w.walk_in)
        if not hours:
            continue
        issued = session.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.location_id == location.id, Ticket.business_date == past, Ticket.kind == "walk_in"))
        refused = session.scalar(select(func.count()).select_from(TurnedAway).where(
            TurnedAway.location_id == location.id, TurnedAway.business_date == past))
        if issued or refused:
            rates.append((issued + refused) / hours)
    return statistics.fmean(rates) if rates else None


def read_rules(session, location: Location, day: date) -> dict:
    """The place's rules and the day's bookings, as plain values (nothing personal)."""
    def values(model, row):
        return {column: getattr(row, column) for column in RULE_COLUMNS[model]}

    start = calendar.at(day, time(0))
    bookings = session.execute(
        select(Service.slug, Reservation.starts_at, Reservation.ends_at)
        .join(Service, Service.id == Reservation.service_id)
        .where(Reservation.location_id == location.id, Reservation.status != ReservationStatus.CANCELLED,
               Reservation.starts_at >= start, Reservation.starts_at < start + timedelta(days=1))
        .order_by(Reservation.starts_at, Reservation.id)).all()
    return {
        "location": {"slug": location.slug, "name_ja": location.name_ja, "name_en": location.name_en,
                     "cutoff_minutes": location.cutoff_minutes},
        "services": [values(Service, s) for s in session.scalars(select(Service))],
        "counters": [{"name": c.name, "position": c.position, "takes_reservations": c.takes_reservations,
                      "services": [s.slug for s in c.services]}
                     for c in session.scalars(select(Counter).where(Counter.location_id == location.id)
                                              .order_by(Counter.position, Counter.id))],
        "hours": [values(OpeningHours, h) for h in session.scalars(
            select(OpeningHours).where(OpeningHours.location_id == location.id))],
        "windows": [{**values(CalendarWindow, w), "services": [s.slug for s in w.services]}
                    for w in session.scalars(select(CalendarWindow).where(CalendarWindow.location_id == location.id))],
        "capacities": session.execute(
            select(Service.slug, SlotCapacity.valid_from, SlotCapacity.seats)
            .join(Service, Service.id == SlotCapacity.service_id)
            .where(SlotCapacity.location_id == location.id)).all(),
        "closures": [(c.on_date, c.reason) for c in session.scalars(select(Closure).where(
            (Closure.location_id == location.id) | Closure.location_id.is_(None)))],
        "usual_day": staffing.get_usual_day(session, location),
        "bookings": [(slug, starts, ends) for slug, starts, ends in bookings],
    }


# ---------------------------------------------------------------- the scratch copy

def write_rules(session, rules: dict, day: date) -> Location:
    """Create the place, its rules and the day's bookings (anonymous) in the scratch database."""
    services = {}
    for values in rules["services"]:
        services[values["slug"]] = Service(**values)
        session.add(services[values["slug"]])
    location = Location(**rules["location"])
    session.add(location)
    for values in rules["counters"]:
        session.add(Counter(location=location, is_open=True,
                            services=[services[s] for s in values["services"]],
                            **{k: v for k, v in values.items() if k != "services"}))
    session.add_all(OpeningHours(location=location, **values) for values in rules["hours"])
    for values in rules["windows"]:
        session.add(CalendarWindow(location=location, services=[services[s] for s in values["services"]],
                                   **{k: v for k, v in values.items() if k != "services"}))
    session.add_all(Closure(location=location, on_date=on, reason=reason) for on, reason in rules["closures"])
    session.flush()
    session.add_all(SlotCapacity(location_id=location.id, service_id=services[slug].id, valid_from=since,
                                 seats=seats) for slug, since, seats in rules["capacities"])
    session.add_all(StaffedHour(location_id=location.id, hour=h, counters=c) for h, c in rules["usual_day"].items())
    session.flush()
    slots: dict[datetime, Slot] = {}
    booked_at = calendar.at(day - timedelta(days=1), time(18, 0))
    for slug, starts, ends in rules["bookings"]:
        service = services[slug]
        slot = slots.get(starts)
        if slot is None:
            capacity = calendar.reservation_capacity(session, location, service, day)
            slot = slots[starts] = Slot(location_id=location.id, starts_at=starts, capacity=capacity, booked=0)
            session.add(slot)
        slot.booked += 1
        slot.capacity = max(slot.capacity, slot.booked)
        session.flush()
        session.add(Reservation(
            code=credentials.new_code(), token_hash=credentials.hash_token(credentials.new_token()),
            status=ReservationStatus.BOOKED, location_id=location.id, service_id=service.id, slot_id=slot.id,
            starts_at=starts, ends_at=ends, name=None, furigana=None, email=None, phone=None,
            language="ja", proxy=False, created_at=booked_at))
    session.flush()
    return location


def _day_before(app, slug: str, day: date) -> date | None:
    """The last ordinary day before ``day`` (within eight weeks), for the warm-up."""
    with app.app_context():
        location = db.session.scalar(select(Location).where(Location.slug == slug))
        for back in range(1, 57):
            candidate = day - timedelta(days=back)
            plan = calendar.get_day(db.session, location, candidate)
            if len(plan.windows) == 1 and plan.windows[0].walk_in and plan.windows[0].kind == "regular":
                return candidate
    return None


def prepare(rules: dict, day: date, path: Path, load: sim.Load, seed="advice") -> Path:
    """The scratch database at ``path``: the rules, the day's anonymous bookings, and a
    warm-up day played before it (its made-up contacts purged)."""
    app = sim.scratch_app(path, seed=False)
    slug = rules["location"]["slug"]
    with app.app_context():
        write_rules(db.session, rules, day)
        db.session.commit()
    warm_up = _day_before(app, slug, day)
    if warm_up is not None:
        sim.simulate_day(app, slug, warm_up, load, f"{seed}:warm-up")
        with app.app_context():
            housekeeping.purge_personal_data(db.session, calendar.at(day, time(0)), 0)
            db.session.commit()
    with app.app_context():
        db.engine.dispose()
    return path


def scaled_usual_day(usual: dict[int, int], counters: int, place_counters: int,
                     first_hour: int) -> dict[int, int]:
    """The usual day for ``counters`` counters: as many fewer than all as the place's
    own usual day has fewer than all (lunch: one fewer), never below one."""
    if not usual:
        return {first_hour: counters}
    return {hour: min(counters, max(min(staffed, 1), counters - max(place_counters - staffed, 0)))
            for hour, staffed in usual.items()}


def staff(app, slug: str, counters: int, rules: dict, day: date) -> None:
    """Give the place ``counters`` counters (more are added like its first; those past
    the count are never on duty) and the matching usual day."""
    with app.app_context():
        session = db.session
        location = session.scalar(select(Location).where(Location.slug == slug))
        existing = list(session.scalars(select(Counter).where(Counter.location_id == location.id)
                                        .order_by(Counter.position, Counter.id)))
        template = existing[0] if existing else None
        offered = template.services if template else list(session.scalars(select(Service)))
        for index in range(len(existing), counters):
            session.add(Counter(location=location, name=f"simulated {index + 1}", position=100 + index,
                                takes_reservations=False, is_open=True, services=list(offered)))
        plan = calendar.get_day(session, location, day)
        first_hour = min(w.starts for w in plan.windows).hour if plan.windows else 8
        staffing.set_usual_day(session, location, scaled_usual_day(
            rules["usual_day"], counters, len(rules["counters"]), first_hour),
            calendar.at(day, time(0)), "sim:advice")
        session.commit()


def advise(rules: dict, day: date, load: sim.Load, max_counters: int, seeds: int,
           progress=None) -> list[dict]:
    """Play ``day`` with 1..``max_counters`` counters, ``seeds`` times each; one row per count."""
    slug = rules["location"]["slug"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="staffing-advice-") as scratch:
        prepared = prepare(rules, day, Path(scratch) / "prepared.db", load)
        for counters in range(1, max_counters + 1):
            results = []
            for seed in range(1, seeds + 1):
                path = Path(scratch) / f"run-{counters}-{seed}.db"
                shutil.copyfile(prepared, path)
                app = sim.scratch_app(path, seed=False)
                staff(app, slug, counters, rules, day)
                results.append(sim.simulate_day(app, slug, day, load, seed, book=False))
                with app.app_context():
                    db.engine.dispose()
                path.unlink()
                if progress is not None:
                    progress(1)
            waits = [w for r in results for w in r.waits()]
            leaves = [r.last_leaves for r in results if r.last_leaves is not None]
            rows.append({
                "counters": counters,
                "mean_wait": statistics.fmean(waits) if waits else float("nan"),
                "p90_wait": sim.percentile(waits, 0.9),
                "turned_away": statistics.fmean(r.turned_away for r in results),
                "never_called": statistics.fmean(sum(1 for w in r.walk_ins if w.called is None) for r in results),
                "last_leaves": _mean_time(leaves),
                "latest_leaves": max(leaves, default=None),
                "closes": results[0].closes,
            })
    return rows


def _mean_time(moments: list[datetime]) -> datetime | None:
    if not moments:
        return None
    base = moments[0]
    return base + timedelta(seconds=statistics.fmean((m - base).total_seconds() for m in moments))


def _clock(moment: datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(calendar.TOKYO).strftime("%H:%M")


# ---------------------------------------------------------------- the command

@click.command("staffing-advice")
@click.argument("location_slug", metavar="LOCATION")
@click.argument("day", metavar="DATE", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--max-counters", type=click.IntRange(1, 20), default=None,
              help="play 1 to this many counters  [default: the place's counters + 1]")
@click.option("--seeds", type=click.IntRange(1, 50), default=3, show_default=True,
              help="days played per count of counters")
@click.option("--walk-ins-per-hour", type=click.FloatRange(0, 200), default=None,
              help="instead of the rate seen on the same weekday in past weeks")
@with_appcontext
def staffing_advice_command(location_slug, day, max_counters, seeds, walk_ins_per_hour):
    """How many counters DATE needs at LOCATION: the day simulated with 1..N counters."""
    day = day.date()
    location = db.session.scalar(select(Location).where(Location.slug == location_slug))
    if location is None:
        raise click.ClickException(f"unknown location {location_slug!r}")
    plan = calendar.get_day(db.session, location, day)
    if not plan.windows:
        raise click.ClickException(f"{location_slug} is closed on {day} ({plan.closed_reason})")
    rules = read_rules(db.session, location, day)
    if not rules["counters"]:
        raise click.ClickException(f"{location_slug} has no counters")
    observed = observed_walk_in_rate(db.session, location, day)
    rate = walk_ins_per_hour if walk_ins_per_hour is not None else (
        observed if observed is not None else DEFAULT_WALK_INS_PER_HOUR)
    source = ("given" if walk_ins_per_hour is not None else
              f"seen on {day:%A}s in the last {HISTORY_WEEKS} weeks" if observed is not None else
              "default: no walk-ins seen on that weekday")
    max_counters = max_counters or len(rules["counters"]) + 1
    db.session.rollback()  # nothing is written to this database
    load = sim.Load(walk_ins_per_hour=rate)
    with click.progressbar(length=max_counters * seeds, label="simulating", file=sys.stderr) as bar:
        rows = advise(rules, day, load, max_counters, seeds, progress=bar.update)
    click.echo(f"Staffing advice for {location_slug} on {day} ({day:%A}): {len(rules['bookings'])} reservations "
               f"booked, {rate:.1f} walk-ins an hour ({source}); {seeds} simulated day(s) per count; "
               f"closes {_clock(rows[0]['closes'])}.")
    click.echo("Wait: from the walk-in's ticket, or the reserved resident's slot, to the call.")
    head = "counters | mean wait | p90 wait | turned away | never called | last resident leaves"
    click.echo(head)
    click.echo("-" * len(head))
    for row in rows:
        click.echo(f"{row['counters']:8d} | {row['mean_wait']:5.0f} min | {row['p90_wait']:4.0f} min | "
                   f"{row['turned_away']:11.1f} | {row['never_called']:12.1f} | "
                   f"{_clock(row['last_leaves'])} (latest {_clock(row['latest_leaves'])})")
    click.echo("Turned away: walk-ins refused by 受付終了 (their wait is not in the figures); "
               "never called: let in but not called by closing. Per simulated day.")

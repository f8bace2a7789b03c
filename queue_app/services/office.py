"""Places, their counters and the procedures: the rules behind the back office's
``/admin/office`` page and ``/api/v1/admin/locations|counters|services``.

Each change is one call here, inside the caller's transaction, with one audit entry
(services/audit.py); bad input raises ``Invalid`` with every failing field
(``errors``) before anything is written, and a slug or name already in use raises
``SlugTaken`` / ``NameTaken`` (409). Nothing is deleted: a place, a counter or a
procedure may be referred to by years of tickets and reservations. A counter that
should stop being called is made to serve no procedure (and closed on the console).

The booking and queue rules read these tables through the rules cache, which is
cleared when the transaction commits (rules_cache.SOURCE_MODELS), so a new counter
takes bookings and calls at once; a change to the counters that take reservations also
takes the place's calendar lock and raises its calendar version, so every other process books with the new seats
at once too (calendar.py). A counter change is also announced to the lobby
displays of its place (their list of counters and names), after commit.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..models import Counter, Location, Service
from . import audit, calendar, places
from .display import announce_queue
from .errors import DomainError, Invalid, NotFound, UnknownPlace
from .queue import business_date

SLUG_MAX = 40
NAME_MAX = 100            # a place's or procedure's name (the columns' length)
COUNTER_NAME_MAX = 40     # a counter's name (the column's length); on the lobby screens
BRING_MAX = 2000
DURATION_MIN, DURATION_MAX = 5, 240
POSITION_MAX = 9999
# Lower-case letters, digits and single dashes: a slug travels in URLs and QR payloads.
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# What a field's error says (English; the back-office page words it in Japanese).
MESSAGES = {
    "slug_missing": "Enter a slug.",
    "slug_form": "Lower-case letters, digits and dashes only (e.g. north-branch).",
    "slug_long": f"At most {SLUG_MAX} characters.",
    "slug_taken": "This slug is taken.",
    "name_ja_missing": "Enter the name in Japanese.",
    "name_en_missing": "Enter the name in English.",
    "name_long": f"At most {NAME_MAX} characters.",
    "name_taken": "This name is taken.",
    "counter_name_missing": "Enter the counter's name.",
    "counter_name_long": f"At most {COUNTER_NAME_MAX} characters.",
    "counter_name_taken": "This place already has a counter of this name.",
    "location": "Choose a place.",
    "services": "Unknown procedure.",
    "duration": f"A whole number of minutes from {DURATION_MIN} to {DURATION_MAX}.",
    "position": f"A whole number from 0 to {POSITION_MAX}.",
    "bring_long": f"At most {BRING_MAX} characters.",
    "boolean": "Yes or no.",
}


class SlugTaken(DomainError):
    """Another place or procedure has this slug."""

    status = 409
    code = "slug_taken"
    title = "This slug is already used"


class NameTaken(DomainError):
    """Another place or procedure has this name, or another counter of the place."""

    status = 409
    code = "name_taken"
    title = "This name is already used"


def _taken(error_type, field: str, message_key: str, detail: str) -> DomainError:
    # ``errors`` as with ``invalid``: the page ties the refusal to its field.
    return error_type(detail, errors={field: [MESSAGES[message_key]]})


# ---------------------------------------------------------------- checking values

class _Checker:
    """Collects every field's first error; ``done()`` raises them all at once."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def fail(self, field: str, key: str) -> None:
        self.errors.setdefault(field, [MESSAGES[key]])

    def text(self, field: str, value, *, required: str | None, longest: str, limit: int) -> str:
        value = (value if isinstance(value, str) else "").strip()
        if not value and required:
            self.fail(field, required)
        elif len(value) > limit:
            self.fail(field, longest)
        return value

    def slug(self, value) -> str:
        value = (value if isinstance(value, str) else "").strip()
        if not value:
            self.fail("slug", "slug_missing")
        elif len(value) > SLUG_MAX:
            self.fail("slug", "slug_long")
        elif not SLUG_PATTERN.match(value):
            self.fail("slug", "slug_form")
        return value

    def number(self, field: str, value, low: int, high: int, key: str) -> int | None:
        """A whole number (an int, or digits as a form sends them) from low to high."""
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(field, key)
            return None
        return value

    def flag(self, field: str, value) -> bool:
        if not isinstance(value, bool):
            self.fail(field, "boolean")
            return False
        return value

    def done(self) -> None:
        if self.errors:
            raise Invalid("Some fields are not valid: " + ", ".join(sorted(self.errors)),
                          errors=self.errors)


def _names(check: _Checker, changes: dict, partial: bool) -> dict:
    """``name_ja`` / ``name_en`` of ``changes``, checked (both required unless ``partial``)."""
    out = {}
    for field, missing in (("name_ja", "name_ja_missing"), ("name_en", "name_en_missing")):
        if field in changes or not partial:
            out[field] = check.text(field, changes.get(field), required=missing,
                                    longest="name_long", limit=NAME_MAX)
    return out


def _changed(row, values: dict) -> dict:
    """``{field: [old, new]}`` for what ``values`` changes on ``row`` (for the audit)."""
    return {field: [getattr(row, field), new] for field, new in values.items()
            if getattr(row, field) != new}


def _flush(session, error: DomainError) -> None:
    """Flush; a unique constraint that another transaction won first answers ``error``
    (the checks before are for the usual case and the per-field message)."""
    try:
        session.flush()
    except IntegrityError:
        raise error from None


# ---------------------------------------------------------------- places

def get_locations(session) -> list[Location]:
    """Every place, in the order they were added (the booking site's order)."""
    return list(session.scalars(select(Location).order_by(Location.id)))


# The place by its slug, with the one failure of every caller: UnknownPlace (a 404).
get_location = places.get_location


def _check_location_names(session, values: dict, own_id: int | None) -> None:
    for field in ("name_ja", "name_en"):
        if field in values and session.scalar(select(Location.id).where(
                getattr(Location, field) == values[field], Location.id != (own_id or 0))) is not None:
            raise _taken(NameTaken, field, "name_taken", f"Another place is called {values[field]!r}.")


def create_location(session, *, slug, name_ja, name_en, actor: str, now: datetime) -> Location:
    """A new place without counters (it takes no booking and no walk-in until it has
    counters serving procedures, and opening hours on the calendar)."""
    check = _Checker()
    slug = check.slug(slug)
    values = _names(check, {"name_ja": name_ja, "name_en": name_en}, partial=False)
    check.done()
    if session.scalar(select(Location.id).where(Location.slug == slug)) is not None:
        raise _taken(SlugTaken, "slug", "slug_taken", f"A place called {slug!r} exists.")
    _check_location_names(session, values, None)
    location = Location(slug=slug, **values)
    session.add(location)
    _flush(session, _taken(SlugTaken, "slug", "slug_taken", f"A place called {slug!r} exists."))
    audit.record(session, actor=actor, action="location.create", now=now, location_id=location.id,
                 detail={"slug": slug, **values})
    return location


def update_location(session, slug: str, changes: dict, *, actor: str, now: datetime) -> Location:
    """Rename a place (``changes``: ``name_ja`` and/or ``name_en``); its slug stays, as
    printed postcards and bookmarked pages carry it."""
    location = get_location(session, slug)
    check = _Checker()
    values = _names(check, changes, partial=True)
    check.done()
    changed = _changed(location, values)
    if not changed:
        return location  # nothing changes, nothing to audit
    _check_location_names(session, {k: v[1] for k, v in changed.items()}, location.id)
    for field, (_old, new) in changed.items():
        setattr(location, field, new)
    session.flush()
    audit.record(session, actor=actor, action="location.update", now=now, location_id=location.id,
                 detail={"slug": location.slug, "changed": changed})
    return location


# ---------------------------------------------------------------- procedures

def get_services(session) -> list[Service]:
    """Every procedure, in the order residents see them."""
    return list(session.scalars(select(Service).order_by(Service.position, Service.id)))


def get_service(session, slug: str) -> Service:
    """The procedure with this slug; ``NotFound`` otherwise."""
    service = session.scalar(select(Service).where(Service.slug == slug)) \
        if isinstance(slug, str) and len(slug) <= SLUG_MAX else None
    if service is None:
        raise NotFound(f"No procedure called {slug!r}.")
    return service


SERVICE_FIELDS = ("name_ja", "name_en", "duration_minutes", "reservable", "position", "bring_ja", "bring_en")


def _service_values(check: _Checker, changes: dict, partial: bool) -> dict:
    values = _names(check, changes, partial)
    if "duration_minutes" in changes or not partial:
        values["duration_minutes"] = check.number(
            "duration_minutes", changes.get("duration_minutes", 15), DURATION_MIN, DURATION_MAX, "duration")
    if "reservable" in changes or not partial:
        values["reservable"] = check.flag("reservable", changes.get("reservable", False))
    if "position" in changes:
        values["position"] = check.number("position", changes["position"], 0, POSITION_MAX, "position")
    for field in ("bring_ja", "bring_en"):
        if field in changes or not partial:
            values[field] = check.text(field, changes.get(field) or "", required=None,
                                       longest="bring_long", limit=BRING_MAX)
    return values


def _check_service_names(session, values: dict, own_id: int | None) -> None:
    for field in ("name_ja", "name_en"):
        if field in values and session.scalar(select(Service.id).where(
                getattr(Service, field) == values[field], Service.id != (own_id or 0))) is not None:
            raise _taken(NameTaken, field, "name_taken", f"Another procedure is called {values[field]!r}.")


def create_service(session, *, slug, changes: dict, actor: str, now: datetime) -> Service:
    """A new procedure (``changes``: the names, and optionally ``duration_minutes``
    (15), ``reservable`` (false), ``position`` (last), ``bring_ja``/``bring_en``). No
    counter serves it yet: add it to a counter to offer it."""
    check = _Checker()
    slug = check.slug(slug)
    values = _service_values(check, changes, partial=False)
    check.done()
    if session.scalar(select(Service.id).where(Service.slug == slug)) is not None:
        raise _taken(SlugTaken, "slug", "slug_taken", f"A procedure called {slug!r} exists.")
    _check_service_names(session, values, None)
    if values.get("position") is None:
        values["position"] = (session.scalar(select(func.max(Service.position))) or 0) + 1
    service = Service(slug=slug, **values)
    session.add(service)
    _flush(session, _taken(SlugTaken, "slug", "slug_taken", f"A procedure called {slug!r} exists."))
    audit.record(session, actor=actor, action="service.create", now=now,
                 detail={"slug": slug, **values})
    return service


def update_service(session, slug: str, changes: dict, *, actor: str, now: datetime) -> Service:
    """Change a procedure (any of ``SERVICE_FIELDS``). Made non-reservable, it leaves the
    booking site at once; reservations already made stay as they are."""
    service = get_service(session, slug)
    check = _Checker()
    values = _service_values(check, {k: v for k, v in changes.items() if k in SERVICE_FIELDS},
                             partial=True)
    check.done()
    changed = _changed(service, values)
    if not changed:
        return service
    _check_service_names(session, {k: v[1] for k, v in changed.items()}, service.id)
    for field, (_old, new) in changed.items():
        setattr(service, field, new)
    session.flush()
    audit.record(session, actor=actor, action="service.update", now=now,
                 detail={"slug": service.slug, "changed": changed})
    return service


# ---------------------------------------------------------------- counters

def get_counters(session, location: Location | None = None) -> list[Counter]:
    """The counters of a place (or of every place), in their order."""
    query = select(Counter).order_by(Counter.location_id, Counter.position, Counter.id)
    if location is not None:
        query = query.where(Counter.location_id == location.id)
    return list(session.scalars(query))


def get_counter(session, counter_id: int) -> Counter:
    counter = session.get(Counter, counter_id)
    if counter is None:
        raise NotFound(f"No counter {counter_id}.")
    return counter


def _procedures(session, check: _Checker, slugs) -> list[Service]:
    """The procedures named by ``slugs`` (a list of slugs), in the catalogue's order."""
    if not isinstance(slugs, (list, tuple)) or not all(isinstance(s, str) for s in slugs):
        check.fail("services", "services")
        return []
    wanted = set(slugs)
    found = [s for s in get_services(session) if s.slug in wanted]
    if len(found) != len(wanted):
        check.fail("services", "services")
    return found


def _counter_values(session, check: _Checker, changes: dict, partial: bool) -> dict:
    values: dict = {}
    if "name" in changes or not partial:
        values["name"] = check.text("name", changes.get("name"), required="counter_name_missing",
                                    longest="counter_name_long", limit=COUNTER_NAME_MAX)
    if "services" in changes or not partial:
        values["services"] = _procedures(session, check, changes.get("services", []))
    if "takes_reservations" in changes or not partial:
        values["takes_reservations"] = check.flag("takes_reservations",
                                                  changes.get("takes_reservations", False))
    if "position" in changes:
        values["position"] = check.number("position", changes["position"], 0, POSITION_MAX, "position")
    return values


def _check_counter_name(session, location_id: int, name: str, own_id: int | None) -> None:
    if session.scalar(select(Counter.id).where(Counter.location_id == location_id, Counter.name == name,
                                               Counter.id != (own_id or 0))) is not None:
        raise _taken(NameTaken, "name", "counter_name_taken", f"This place already has a counter {name!r}.")


def _counter_detail(counter: Counter) -> dict:
    return {"counter_id": counter.id, "name": counter.name,
            "services": [s.slug for s in counter.services],
            "takes_reservations": counter.takes_reservations, "position": counter.position}


def create_counter(session, *, location, changes: dict, actor: str, now: datetime) -> Counter:
    """A new counter of ``location`` (a slug), open, serving ``changes["services"]``
    (slugs); with ``takes_reservations`` it adds a seat to each of their slots. It can
    call from the moment this commits."""
    check = _Checker()
    try:
        place = places.get_location(session, location)
    except UnknownPlace:  # named in the body, not the URL: a field to correct
        place = None
        check.fail("location", "location")
    values = _counter_values(session, check, changes, partial=False)
    check.done()
    _check_counter_name(session, place.id, values["name"], None)
    if values.get("position") is None:
        values["position"] = (session.scalar(select(func.max(Counter.position))
                                             .where(Counter.location_id == place.id)) or 0) + 1
    calendar.lock_for_change(session, place.id)  # its seats count in the slots' capacity
    counter = Counter(location=place, is_open=True, **values)
    session.add(counter)
    _flush(session, _taken(NameTaken, "name", "counter_name_taken", "This place already has that counter."))
    calendar.raise_version(session, place.id)
    audit.record(session, actor=actor, action="counter.create", now=now, location_id=place.id,
                 detail=_counter_detail(counter))
    announce_queue(session, place, business_date(now), now=now, change="counter")
    return counter


def update_counter(session, counter_id: int, changes: dict, *, actor: str, now: datetime) -> Counter:
    """Rename a counter, change the procedures it serves, whether it takes reservations,
    or its place in the list. Serving no procedure, it is called by nobody (tickets
    already at it stay until finished). The lobby displays learn the change at once."""
    counter = get_counter(session, counter_id)
    check = _Checker()
    values = _counter_values(session, check, changes, partial=True)
    check.done()
    changed = _changed(counter, {k: v for k, v in values.items() if k != "services"})
    if "services" in values:
        old = [s.slug for s in counter.services]
        new = [s.slug for s in values["services"]]
        if set(old) != set(new):
            changed["services"] = [old, new]
    if not changed:
        return counter
    if "name" in changed:
        _check_counter_name(session, counter.location_id, values["name"], counter.id)
    seats_change = bool({"services", "takes_reservations"} & changed.keys())  # the slots' capacity
    if seats_change:
        calendar.lock_for_change(session, counter.location_id)
    for field, (_old, new) in changed.items():
        setattr(counter, field, values["services"] if field == "services" else new)
    _flush(session, _taken(NameTaken, "name", "counter_name_taken", "This place already has that counter."))
    if seats_change:
        calendar.raise_version(session, counter.location_id)
    audit.record(session, actor=actor, action="counter.update", now=now, location_id=counter.location_id,
                 detail={"counter_id": counter.id, "changed": changed})
    announce_queue(session, counter.location, business_date(now), now=now, change="counter")
    return counter

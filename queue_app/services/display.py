"""What the lobby screens may show: ticket numbers and counters, never names.

``get_snapshot`` is the whole picture a display starts from; the realtime events
(``called``, ``queue``) then move it forward one ``seq`` at a time. The snapshot must
be read in ONE database snapshot (see ``realtime.read_snapshot``), so that its ``seq``
and its state describe the same moment: an event with a higher ``seq`` is then always
news to the display, one with a lower or equal ``seq`` already in it.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..models import BAND_PRIORITY, BAND_RESERVATION, BAND_WALK_IN, Counter, Location, Ticket

_BAND_NAMES = {BAND_PRIORITY: "priority", BAND_RESERVATION: "reservation", BAND_WALK_IN: "walk_in"}
# A ticket at a counter: called (on its way) or being served.
AT_COUNTER = ("called", "serving")
# How many of the latest calls the screen lists.
RECENT_CALLS = 8


def waiting_counts(session, location: Location, day: date) -> dict:
    """How many tickets wait in each band: ``{"priority", "reservation", "walk_in"}``."""
    rows = session.execute(
        select(Ticket.band, func.count()).where(
            Ticket.location_id == location.id, Ticket.business_date == day,
            Ticket.status == "waiting").group_by(Ticket.band))
    counts = {name: 0 for name in _BAND_NAMES.values()}
    for band, count in rows:
        counts[_BAND_NAMES[band]] = count
    return counts


def get_location(session, slug) -> Location | None:
    """The place with this slug, or None (also for a slug that is not a string)."""
    if not isinstance(slug, str) or not slug or len(slug) > 40:
        return None
    return session.scalar(select(Location).where(Location.slug == slug))


def get_snapshot(session, location: Location, day: date) -> dict:
    """The display's starting picture of ``location`` on ``day``, with its ``seq``.

    ``{"seq", "location", "serving": [{"number", "counter"}],
    "recent": [{"number", "counter", "called_at"}], "waiting": {...}, "counters": [...]}``.
    ``counters`` (the open counters' names, in their order) lets a screen show an idle
    counter too. Only numbers and counters: nothing here may identify a resident.
    """
    seq = session.scalar(select(Location.seq).where(Location.id == location.id))
    counters = _counters(session, location)
    names = {counter.id: counter.name for counter in counters}
    today = (Ticket.location_id == location.id) & (Ticket.business_date == day)
    serving = _serving(session, location, day, counters)
    busy = {row["counter"] for row in serving}
    recent = [
        {"number": number, "counter": names.get(counter_id), "called_at": called_at.isoformat()}
        for number, counter_id, called_at in session.execute(
            select(Ticket.number, Ticket.counter_id, Ticket.called_at)
            .where(today, Ticket.called_at.is_not(None), Ticket.counter_id.is_not(None))
            .order_by(Ticket.called_at.desc(), Ticket.number.desc()).limit(RECENT_CALLS))
    ]
    return {
        "seq": seq,
        "location": location.slug,
        "serving": serving,
        "recent": recent,
        "waiting": waiting_counts(session, location, day),
        "counters": [counter.name for counter in counters if counter.is_open or counter.name in busy],
    }


def get_serving(session, location: Location, day: date) -> list[dict]:
    """``[{"number", "counter"}]``: the number at each counter, in the counters' order.

    A ``queue`` event that carries this as ``"serving"`` spares the displays a snapshot
    read after a ticket is finished (display.js uses it when present)."""
    return _serving(session, location, day, _counters(session, location))


def _counters(session, location: Location) -> list[Counter]:
    return list(session.scalars(select(Counter).where(Counter.location_id == location.id)
                                .order_by(Counter.position, Counter.id)))


def _serving(session, location: Location, day: date, counters: list[Counter]) -> list[dict]:
    names = {counter.id: counter.name for counter in counters}
    rows = session.execute(
        select(Ticket.number, Ticket.counter_id)
        .where(Ticket.location_id == location.id, Ticket.business_date == day,
               Ticket.status.in_(AT_COUNTER), Ticket.counter_id.is_not(None))
        .order_by(Ticket.called_at.desc(), Ticket.number)).all()
    latest: dict[int, str] = {}
    for number, counter_id in rows:
        latest.setdefault(counter_id, number)  # one number per counter: its latest call
    return [{"number": latest[c.id], "counter": names[c.id]} for c in counters if c.id in latest]

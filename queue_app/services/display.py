"""What the lobby screens and the residents' phones may show: ticket numbers and
counters, never names.

``get_snapshot`` is the whole picture a display starts from; the realtime events
(``called``, ``queue``) then move it forward one ``seq`` at a time, and each carries
what changed, so a display redraws from the event alone (``called_event``,
``queue_event``). The snapshot must be read in ONE database snapshot (see
``realtime.SnapshotCache``), so that its ``seq`` and its state describe the same
moment: an event with a higher ``seq`` is then always news to the display, one with a
lower or equal ``seq`` already in it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from ..events import announce
from ..models import AT_COUNTER, BAND_NAMES, Counter, Location, Ticket, TicketStatus
from . import calendar, reception
from .places import could_be_slug

# How many of the latest calls the screen lists.
RECENT_CALLS = 8
# Changes that only move the waiting counts on the lobby screen: no counter is freed,
# opened or closed, and the list of calls stays as it is (``closing``: the job that
# cancels the tickets still waiting at closing time).
WAITING_ONLY = frozenset({"issue", "check_in", "prioritise", "start", "closing"})


def waiting_counts(session, location: Location, day: date) -> dict:
    """How many tickets wait in each band: ``{"priority", "reservation", "walk_in"}``."""
    rows = session.execute(
        select(Ticket.band, func.count()).where(
            Ticket.location_id == location.id, Ticket.business_date == day,
            Ticket.status == TicketStatus.WAITING).group_by(Ticket.band))
    counts = {name: 0 for name in BAND_NAMES.values()}
    for band, count in rows:
        counts[BAND_NAMES[band]] = count
    return counts


def get_seq(session, slug) -> int | None:
    """The place's event number now (one indexed read), or None for an unknown place."""
    if not could_be_slug(slug):
        return None
    return session.scalar(select(Location.seq).where(Location.slug == slug))


def get_snapshot(session, location: Location, day: date, now: datetime) -> dict:
    """The display's starting picture of ``location`` on ``day``, with its ``seq``.

    ``{"seq", "location", "serving": [{"number", "counter"}],
    "recent": [{"number", "counter", "called_at"}], "waiting": {...},
    "counters": [{"name", "open", "until"}], "reception", "reception_reason",
    "next_opening", "closures": [{"start", "end", "all_day", "emergency", "reason": {"ja",
    "en"}}]}`` (``get_lobby``). Only numbers and counters: nothing here may
    identify a resident.
    """
    seq = session.scalar(select(Location.seq).where(Location.id == location.id))
    return {"seq": seq, "location": location.slug, **get_lobby(session, location, day, now),
            "waiting": waiting_counts(session, location, day)}


def get_lobby(session, location: Location, day: date, now: datetime) -> dict:
    """``{"serving", "counters", "recent"}`` of the snapshot (the counters and the
    calls) and the state of reception (services/reception.py ``state``).

    ``counters`` lists, in their order, the open counters, any closed one that still
    has a resident, and those closed for a while (``until``: when the clerk is back,
    so the screen says 「13:00再開」); a counter closed for the day is left out."""
    counters = list(session.scalars(select(Counter).where(Counter.location_id == location.id)
                                    .order_by(Counter.position, Counter.id)))
    names = {counter.id: counter.name for counter in counters}
    today = (Ticket.location_id == location.id) & (Ticket.business_date == day)
    latest: dict[int, str] = {}
    for number, counter_id in session.execute(
            select(Ticket.number, Ticket.counter_id)
            .where(today, Ticket.status.in_(AT_COUNTER), Ticket.counter_id.is_not(None))
            .order_by(Ticket.called_at.desc(), Ticket.number)):
        latest.setdefault(counter_id, number)  # one number per counter: its latest call
    serving = [{"number": latest[c.id], "counter": c.name} for c in counters if c.id in latest]
    recent = [
        {"number": number, "counter": names.get(counter_id), "called_at": called_at.isoformat()}
        for number, counter_id, called_at in session.execute(
            select(Ticket.number, Ticket.counter_id, Ticket.called_at)
            .where(today, Ticket.called_at.is_not(None), Ticket.counter_id.is_not(None))
            .order_by(Ticket.called_at.desc(), Ticket.number.desc()).limit(RECENT_CALLS))
    ]
    shown = [c for c in counters if c.is_open or c.id in latest or c.closed_until is not None]
    desk = reception.state(session, location, now)
    # Today's closures not yet over (services/closures.py): the screens show the notice.
    closures = [calendar.notice_json(notice) for notice in calendar.get_notices(session, location, day, day)
                if notice.ends > now]
    opening = desk["next_opening"]
    return {
        "serving": serving,
        "counters": [{"name": c.name, "open": c.is_open,
                      "until": c.closed_until.isoformat() if c.closed_until else None} for c in shown],
        "recent": recent,
        "reception": desk["reception"], "reception_reason": desk["reception_reason"],
        "next_opening": opening.isoformat() if opening else None,
        "closures": closures,
    }


# ---------------------------------------------------------------- events

def announce_queue(session, location: Location, day: date, *, now: datetime,
                   change: str = "update", ticket: Ticket | None = None, seq: int | None = None) -> dict:
    """Tell the place's displays that the queue changed (``change``: which move; the
    payload is ``queue_event``'s, enough to redraw the screen). ``seq``: the event
    number the caller's own statement took (services/issue.py), read before the payload."""
    session.flush()
    return announce(session, location, "queue",
                    queue_event(session, location, day, now=now, change=change, ticket=ticket), seq=seq)


def announce_call(session, ticket: Ticket, counter: Counter, recall: bool) -> dict:
    """Tell the place's displays to call ``ticket`` to ``counter`` (no names, ever)."""
    session.flush()
    return announce(session, ticket.location, "called",
                    called_event(session, ticket, counter, recall))


# ---------------------------------------------------------------- event payloads

def called_event(session, ticket: Ticket, counter: Counter, recall: bool) -> dict:
    """The payload of ``called`` (without ``seq``, which ``events.announce`` adds).

    ``number``, ``counter``, ``service``, ``recall`` as the contract names them, plus
    ``called_at`` and the waiting counts. With these a screen redraws everything a
    call changes: the number now at that counter (and at no other), the call on top of
    the recent list, one fewer waiting; a phone knows its number is called, and where.
    """
    return {
        "number": ticket.number, "counter": counter.name, "service": ticket.service.slug,
        "recall": recall,
        "called_at": ticket.called_at.isoformat(),
        "waiting": waiting_counts(session, ticket.location, ticket.business_date),
    }


def queue_event(session, location: Location, day: date, *, now: datetime, change: str,
                ticket: Ticket | None = None) -> dict:
    """The payload of ``queue``: ``waiting`` (the contract's), and what else changed.

    ``change`` names the move (``issue``, ``check_in``, ``start``, ``complete``,
    ``no_show``, ``cancel``, ``transfer``, ``prioritise``, ``counter``, ``closing``,
    ``closure`` (a closure of today made or taken back: the notices come with the lobby),
    ``reception`` (a walk-in turned away: 受付終了), ``resync``, ``update`` for any other);
    ``ticket`` (``{"number", "status"}``) is the ticket it moved, so its phone follows
    without asking. A move outside ``WAITING_ONLY`` may free, open or close a counter
    or take a call back (a transfer): the event then also carries the snapshot's
    ``serving``, ``counters``, ``recent`` and reception, whole (so 受付終了 reaches the
    screens at the latest with the next completion or counter change). An ``issue`` is a walk-in ticket
    put behind every other: nobody's place or estimated wait changes with it.
    """
    data = {"waiting": waiting_counts(session, location, day), "change": change}
    if ticket is not None:
        data["ticket"] = {"number": ticket.number, "status": ticket.status}
    if change not in WAITING_ONLY:
        data.update(get_lobby(session, location, day, now))
    return data

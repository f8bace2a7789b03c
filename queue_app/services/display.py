"""What the lobby screens may show: ticket numbers and counters, never names."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..models import BAND_PRIORITY, BAND_RESERVATION, BAND_WALK_IN, Location, Ticket

_BAND_NAMES = {BAND_PRIORITY: "priority", BAND_RESERVATION: "reservation", BAND_WALK_IN: "walk_in"}


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

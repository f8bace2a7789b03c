"""Realtime events of a place, numbered by its ``seq`` and published after commit.

``announce`` bumps the place's ``seq`` in the caller's transaction and remembers the
event on the session; the event is emitted only when that transaction commits, and
dropped if it rolls back. So a display never sees a change that did not happen, and
because the bump is a row update in the same transaction, two processes can never
hand out the same ``seq`` (gap-free across processes).
"""
from __future__ import annotations

import logging

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from .models import Location

log = logging.getLogger(__name__)
NAMESPACE = "/display"
_PENDING = "pending_events"


def room_for(slug: str) -> str:
    return f"location:{slug}"


def bump_seq(session, location_id: int) -> int:
    """Raise the place's seq by one, inside the caller's transaction; return it."""
    return session.execute(
        update(Location).where(Location.id == location_id)
        .values(seq=Location.seq + 1).returning(Location.seq)
        .execution_options(synchronize_session=False)).scalar_one()


def announce(session, location: Location, name: str, payload: dict) -> dict:
    """Queue event ``name`` for the place's displays; it carries the next ``seq``."""
    data = {"seq": bump_seq(session, location.id), **payload}
    session.info.setdefault(_PENDING, []).append((room_for(location.slug), name, data))
    return data


def _publish(room: str, name: str, data: dict) -> None:
    from .extensions import socketio

    try:
        socketio.emit(name, data, namespace=NAMESPACE, to=room)
    except Exception:  # a broken broker must not fail a committed change
        log.exception("could not publish %s to %s", name, room)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    for room, name, data in session.info.pop(_PENDING, []):
        _publish(room, name, data)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)

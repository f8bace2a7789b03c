"""Realtime events of a place, numbered by its ``seq`` and published after commit.

``announce`` bumps the place's ``seq`` in the caller's transaction and keeps the event
in the session's outbox (``session.info``); the event is emitted only when that
transaction commits, and dropped if it rolls back. So a display never sees a change
that did not happen, and because the bump is a row update in the same transaction, two
processes can never hand out the same ``seq`` (gap-free across processes).

Nothing here listens on a global class. Each app registers its ``Publisher`` for its own
database engines (``realtime.init_realtime``); the first event of a session looks up
the publisher of the engine its transaction runs on and hooks the outbox to *that
session instance's* commit and rollback. Two apps in one process (the tests build
many) therefore never publish each other's events.
"""
from __future__ import annotations

import logging
import weakref
from typing import Callable

from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session

from .models import Location
from .services.rules_cache import VOLATILE

log = logging.getLogger(__name__)
NAMESPACE = "/display"
_OUTBOX = "display_event_outbox"

# engine -> the Publisher of the app that owns it. Weak both ways: the app holds its
# publisher and its engines, and may go (the tests build hundreds of apps).
_publishers: "weakref.WeakKeyDictionary[Engine, weakref.ref[Publisher]]" = weakref.WeakKeyDictionary()


def room_for(slug: str) -> str:
    return f"location:{slug}"


class Publisher:
    """How one app's committed events leave: ``emit`` is its Socket.IO server's emit."""

    def __init__(self, emit: Callable[..., object]):
        self._emit = emit
        self.published = 0  # events handed to Socket.IO by this app (benchmarks, tests)

    def publish(self, room: str, name: str, data: dict) -> None:
        try:
            self._emit(name, data, namespace=NAMESPACE, to=room)
            self.published += 1
        except Exception:  # a broken broker must not fail a committed change
            log.exception("could not publish %s to %s", name, room)


def register_publisher(engine: Engine, publisher: Publisher) -> None:
    """Events committed on ``engine`` leave through ``publisher`` (one app's)."""
    _publishers[engine] = weakref.ref(publisher)


def bump_seq(session, location_id: int) -> int:
    """Raise the place's seq by one, inside the caller's transaction; return it."""
    return session.execute(
        update(Location).where(Location.id == location_id)
        .values(seq=Location.seq + 1).returning(Location.seq)
        # No cached rule depends on seq: this write leaves the rules cache alone.
        .execution_options(synchronize_session=False, **{VOLATILE: True})).scalar_one()


def announce(session, location: Location, name: str, payload: dict, seq: int | None = None) -> dict:
    """Queue event ``name`` for the place's displays; it carries the next ``seq`` (or
    ``seq``, when the caller's statement has already raised it)."""
    data = {"seq": seq if seq is not None else bump_seq(session, location.id), **payload}
    _outbox(session).append((room_for(location.slug), name, data))
    return data


class _Outbox:
    """The events of one session's current transaction, and where they go on commit."""

    def __init__(self, publisher: Publisher):
        self.publisher = publisher
        self.events: list[tuple[str, str, dict]] = []

    def append(self, item: tuple[str, str, dict]) -> None:
        self.events.append(item)

    def after_commit(self, session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint released: the outer transaction may still roll back
        events, self.events = self.events, []
        for room, name, data in events:
            self.publisher.publish(room, name, data)

    def after_soft_rollback(self, _session, previous_transaction) -> None:
        if previous_transaction.parent is None:  # the whole transaction, not a savepoint
            self.events = []


def _outbox(session) -> _Outbox:
    """This session's outbox, hooked to its own commit and rollback on first use."""
    if isinstance(session, scoped_session):
        # Listening on the proxy would listen on its factory's class: every session.
        session = session()
    box = session.info.get(_OUTBOX)
    if box is None:
        engine = session.connection().engine  # bump_seq has begun the transaction
        ref = _publishers.get(engine)
        publisher = ref() if ref is not None else None
        if publisher is None:
            raise LookupError("no realtime publisher for this database: build the app with "
                              "create_app (realtime.init_realtime registers it)")
        box = session.info[_OUTBOX] = _Outbox(publisher)
        event.listen(session, "after_commit", box.after_commit)
        event.listen(session, "after_soft_rollback", box.after_soft_rollback)
    return box

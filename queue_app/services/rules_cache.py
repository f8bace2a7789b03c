"""A short-lived cache, per application, of what every booking reads and almost nothing
changes: a place's plan for a day (opening hours, windows, closures) and how many
residents one of its slots can take. It holds plain values (``calendar.Day``, numbers),
never rows or model instances.

Without it a booking spends most of its queries re-reading these. A change to
those tables committed through this app clears the cache at once (events on the app's
own engines, below). The plans and seats are also keyed by the place's
``calendar_version``, which every calendar change raises (calendar.py), so a change
committed by another process (a second worker, a command) is seen as soon as the place
is read again; the rest (the procedures a place offers, the estimate's rules) within
``CALENDAR_CACHE_SECONDS`` (0 switches the cache off).
"""
from __future__ import annotations

import threading
import time
import weakref
from typing import Callable, Hashable, TypeVar

from flask import Flask
from sqlalchemy import event, inspect
from sqlalchemy.sql.dml import UpdateBase

from ..models import CalendarWindow, Closure, Counter, Location, OpeningHours, Service, SlotCapacity, StaffedHour

T = TypeVar("T")

# What the cached values are computed from: places and procedures, opening hours,
# windows (and their procedures), closures, and counters (which procedures they serve,
# whether they take reservations, whether they are open) and the usual day's staffing.
SOURCE_MODELS = (Location, Service, OpeningHours, CalendarWindow, Closure, Counter, StaffedHour, SlotCapacity)
MAX_ENTRIES = 10_000  # days × places × procedures stay far below; a bound all the same


class RulesCache:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value of ``key``, or ``load()``'s, kept for next time."""
        if self.seconds <= 0:
            return load()
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]  # type: ignore[return-value]
        generation = self._generation
        value = load()
        with self._lock:
            # A change committed while we loaded may not be in ``value``: don't keep it.
            if generation == self._generation:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries = {}
                self._entries[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries = {}


def init_app(app: Flask) -> None:
    """Give the app its cache, cleared by writes committed on the app's own engines."""
    from ..extensions import db

    cache = app.extensions["rules_cache"] = RulesCache(app.config["CALENDAR_CACHE_SECONDS"])
    with app.app_context():
        for engine in db.engines.values():
            _CACHES[engine] = cache
            _clear_on_commit(engine, cache)


# Each app's cache, found from the engine a session works on: services are given a
# session, never the app (and two apps in one process keep two caches).
_CACHES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def cached(session, key: Hashable, load: Callable[[], T]) -> T:
    """``load()`` through the cache of the app that ``session`` belongs to (straight
    through for a session of no app's engine)."""
    cache = _CACHES.get(session.get_bind())
    return cache.get(key, load) if cache is not None else load()


# ---------------------------------------------------------------- invalidation

# An execution option for a write to a source table that no cached value depends on
# (events.bump_seq raises a place's event number with every call).
VOLATILE = "volatile"
_CHANGED = "rules_cache_source_changed"


def _source_tables() -> frozenset:
    """The tables of SOURCE_MODELS and of their many-to-many links (a counter's procedures)."""
    tables = set()
    for model in SOURCE_MODELS:
        mapper = inspect(model)
        tables.update(mapper.tables)
        tables.update(rel.secondary for rel in mapper.relationships if rel.secondary is not None)
    return frozenset(tables)


def _clear_on_commit(engine, cache: RulesCache) -> None:
    """Listen on one app's engine (never on a global class): a transaction that wrote a
    source table marks its connection; when the connection comes back to the pool after
    its commit (the session hands it back at once) the cache is cleared. A rollback of
    the whole transaction clears it too: while it ran, its own reads may have cached
    what it wrote under the calendar version it raised (calendar.py), a number another
    change may commit later with other rules. A savepoint rolled back keeps the mark:
    what was written before the savepoint may still be committed (clearing too often is
    safe)."""
    sources = _source_tables()

    def note_write(conn, statement, _multiparams, _params, execution_options, _result):
        if (isinstance(statement, UpdateBase) and statement.table in sources
                and not execution_options.get(VOLATILE)):
            conn.info[_CHANGED] = True

    def forget(conn):
        # (A lost connection has no info to read, and is dropped.)
        if not conn.invalidated and conn.info.pop(_CHANGED, False):
            cache.clear()

    def clear_if_changed(_dbapi_connection, record):
        if record.info.pop(_CHANGED, False):
            cache.clear()

    event.listen(engine, "after_execute", note_write)
    event.listen(engine, "rollback", forget)
    event.listen(engine, "checkin", clear_if_changed)

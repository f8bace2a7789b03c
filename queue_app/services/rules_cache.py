"""A short-lived cache, per application, of what every booking reads and almost nothing
changes: the place and the procedure, a place's plan for a day (opening hours, windows,
closures) and how many residents one of its slots can take.

Without it a booking spends most of its queries re-reading these. A change to
those tables committed through this process clears the cache at once (the session
events below); a change committed by another process (a second worker, a command) is
seen within ``CALENDAR_CACHE_SECONDS`` (0 switches the cache off). Calendar changes are
made days ahead, so the delay is harmless, with one lasting trace: a slot's capacity is
fixed by its first booking (booking._take_seat), from the count that process knew.
"""
from __future__ import annotations

import collections
import functools
import itertools
import threading
import time
from typing import Callable, Hashable, TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..models import CalendarWindow, Closure, Counter, Location, OpeningHours, Service

T = TypeVar("T")

# What the cached values are computed from: places and procedures, opening hours,
# windows (and their procedures), closures, and counters (which procedures they serve,
# whether they take reservations).
SOURCE_MODELS = (Location, Service, OpeningHours, CalendarWindow, Closure, Counter)
# Columns that change all day and never come from the cache: a place's event number is
# bumped by every call (events.py).
VOLATILE_COLUMNS = frozenset({"seq"})
MAX_ENTRIES = 10_000  # days × places × procedures stay far below; a bound all the same
_CHANGED = "rules_cache_source_changed"


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
    app.extensions["rules_cache"] = RulesCache(app.config["CALENDAR_CACHE_SECONDS"])


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """``load()`` through the current application's cache (straight through without one)."""
    cache = current_app.extensions.get("rules_cache") if has_app_context() else None
    return cache.get(key, load) if cache is not None else load()


@functools.cache
def _row_type(model) -> type:
    keys = [attr.key for attr in inspect(model).column_attrs if attr.key not in VOLATILE_COLUMNS]
    return collections.namedtuple(f"{model.__name__}Row", keys)


def snapshot(instance) -> tuple:
    """A loaded row as what the cache keeps and hands out: a read-only record of its
    columns but the volatile ones (``place.seq`` raises AttributeError, never a stale
    number). Records are shared by every request of the process and belong to no
    session, so reading one costs no more than reading a tuple."""
    row_type = _row_type(type(instance))
    return row_type(*(getattr(instance, key) for key in row_type._fields))


@event.listens_for(Session, "after_flush")
def _note_source_change(session, _flush_context) -> None:
    # new/dirty/deleted still hold what this flush wrote.
    if any(isinstance(obj, SOURCE_MODELS)
           for obj in itertools.chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _clear_after_change(session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        cache = current_app.extensions.get("rules_cache")
        if cache is not None:
            cache.clear()


@event.listens_for(Session, "after_soft_rollback")
def _forget_change(session, previous_transaction) -> None:
    # Only the whole transaction: a savepoint rolled back leaves what was flushed
    # before it, and that may still be committed.
    if previous_transaction.parent is None:
        session.info.pop(_CHANGED, None)

"""Socket.IO: the ``/display`` namespace that lobby screens and residents' phones watch.

A client connects with ``auth={"location": "<slug>"}`` (a display device may add its
``"token"``), joins the place's room and receives a ``snapshot``. After that it hears
the place's ``called`` and ``queue`` events, which ``events.announce`` numbers with the
place's ``seq`` and publishes only after commit; each event carries what changed, so a
client redraws from it alone. A client that sees a gap in ``seq``, or reconnects, emits
``resync`` and receives a fresh ``snapshot``.

The room is joined BEFORE the snapshot is read, so no event can fall between the two:
an event is either inside the snapshot (``seq`` <= the snapshot's, the client drops
it) or arrives after it. The snapshot is read in one database snapshot (REPEATABLE
READ on PostgreSQL, a deferred read transaction in WAL mode on SQLite) so that its
``seq`` and its state describe the same commit.

**Snapshots are bounded.** A place's snapshot is kept (``SnapshotCache``) and handed out
again while the place's ``seq`` has not moved: a crowd of screens reconnecting after a
restart costs one build per place, plus one indexed read of ``seq`` each. And each
client gets at most one answer to ``resync`` per ``DISPLAY_RESYNC_SECONDS``
(``ResyncLimiter``): asking again sooner is answered once, at the end of that
interval, so a client stuck in a loop cannot make the server build snapshots in one.
A ``resync`` that carries the client's ``seq`` (the page's slow safety check) is
answered only if the place has moved past it.

Everything here belongs to one app: ``init_realtime`` gives each app its own Socket.IO
server, namespace, snapshot cache and event publisher (registered for the app's own
database engines, see events.py), so two apps in one process share nothing.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass

import click
from flask import Flask, current_app, request
from flask.cli import with_appcontext
from flask_socketio import (ConnectionRefusedError, Namespace, SocketIO, disconnect, emit,
                            join_room, rooms)
from sqlalchemy import event as sa_event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import scoped_session

from . import clock, events
from .config import TOKYO
from .extensions import db, write_intent
from .message_queue import client_manager
from .services import display, places
from .services.errors import UnknownPlace

log = logging.getLogger(__name__)
_ROOM_PREFIX = events.room_for("")
# Defaults of the two bounds above (app config keys of the same name override them).
DISPLAY_RESYNC_SECONDS = 2.0
DISPLAY_SNAPSHOT_CACHE_SECONDS = 5.0


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("socket"))


def init_realtime(app: Flask) -> None:
    """Give the app its own Socket.IO server on ``/display`` (with the message queue when
    there are several processes), its snapshot cache, and the publisher of its events."""
    mode = app.config["SOCKETIO_ASYNC_MODE"]
    if mode == "threading" and _gevent_patched():
        # Under gunicorn's gevent worker threads are greenlets: use the matching driver.
        mode = "gevent"
    server = SocketIO()
    realtime = Realtime(app, server)
    server.on_namespace(DisplayNamespace(events.NAMESPACE, realtime))
    server.init_app(app, async_mode=mode, client_manager=client_manager(app),
                    # A display notices a silent network drop within ~25 s, not 45.
                    ping_interval=15, ping_timeout=10,
                    # Socket handlers never touch the Flask session (no cookies needed).
                    manage_session=False,
                    logger=False, engineio_logger=False)
    app.extensions["realtime"] = realtime  # (app.extensions["socketio"] is the server)
    with app.app_context():
        for engine in db.engines.values():
            events.register_publisher(engine, realtime.publisher)
    app.cli.add_command(announce_resync_command)


class Realtime:
    """One app's realtime parts: its Socket.IO server, publisher, cache and limiter."""

    def __init__(self, app: Flask, server: SocketIO):
        self.app = app
        self.server = server
        self.publisher = events.Publisher(server.emit)
        self.snapshots = SnapshotCache(
            app, app.config.get("DISPLAY_SNAPSHOT_CACHE_SECONDS", DISPLAY_SNAPSHOT_CACHE_SECONDS))
        self.resyncs = ResyncLimiter(app.config.get("DISPLAY_RESYNC_SECONDS", DISPLAY_RESYNC_SECONDS))
        self.devices = ConnectedDevices()

    def drop_device(self, device_id: int) -> None:
        """A revoked display: told (``revoked``) and disconnected at once here; told
        through the message queue in the other processes, where the page then closes
        its own connection (and could not reconnect: its token is refused)."""
        sids = self.devices.sids_of(device_id)
        sio = self.server.server
        for sid in sids:
            try:
                # Straight to the socket, ahead of the disconnect (not via the queue,
                # which could deliver it after the connection is gone).
                sio.emit("revoked", {"reason": "revoked"}, to=sid, namespace=events.NAMESPACE,
                         ignore_queue=True)
                sio.disconnect(sid, namespace=events.NAMESPACE, ignore_queue=True)
            except Exception:  # noqa: BLE001 — gone meanwhile: nothing left to drop
                log.warning("could not disconnect a revoked display", exc_info=True)
        if self.app.config.get("SOCKETIO_MESSAGE_QUEUE"):
            try:
                self.server.emit("revoked", {"reason": "revoked"}, namespace=events.NAMESPACE,
                                 to=device_room(device_id))
            except Exception:  # noqa: BLE001 — a broken broker must not fail a committed change
                log.exception("could not tell the other processes that a device is revoked")


class ConnectedDevices:
    """Which device tokens are connected to this process now (the back office's
    "online" column), by Socket.IO session."""

    def __init__(self):
        self._by_sid: dict[str, int] = {}
        self._lock = threading.Lock()

    def connected(self, device_id: int, sid: str) -> None:
        with self._lock:
            self._by_sid[sid] = device_id

    def gone(self, sid: str) -> None:
        with self._lock:
            self._by_sid.pop(sid, None)

    def sids_of(self, device_id: int) -> list[str]:
        with self._lock:
            return [sid for sid, device in self._by_sid.items() if device == device_id]

    def online(self) -> set[int]:
        with self._lock:
            return set(self._by_sid.values())


def online_device_ids(app: Flask) -> set[int]:
    """The devices connected to this process's Socket.IO now."""
    realtime = app.extensions.get("realtime")
    return realtime.devices.online() if realtime is not None else set()


_DROP_AFTER_COMMIT = "revoked_devices_after_commit"


def drop_device_after_commit(session, device_id: int) -> None:
    """Disconnect the device's displays once the transaction that revoked it commits
    (before that, a reconnecting screen would still be let in; after a rollback it
    stays connected)."""
    if isinstance(session, scoped_session):
        session = session()  # listen on this session, never on the proxy's class
    pending = session.info.get(_DROP_AFTER_COMMIT)
    if pending is None:
        pending = session.info[_DROP_AFTER_COMMIT] = []
        app = current_app._get_current_object()

        def after_commit(committed):
            if committed.in_nested_transaction():
                return
            ids, pending[:] = list(pending), []
            for revoked in ids:
                app.extensions["realtime"].drop_device(revoked)

        def after_soft_rollback(_session, previous_transaction):
            if previous_transaction.parent is None:
                pending.clear()

        sa_event.listen(session, "after_commit", after_commit)
        sa_event.listen(session, "after_soft_rollback", after_soft_rollback)
    pending.append(device_id)


# ---------------------------------------------------------------- snapshots

@dataclass
class _Kept:
    seq: int
    day: object
    until: float
    snapshot: dict


class SnapshotCache:
    """Each place's last snapshot, handed out again while the place's ``seq`` (read
    anew, in the same database snapshot) has not moved, for at most ``max_age`` seconds
    (a change that bumps no ``seq``, such as renaming a counter, shows within that).
    One build per place at a time: a crowd of connections waits for it, then shares it."""

    def __init__(self, app: Flask, max_age: float):
        self.app = app
        self.max_age = max_age
        self.built = 0    # snapshots read from the database
        self.reused = 0   # snapshots handed out again
        self._kept: dict[str, _Kept] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def read(self, slug: str) -> dict | None:
        """The place's snapshot now; None for an unknown place. Needs an app context."""
        with self._guard:
            lock = self._locks.setdefault(slug, threading.Lock())
        got = lock.acquire(timeout=10)  # never stuck behind a hung read: read alone then
        try:
            return self._read(slug)
        finally:
            if got:
                lock.release()

    def _read(self, slug: str) -> dict | None:
        reset = write_intent.set(False)  # a read: SQLite may start a deferred transaction
        session = db.session
        try:
            if session.get_bind().dialect.name == "postgresql":
                # READ COMMITTED would let a commit land between reading seq and the tickets.
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            seq = display.get_seq(session, slug)
            if seq is None:
                return None
            now = self.app.config["CLOCK"]()
            day = now.astimezone(TOKYO).date()
            kept = self._kept.get(slug)
            if kept is not None and (kept.seq, kept.day) == (seq, day) and time.monotonic() < kept.until:
                self.reused += 1
                return kept.snapshot
            snapshot = display.get_snapshot(session, places.get_location(session, slug), day, now)
            self.built += 1
            if self.max_age > 0:
                self._kept[slug] = _Kept(snapshot["seq"], day, time.monotonic() + self.max_age, snapshot)
            return snapshot
        finally:
            session.rollback()  # end the read transaction; nothing was written
            write_intent.reset(reset)


class ResyncLimiter:
    """At most one answer to ``resync`` per client every ``interval`` seconds.

    ``ask`` says when to answer: 0.0 at once; a delay when the client asked too soon
    (one answer is then sent at the end of its interval, however often it asks
    meanwhile); None when nothing more is to be sent (one is already on its way, or a
    safety check came too soon: it is dropped)."""

    def __init__(self, interval: float):
        self.interval = interval
        self._clients: dict[str, list] = {}  # sid -> [last answer (monotonic), one pending]
        self._lock = threading.Lock()

    def ask(self, sid: str, defer: bool = True) -> float | None:
        now = time.monotonic()
        with self._lock:
            client = self._clients.setdefault(sid, [float("-inf"), False])
            if client[1]:
                return None
            wait = client[0] + self.interval - now
            if wait <= 0:
                client[0] = now
                return 0.0
            if not defer:
                return None
            client[1] = True
            return wait

    def answered(self, sid: str) -> bool:
        """A snapshot went (on connection, or a deferred one); False if the client left."""
        with self._lock:
            client = self._clients.get(sid)
            if client is None:
                return False
            client[:] = [time.monotonic(), False]
            return True

    def connected(self, sid: str) -> None:
        with self._lock:
            self._clients[sid] = [time.monotonic(), False]

    def forget(self, sid: str) -> None:
        with self._lock:
            self._clients.pop(sid, None)


# ---------------------------------------------------------------- the namespace

def _check_device(slug: str, token) -> tuple[int, bool] | None:
    """A display's token, when given, must be a live display of this place (a kiosk's
    token is a credential for check-ins, not for a screen). The device's id, and
    whether its last-seen mark is due (``accounts.touch_device``); None if refused."""
    from .services.accounts import SEEN_EVERY, device_for_token

    if not isinstance(token, str) or not token:
        return None
    reset = write_intent.set(False)
    try:
        device = device_for_token(db.session, token)
        if device is None or device.kind != "display" or device.location.slug != slug:
            return None
        now = clock.now()
        return device.id, device.last_seen_at is None or device.last_seen_at <= now - SEEN_EVERY
    finally:
        db.session.rollback()
        write_intent.reset(reset)


def _mark_seen(device_id: int) -> None:
    """The display connected: its last-seen mark, in a short write of its own (at most
    once in SEEN_EVERY, so a crowd of screens reconnecting costs few writes)."""
    from .models import Device
    from .services.accounts import touch_device

    reset = write_intent.set(True)
    try:
        device = db.session.get(Device, device_id)
        if device is not None and touch_device(db.session, device, clock.now()):
            db.session.commit()
        else:
            db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not mark display %s as seen", device_id)  # the screen works on
    finally:
        write_intent.reset(reset)


def device_room(device_id: int) -> str:
    return f"device:{device_id}"


def _room_location() -> str | None:
    for room in rooms():
        if isinstance(room, str) and room.startswith(_ROOM_PREFIX):
            return room[len(_ROOM_PREFIX):]
    return None


def _place_moved(slug: str, since: int) -> bool:
    """Has the place's ``seq`` moved away from ``since`` (an unknown place: yes)?"""
    reset = write_intent.set(False)
    try:
        return display.get_seq(db.session, slug) != since
    finally:
        db.session.rollback()
        write_intent.reset(reset)


class DisplayNamespace(Namespace):
    """``/display``: snapshot on connect, ``resync`` on demand (bounded per client);
    the events come from events.py."""

    def __init__(self, namespace: str, realtime: Realtime):
        super().__init__(namespace)
        self.realtime = realtime

    def on_connect(self, auth=None):
        slug = auth.get("location") if isinstance(auth, dict) else None
        if not isinstance(slug, str) or not slug:
            raise ConnectionRefusedError("location_required")
        reset = write_intent.set(False)  # only reads here: SQLite takes no write lock
        device = None
        try:
            places.get_location(db.session, slug)
            if "token" in auth:
                device = _check_device(slug, auth["token"])
            trusted = "token" not in auth or device is not None
        except UnknownPlace:
            raise ConnectionRefusedError("unknown_location") from None
        except SQLAlchemyError:
            # The database is away: refusing would stop the browser from retrying,
            # so accept, join, and let the client's resync fetch the snapshot later.
            log.exception("display connect for %s without a database check", slug)
            join_room(events.room_for(slug))
            return True
        finally:
            db.session.rollback()
            write_intent.reset(reset)
        if not trusted:
            # The page reads this reason and says the screen needs setting up.
            raise ConnectionRefusedError("invalid_token")
        if device is not None:
            device_id, due = device
            join_room(device_room(device_id))  # revoking it reaches every process
            self.realtime.devices.connected(device_id, request.sid)
            if due:
                _mark_seen(device_id)
        join_room(events.room_for(slug))  # before reading: no event can fall in between
        self.realtime.resyncs.connected(request.sid)
        self._send_snapshot(slug)
        return True

    def on_disconnect(self, *_reason):
        self.realtime.resyncs.forget(request.sid)
        self.realtime.devices.gone(request.sid)

    def on_resync(self, data=None):
        """The client saw a gap or came back (or, with ``{"seq"}``, checks it missed
        nothing): send it a fresh snapshot, at most one per interval."""
        slug = _room_location()
        if slug is None:
            disconnect()
            return
        since = data.get("seq") if isinstance(data, dict) else None
        check = isinstance(since, int) and not isinstance(since, bool)
        wait = self.realtime.resyncs.ask(request.sid, defer=not check)
        if wait is None:
            return
        if wait > 0:
            self.realtime.server.start_background_task(self._send_later, request.sid, slug, wait)
            return
        try:
            if check and not _place_moved(slug, since):
                return
        except SQLAlchemyError:
            log.exception("could not read the seq of %s", slug)
            return
        self._send_snapshot(slug)

    def _send_snapshot(self, slug: str) -> None:
        try:
            snapshot = self.realtime.snapshots.read(slug)
        except SQLAlchemyError:
            log.exception("could not read the snapshot of %s", slug)
            return  # the client keeps its data and asks again on its timer
        if snapshot is None:
            disconnect()
            return
        emit("snapshot", snapshot)

    def _send_later(self, sid: str, slug: str, wait: float) -> None:
        """The one answer to a client that asked too soon, at the end of its interval."""
        realtime = self.realtime
        realtime.server.sleep(wait)
        with realtime.app.app_context():
            if not realtime.resyncs.answered(sid):
                return  # gone meanwhile
            try:
                snapshot = realtime.snapshots.read(slug)
            except SQLAlchemyError:
                log.exception("could not read the snapshot of %s", slug)
                return
            if snapshot is not None:
                realtime.server.emit("snapshot", snapshot, namespace=events.NAMESPACE, to=sid)


@click.command("announce-resync")
@click.argument("location")
@with_appcontext
def announce_resync_command(location):
    """Tell the displays of LOCATION to fetch a fresh snapshot (e.g. after editing counters)."""
    try:
        place = places.get_location(db.session, location)
    except UnknownPlace:
        raise click.ClickException(f"unknown location {location!r}") from None
    now = clock.now()
    day = now.astimezone(TOKYO).date()
    data = events.announce(db.session, place, "queue",
                           {**display.queue_event(db.session, place, day, now=now, change="resync"),
                            "resync": True})
    db.session.commit()  # the event goes out now, through the message queue
    if not current_app.config.get("SOCKETIO_MESSAGE_QUEUE"):
        click.echo("warning: SOCKETIO_MESSAGE_QUEUE is not set, so no server process hears this",
                   err=True)
    click.echo(f"announced resync to {location} (seq {data['seq']})")

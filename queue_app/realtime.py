"""Socket.IO: the ``/display`` namespace that lobby screens and residents' phones watch.

A client connects with ``auth={"location": "<slug>"}`` (a display device may add its
``"token"``), joins the place's room and receives a ``snapshot``. After that it hears
the place's ``called`` and ``queue`` events, which ``events.announce`` numbers with the
place's ``seq`` and publishes only after commit. A client that sees a gap in ``seq``,
or reconnects, emits ``resync`` and receives a fresh ``snapshot``.

The room is joined BEFORE the snapshot is read, so no event can fall between the two:
an event is either inside the snapshot (``seq`` <= the snapshot's, the client drops
it) or arrives after it. The snapshot is read in one database snapshot (REPEATABLE
READ on PostgreSQL, a deferred read transaction in WAL mode on SQLite) so that its
``seq`` and its state describe the same commit.
"""
from __future__ import annotations

import collections
import logging
import sys
import threading
import time

import click
import socketio as python_socketio
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_socketio import ConnectionRefusedError, Namespace, disconnect, emit, join_room, rooms
from sqlalchemy.exc import SQLAlchemyError

from . import events
from .config import TOKYO
from .extensions import db, socketio, write_intent
from .services import display

log = logging.getLogger(__name__)
_ROOM_PREFIX = events.room_for("")


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("socket"))


class RetryingRedisManager(python_socketio.RedisManager):
    """The Redis message queue, without losing what is published while Redis is away.

    python-socketio hands an event to this process's own screens at once, then publishes
    it for the other processes: it tries twice and then drops it with a log line, so a
    call made during a Redis restart would reach no screen of another process until the
    next change. Here a failed publish is kept, in order, with every later one behind
    it, and a background task publishes them as soon as Redis takes them again. The
    other processes' listeners come back on their own back-off, so after an outage the
    task waits (up to ``RESUBSCRIBE_WAIT``) until Redis counts at least one subscriber;
    a process whose listener takes longer catches up with its screens' resync timer.
    At most ``MAX_PENDING`` events are kept: beyond that the oldest go, and the screens
    see a gap in ``seq`` and ask for a snapshot.
    """

    RETRY_SECONDS = 0.5
    RESUBSCRIBE_WAIT = 15.0
    MAX_PENDING = 1000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending: collections.deque = collections.deque(maxlen=self.MAX_PENDING)
        self._pending_lock = threading.Lock()
        self._retrying = False

    def _publish(self, data):
        with self._pending_lock:
            if self._pending:  # keep the order: behind what is still waiting
                self._pending.append(data)
                return None
        if self._publish_once(data) is not None:
            return None
        with self._pending_lock:
            self._pending.append(data)
            start = not self._retrying
            self._retrying = True
        if start:
            self.server.start_background_task(self._publish_pending)
        return None

    def _publish_once(self, data) -> int | None:
        """One try: how many subscribers Redis handed it to, or None when it failed."""
        try:
            if not self.connected:
                self._redis_connect()
            return self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as error:  # noqa: BLE001 — any broker failure means "later"
            self.connected = False
            log.warning("message queue unavailable, event kept for later: %s", type(error).__name__)
            return None

    def _publish_pending(self) -> None:
        back_since = None  # when Redis first answered again
        while True:
            self.server.sleep(self.RETRY_SECONDS)
            with self._pending_lock:
                if not self._pending:
                    self._retrying = False
                    return
            subscribers = self.redis_subscribers()
            if subscribers is None:
                back_since = None
                continue
            back_since = back_since or time.monotonic()
            own = 1 if getattr(self, "thread", None) is not None else 0  # our own listener
            if subscribers <= own and time.monotonic() - back_since < self.RESUBSCRIBE_WAIT:
                continue  # the other processes' listeners are not back yet
            self._flush_pending()

    def _flush_pending(self) -> None:
        """Publish everything kept, in order; stop at the first failure."""
        while True:
            with self._pending_lock:
                if not self._pending:
                    return
                data = self._pending[0]
            if self._publish_once(data) is None:
                return
            with self._pending_lock:
                if self._pending and self._pending[0] is data:
                    self._pending.popleft()

    def redis_subscribers(self) -> int | None:
        """How many listeners Redis has on our channel now (None: Redis is still away)."""
        try:
            if not self.connected:
                self._redis_connect()
            return dict(self.redis.pubsub_numsub(self.channel)).get(
                self.channel.encode() if isinstance(self.channel, str) else self.channel, 0)
        except Exception:  # noqa: BLE001
            self.connected = False
            return None


def _client_manager(app: Flask):
    """The Redis message queue when several processes share the events, else None (one
    process). Passed explicitly, so no app inherits another app's queue."""
    url = app.config["SOCKETIO_MESSAGE_QUEUE"]
    if not url:
        return None
    if not url.startswith(("redis://", "rediss://")):
        raise ValueError("SOCKETIO_MESSAGE_QUEUE must be a redis:// or rediss:// URL")
    return RetryingRedisManager(url, channel=app.config.get("SOCKETIO_CHANNEL", "flask-socketio"),
                                write_only=False)


def init_realtime(app: Flask) -> None:
    """Bind Socket.IO to the app (with the message queue when there are several processes)."""
    mode = app.config["SOCKETIO_ASYNC_MODE"]
    if mode == "threading" and _gevent_patched():
        # Under gunicorn's gevent worker threads are greenlets: use the matching driver.
        mode = "gevent"
    socketio.init_app(app, async_mode=mode, client_manager=_client_manager(app),
                      # A display notices a silent network drop within ~25 s, not 45.
                      ping_interval=15, ping_timeout=10,
                      # Socket handlers never touch the Flask session (no cookies needed).
                      manage_session=False,
                      logger=False, engineio_logger=False)
    app.cli.add_command(announce_resync_command)


def read_snapshot(slug: str) -> dict | None:
    """The place's snapshot read in one database snapshot; None for an unknown place."""
    reset = write_intent.set(False)  # a read: SQLite may start a deferred transaction
    session = db.session
    try:
        if session.get_bind().dialect.name == "postgresql":
            # READ COMMITTED would let a commit land between reading seq and the tickets.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        location = display.get_location(session, slug)
        if location is None:
            return None
        day = current_app.config["CLOCK"]().astimezone(TOKYO).date()
        return display.get_snapshot(session, location, day)
    finally:
        session.rollback()  # end the read transaction; nothing was written
        write_intent.reset(reset)


def _check_device(slug: str, token) -> bool:
    """A display's token, when given, must be a live display of this place (a kiosk's
    token is a credential for check-ins, not for a screen)."""
    from .services.accounts import device_for_token

    if not isinstance(token, str) or not token:
        return False
    reset = write_intent.set(False)
    try:
        device = device_for_token(db.session, token)
        return device is not None and device.kind == "display" and device.location.slug == slug
    finally:
        db.session.rollback()
        write_intent.reset(reset)


def _room_location() -> str | None:
    for room in rooms():
        if isinstance(room, str) and room.startswith(_ROOM_PREFIX):
            return room[len(_ROOM_PREFIX):]
    return None


class DisplayNamespace(Namespace):
    """``/display``: snapshot on connect, ``resync`` on demand; events come from events.py."""

    def on_connect(self, auth=None):
        slug = auth.get("location") if isinstance(auth, dict) else None
        if not isinstance(slug, str) or not slug:
            raise ConnectionRefusedError("location_required")
        reset = write_intent.set(False)  # only reads here: SQLite takes no write lock
        try:
            known = display.get_location(db.session, slug) is not None
            trusted = "token" not in auth or _check_device(slug, auth["token"])
        except SQLAlchemyError:
            # The database is away: refusing would stop the browser from retrying,
            # so accept, join, and let the client's resync fetch the snapshot later.
            log.exception("display connect for %s without a database check", slug)
            join_room(events.room_for(slug))
            return True
        finally:
            db.session.rollback()
            write_intent.reset(reset)
        if not known:
            raise ConnectionRefusedError("unknown_location")
        if not trusted:
            raise ConnectionRefusedError("invalid_token")
        join_room(events.room_for(slug))  # before reading: no event can fall in between
        self._send_snapshot(slug)
        return True

    def on_resync(self, _data=None):
        """The client saw a gap or came back: send it a fresh snapshot."""
        slug = _room_location()
        if slug is None:
            disconnect()
            return
        self._send_snapshot(slug)

    @staticmethod
    def _send_snapshot(slug: str) -> None:
        try:
            snapshot = read_snapshot(slug)
        except SQLAlchemyError:
            log.exception("could not read the snapshot of %s", slug)
            return  # the client keeps its data and asks again on its timer
        if snapshot is None:
            disconnect()
            return
        emit("snapshot", snapshot)


socketio.on_namespace(DisplayNamespace(events.NAMESPACE))


@click.command("announce-resync")
@click.argument("location")
@with_appcontext
def announce_resync_command(location):
    """Tell the displays of LOCATION to fetch a fresh snapshot (e.g. after editing counters)."""
    place = display.get_location(db.session, location)
    if place is None:
        raise click.ClickException(f"unknown location {location!r}")
    day = current_app.config["CLOCK"]().astimezone(TOKYO).date()
    data = events.announce(db.session, place, "queue",
                           {"waiting": display.waiting_counts(db.session, place, day), "resync": True})
    db.session.commit()  # the event goes out now, through the message queue
    if not current_app.config.get("SOCKETIO_MESSAGE_QUEUE"):
        click.echo("warning: SOCKETIO_MESSAGE_QUEUE is not set, so no server process hears this",
                   err=True)
    click.echo(f"announced resync to {location} (seq {data['seq']})")

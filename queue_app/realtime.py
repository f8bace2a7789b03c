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

import logging
import sys

import click
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


def init_realtime(app: Flask) -> None:
    """Bind Socket.IO to the app (with the message queue when there are several processes)."""
    mode = app.config["SOCKETIO_ASYNC_MODE"]
    if mode == "threading" and _gevent_patched():
        # Under gunicorn's gevent worker threads are greenlets: use the matching driver.
        mode = "gevent"
    socketio.init_app(app, async_mode=mode,
                      message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
                      channel=app.config.get("SOCKETIO_CHANNEL", "flask-socketio"),
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
    """A display's token, when given, must be a live device of this place."""
    from .services.accounts import device_for_token

    if not isinstance(token, str) or not token:
        return False
    reset = write_intent.set(False)
    try:
        device = device_for_token(db.session, token)
        return device is not None and device.location.slug == slug
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

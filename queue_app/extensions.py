"""The Flask extensions, created unbound; ``create_app`` binds them to an app (Socket.IO
is not among them: each app gets its own server, see realtime.py).

The SQLite set-up lives here too, because it is part of how the one database
extension behaves: WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for
transactions that intend to write. A deferred SQLite transaction that reads and then
writes fails at once with "database is locked" when another writer got there first
(the busy timeout does not apply to that upgrade), so writers take the lock up front.
"""
from __future__ import annotations

import contextvars
import sqlite3
import threading

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from .problems import ProblemApi

# Named constraints, so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Objects stay readable after the request's one commit (serialising a response must not
# open a second transaction, which on SQLite would queue for the write lock again).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
api = ProblemApi()

# False while serving a read-only request (GET/HEAD/OPTIONS): its SQLite transaction
# may then start deferred and run alongside a writer. Everything else (other
# requests, jobs, commands) starts with the write lock.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Writers of this process queue on a lock before asking SQLite for its write lock:
# SQLite's busy handler polls with sleeps of up to 100 ms, so threads that wait on
# the database itself wait far longer than the write takes. Other processes still
# meet the busy timeout.
_writer_locks: dict[str, threading.Lock] = {}
_writer_locks_guard = threading.Lock()
_HOLDS_WRITER = "holds_sqlite_writer_lock"
WRITER_WAIT_SECONDS = 30  # as the busy timeout: then "database is locked", never a hang


def _writer_lock(connection) -> threading.Lock:
    database = connection.engine.url.database or ":memory:"
    with _writer_locks_guard:
        return _writer_locks.setdefault(database, threading.Lock())


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    # Straight to the driver: every request that touches the database passes here, and
    # SQLAlchemy's statement machinery costs several times what SQLite takes for this.
    # (A failure here is sqlite3's own OperationalError, unwrapped: SQLAlchemy calls
    # this event outside its error handling either way; nothing catches either kind.)
    driver = connection.connection.driver_connection
    if not write_intent.get():
        driver.execute("BEGIN")
        return
    lock = _writer_lock(connection)
    if not lock.acquire(timeout=WRITER_WAIT_SECONDS):
        raise sqlite3.OperationalError("database is locked (waited for this process's writers)")
    connection.info[_HOLDS_WRITER] = lock
    try:
        driver.execute("BEGIN IMMEDIATE")
    except BaseException:
        _release_writer(connection)
        raise


def _release_writer(connection, *_args):
    if connection.dialect.name != "sqlite":
        return  # only SQLite writers take the lock (and an invalidated PostgreSQL
        # connection refuses even ``info``)
    lock = connection.info.pop(_HOLDS_WRITER, None)
    if lock is not None:
        lock.release()


event.listen(Engine, "commit", _release_writer)
event.listen(Engine, "rollback", _release_writer)

"""The Flask extensions, created unbound; ``create_app`` binds them to an app.

The SQLite set-up lives here too, because it is part of how the one database
extension behaves: WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for
transactions that intend to write. A deferred SQLite transaction that reads and then
writes fails at once with "database is locked" when another writer got there first
(the busy timeout does not apply to that upgrade), so writers take the lock up front.
"""
from __future__ import annotations

import contextvars
import sqlite3

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
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


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
socketio = SocketIO()
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


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")

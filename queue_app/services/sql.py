"""Small SQL helpers that differ between SQLite and PostgreSQL, and the driver-level
statements of the booking path.

Statements are built once per table and dialect and then run with parameters:
building a SQLAlchemy statement costs more than running it on SQLite (a SELECT by a
unique key: 24 µs built once, 60 µs built each time, 83 µs through the ORM).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_of(session) -> str:
    return session.get_bind().dialect.name


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # parameter names in order (SQLite's "?"); None: by name
    constants: dict  # values the statement binds itself (``booked=1``)
    processors: dict  # name -> SQLAlchemy's bind processor for its column type


class DriverStatement:
    """An INSERT run on the driver's own cursor, inside the connection's transaction:
    for the statements every booking sends (its seat, the reservation, the outbox
    message; every outbox message goes this way).

    ``build(insert)`` makes the statement from that dialect's INSERT construct (both have
    ON CONFLICT). SQLAlchemy compiles it once per dialect and set of parameter names, and
    its own bind processors turn each value into what Core would send (a TokyoDateTime
    into naive UTC, a datetime into SQLite's text…), so rows are stored exactly as
    through Core (tests/test_sql.py). What is skipped is SQLAlchemy's per-execution
    bookkeeping (execution context, result wrapping, statement events), which on this
    path costs more than the database's own work (README, "Booking rush"). What Core
    would work out at execution time is refused when compiling instead: a column left
    out that has a Python-side default, a missing value. Driver errors come out as
    SQLAlchemy's (``IntegrityError`` …), parameters hidden.
    """

    def __init__(self, build: Callable):
        self._build = build
        self._compiled: dict[tuple, _Compiled] = {}

    def execute(self, connection: Connection, params: dict) -> list[tuple]:
        """Run with ``params``; return the rows it returns (RETURNING), if any."""
        dialect = connection.dialect
        key = (type(dialect), dialect.paramstyle, *params)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(dialect, list(params))
        values = {**compiled.constants, **params}
        for name, process in compiled.processors.items():
            values[name] = process(values[name])
        arguments = [values[name] for name in compiled.order] if compiled.order is not None else values
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
            return cursor.fetchall() if cursor.description else []
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(compiled.sql, arguments, error, dialect.loaded_dbapi.Error,
                                      hide_parameters=True, dialect=dialect) from error
        finally:
            cursor.close()

    def _compile(self, dialect, names: list[str]) -> _Compiled:
        compiled = self._build(INSERTS[dialect.name]).compile(dialect=dialect, column_keys=names)
        if compiled.insert_prefetch:
            raise ValueError("give a value for each of " + ", ".join(
                column.name for column in compiled.insert_prefetch) + " (Core would fill in their defaults)")
        if compiled.escaped_bind_names or compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("a statement whose parameters Core rewrites at execution time")
        binds = {name: bind for bind, name in compiled.bind_names.items()}  # as named in the SQL
        missing = [name for name, bind in binds.items() if bind.required and name not in names]
        if missing:
            raise ValueError(f"no value for {', '.join(missing)}")
        processors = {}
        for name, bind in binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        constants = {name: bind.effective_value for name, bind in binds.items() if name not in names}
        order = tuple(compiled.positiontup) if compiled.positional else None
        return _Compiled(compiled.string, order, constants, processors)


@functools.cache
def _insert_ignore(table: Table, keys: tuple[str, ...]) -> DriverStatement:
    return DriverStatement(lambda insert: insert(table).on_conflict_do_nothing(index_elements=list(keys)))


def insert_ignore(session, model, values: dict, keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO NOTHING: create a row unless it already exists.
    ``session`` may be a session (its pending changes are flushed first, as
    ``session.execute`` would) or the connection the caller already holds."""
    if isinstance(session, Connection):
        connection = session
    else:
        if session.autoflush:
            session.flush()
        connection = session.connection()
    _insert_ignore(model.__table__, tuple(keys)).execute(connection, values)


@functools.cache
def _upsert_increment(table: Table, keys: tuple[str, ...], column: str, dialect: str):
    counted = table.c[column]
    return (INSERTS[dialect](table)
            .on_conflict_do_update(index_elements=list(keys), set_={column: counted + 1})
            .returning(counted))


def upsert_increment(session, model, values: dict, keys: list[str], column: str) -> int:
    """Insert ``values`` or add one to ``column`` of the existing row; return the new value.
    One statement, so two callers can never read the same number."""
    statement = _upsert_increment(model.__table__, tuple(keys), column, dialect_of(session))
    return session.execute(statement, values).scalar_one()

"""INSERT … ON CONFLICT, through the session, on SQLite and PostgreSQL alike.

Both dialects have ``ON CONFLICT``; only the construct's module differs. Every statement
runs with ``session.execute``: in the request's transaction, with SQLAlchemy's type
conversions and error wrapping, its pending changes flushed first. Statements on the
booking path are built once per dialect and given their values as parameters: building
a construct costs more than SQLite takes to run it.
"""
from __future__ import annotations

import functools

from sqlalchemy.dialects import postgresql, sqlite

INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_for(session):
    """The INSERT construct (with ``on_conflict_*``) of the session's database."""
    return INSERTS[dialect_of(session)]


def dialect_of(session) -> str:
    return session.get_bind().dialect.name


@functools.cache
def _insert_ignore(dialect: str, table, keys: tuple[str, ...]):
    return INSERTS[dialect](table).on_conflict_do_nothing(index_elements=list(keys))


def insert_ignore(session, model, values: dict, keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO NOTHING: create a row unless it already exists."""
    session.execute(_insert_ignore(dialect_of(session), model.__table__, tuple(keys)), values)


def upsert_increment(session, model, values: dict, keys: list[str], column: str) -> int:
    """Insert ``values`` or add one to ``column`` of the existing row; return the new value.
    One statement, so two callers can never read the same number."""
    table = model.__table__
    counted = table.c[column]
    statement = (insert_for(session)(table).values(**values)
                 .on_conflict_do_update(index_elements=keys, set_={column: counted + 1})
                 .returning(counted))
    return session.execute(statement).scalar_one()

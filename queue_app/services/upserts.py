"""INSERT … ON CONFLICT, through the session, on SQLite and PostgreSQL alike.

Both dialects have ``ON CONFLICT``; only the construct's module differs. Every statement
runs with ``session.execute``: in the request's transaction, with SQLAlchemy's type
conversions and error wrapping, its pending changes flushed first.
"""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_for(session):
    """The INSERT construct (with ``on_conflict_*``) of the session's database."""
    return _INSERTS[session.get_bind().dialect.name]


def insert_ignore(session, model, values: dict, keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO NOTHING: create a row unless it already exists."""
    session.execute(insert_for(session)(model).values(**values)
                    .on_conflict_do_nothing(index_elements=keys))


def upsert_increment(session, model, values: dict, keys: list[str], column: str) -> int:
    """Insert ``values`` or add one to ``column`` of the existing row; return the new value.
    One statement, so two callers can never read the same number."""
    table = model.__table__
    counted = table.c[column]
    statement = (insert_for(session)(table).values(**values)
                 .on_conflict_do_update(index_elements=keys, set_={column: counted + 1})
                 .returning(counted))
    return session.execute(statement).scalar_one()

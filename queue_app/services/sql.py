"""Small SQL helpers that differ between SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def _insert_for(session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def insert_ignore(session, model, values: dict, keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO NOTHING: create a row unless it already exists."""
    stmt = _insert_for(session)(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    session.execute(stmt)


def upsert_increment(session, model, values: dict, keys: list[str], column: str) -> int:
    """Insert ``values`` or add one to ``column`` of the existing row; return the new value.
    One statement, so two callers can never read the same number."""
    insert = _insert_for(session)(model).values(**values)
    col = getattr(model, column)
    stmt = insert.on_conflict_do_update(
        index_elements=keys, set_={column: col + 1}).returning(col)
    return session.execute(stmt).scalar_one()

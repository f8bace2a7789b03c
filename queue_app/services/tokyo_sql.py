"""The few SQL expressions whose spelling differs between PostgreSQL and SQLite, for the
queries that aggregate by Tokyo hour and day (reports, the forecast). Times are stored
as naive UTC (models/types.py)."""
from __future__ import annotations

from sqlalchemy import Date, DateTime, Integer, cast, func, literal_column

TOKYO_OFFSET = 9 * 3600  # seconds; Japan has kept UTC+9 all year since 1951


class TokyoSql:
    """The few expressions whose spelling differs between PostgreSQL and SQLite. Local
    time is UTC + 9 hours on both (``date_part`` on a shifted timestamp is several times
    cheaper on PostgreSQL than converting through ``AT TIME ZONE``, and exact for Tokyo)."""

    def __init__(self, session):
        self.postgresql = session.get_bind().dialect.name == "postgresql"

    def seconds(self, column):
        """Seconds since 1970 of a naive-UTC timestamp (or a date: its 00:00 UTC)."""
        if self.postgresql:
            # date_part answers a float; EXTRACT a numeric, much slower over 100,000 rows.
            return func.date_part("epoch", cast(column, DateTime))
        return (func.julianday(column) - 2440587.5) * 86400.0

    def minutes_between(self, start, end):
        if self.postgresql:
            return func.date_part("epoch", end - start) / 60.0
        return (func.julianday(end) - func.julianday(start)) * 1440.0

    def _tokyo(self, column):
        return column + literal_column("interval '9 hours'")

    def tokyo_hour(self, column):
        if self.postgresql:
            return cast(func.date_part("hour", self._tokyo(column)), Integer)
        return cast(func.strftime("%H", column, "+9 hours"), Integer)

    def tokyo_date(self, column):
        if self.postgresql:
            return cast(self._tokyo(column), Date)
        return func.date(column, "+9 hours")

    def whole(self, value):
        """The whole part of a value that is never negative (SQLite may lack floor())."""
        return cast(func.floor(value), Integer) if self.postgresql else cast(value, Integer)

    def least(self, *values):
        return func.least(*values) if self.postgresql else func.min(*values)

    def greatest(self, *values):
        return func.greatest(*values) if self.postgresql else func.max(*values)

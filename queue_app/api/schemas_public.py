"""Schemas of the public congestion and forecast answers (api/congestion.py)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..services.forecast import MAX_DAYS
from .schemas import _In, calendar_date


class StatusOut(Schema):
    location = fields.String()
    open = fields.Boolean(metadata={"description": "The counters are open now"})
    reception = fields.String(metadata={"enum": ["open", "reservation_only", "closed"]})
    reception_reason = fields.String(allow_none=True, metadata={
        "enum": ["closed", "reservation_only", "reception_closed", None],
        "description": "reception_closed is 受付終了: no more walk-ins today"})
    next_opening = fields.AwareDateTime(allow_none=True)
    waiting = fields.Integer()
    estimated_wait_minutes = fields.Integer(allow_none=True, metadata={
        "description": "What a walk-in taking a number now is told; null when reception is not open"})
    wait_bucket = fields.String(allow_none=True, metadata={
        "enum": ["none", "15", "30", "60", "over_60", None],
        "description": "The wait in the words of the page: none, about 15/30/60 minutes, over an hour"})
    serving = fields.List(fields.String(), metadata={"description": "Numbers called or being served now"})
    updated_at = fields.AwareDateTime()


class ForecastQuery(_In):
    from_ = calendar_date(data_key="from", load_default=None)
    days = fields.Integer(load_default=30, validate=validate.Range(1, MAX_DAYS))


class ForecastHourOut(Schema):
    start = fields.AwareDateTime()
    level = fields.String(metadata={"enum": ["quiet", "normal", "busy"]})
    expected = fields.Float(metadata={"description": "Residents expected in the hour"})


class ForecastDayOut(Schema):
    date = fields.Date()
    hours = fields.List(fields.Nested(ForecastHourOut))

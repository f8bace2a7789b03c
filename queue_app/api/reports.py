"""Reports for staff: a place's summary over a range of days (JSON and CSV) and its
tickets as CSV (services/reports.py computes; this parses, authorises and writes).

The CSV files are UTF-8 with a byte order mark, so Excel in Japan opens them as
UTF-8, and are streamed (a year of tickets is never held whole). Their headers, and
the words in them (kind, status, procedure), are Japanese with ``lang=ja`` and English
otherwise: a program reading the API gets the same English columns whatever its
cookies say, and the report page links with ``lang=ja`` when it is shown in Japanese.
Times are Tokyo local time (``YYYY-MM-DD HH:MM:SS``, which Excel reads as a time).
No name, contact or anything else about the resident is ever in them.
"""
from __future__ import annotations

import csv
import io

from flask import Response, stream_with_context
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import clock
from ..extensions import db
from ..services import reports
from .auth import staff_required
from .schemas import _In, calendar_date

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Reports (staff)")


# ---------------------------------------------------------------- schemas

class ReportQuery(_In):
    location = fields.String(required=True, validate=validate.Length(1, 40))
    from_ = calendar_date(required=True, data_key="from", metadata={"description": "First day, included"})
    to = calendar_date(required=True, metadata={"description": f"Last day, included; at most "
                                                               f"{reports.MAX_DAYS} days in all"})


class CsvQuery(ReportQuery):
    lang = fields.String(load_default="en", validate=validate.OneOf(["ja", "en"]),
                         metadata={"description": "Language of the headers and words: ja or en"})


class TicketCounts(Schema):
    reservation = fields.Integer()
    walk_in = fields.Integer()


class Percentiles(Schema):
    p50 = fields.Float(allow_none=True, metadata={"description": "Median, minutes"})
    p90 = fields.Float(allow_none=True, metadata={"description": "90th percentile, minutes"})


class Figures(Schema):
    tickets = fields.Nested(TicketCounts)
    wait_minutes = fields.Nested(Percentiles, metadata={"description": "Issued (checked in) → called"})
    walk_minutes = fields.Nested(Percentiles, metadata={"description": "Called → started"})
    service_minutes = fields.Nested(Percentiles, metadata={"description": "Started → finished"})
    no_show_rate = fields.Float(allow_none=True)
    slot_fill_rate = fields.Float(allow_none=True)
    turned_away = fields.Integer()
    counter_utilisation = fields.Float(allow_none=True)


class DayFigures(Figures):
    date = fields.Date()


class HourFigures(Figures):
    hour = fields.Integer(metadata={"description": "Hour of the day in Asia/Tokyo, 0-23"})


class ServiceFigures(Figures):
    service = fields.String()


class SummaryOut(Figures):
    location = fields.String()
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    by_day = fields.List(fields.Nested(DayFigures))
    by_hour = fields.List(fields.Nested(HourFigures))
    by_service = fields.List(fields.Nested(ServiceFigures))


# ---------------------------------------------------------------- routes

def _period(query) -> reports.Period:
    return reports.get_period(db.session, query["location"], query["from_"], query["to"])


@blp.get("/reports/summary")
@staff_required
@blp.arguments(ReportQuery(), location="query")
@blp.response(200, SummaryOut)
def get_summary(query):
    """A place's figures over a range of days: in all, by day, by hour and by procedure."""
    return reports.get_summary(db.session, _period(query), clock.now())


@blp.get("/reports/summary.csv")
@staff_required
@blp.arguments(CsvQuery(), location="query")
@blp.response(200, content_type="text/csv", description="One row per day, then the total")
def get_summary_csv(query):
    """The summary as CSV (UTF-8 with BOM): one row per day, then the total."""
    period = _period(query)
    summary = reports.get_summary(db.session, period, clock.now())
    words = WORDS[query["lang"]]
    rows = [SUMMARY_HEADERS[query["lang"]]]
    rows += [_summary_row(day["date"].isoformat(), day) for day in summary["by_day"]]
    rows.append(_summary_row(words["total"], summary))
    return _csv_response(iter([_csv_lines(rows)]), f"summary-{period.location.slug}", period)


@blp.get("/reports/tickets.csv")
@staff_required
@blp.arguments(CsvQuery(), location="query")
@blp.response(200, content_type="text/csv", description="One row per ticket; nothing about the resident")
def get_tickets_csv(query):
    """Every ticket of the range as CSV (UTF-8 with BOM), streamed; no names or contacts."""
    period = _period(query)
    lang = query["lang"]

    def generate():
        batch = [TICKET_HEADERS[lang]]
        for row in reports.iter_tickets(db.session, period):
            batch.append(_ticket_row(row, lang))
            if len(batch) >= 1000:
                yield _csv_lines(batch)
                batch = []
        if batch:
            yield _csv_lines(batch)

    return _csv_response(stream_with_context(generate()), f"tickets-{period.location.slug}", period)


# ---------------------------------------------------------------- CSV

TICKET_HEADERS = {
    "en": ["number", "kind", "procedure", "date", "issued", "called", "started", "finished", "status",
           "counter"],
    "ja": ["番号", "種別", "手続き", "日付", "発券・受付時刻", "呼出時刻", "応対開始時刻", "応対終了時刻", "状態",
           "窓口"],
}
SUMMARY_HEADERS = {
    "en": ["date", "reservations", "walk_ins", "wait_p50_min", "wait_p90_min", "walk_p50_min",
           "walk_p90_min", "service_p50_min", "service_p90_min", "no_show_rate", "slot_fill_rate",
           "turned_away", "counter_utilisation"],
    "ja": ["日付", "予約(件)", "予約なし(件)", "待ち時間 中央値(分)", "待ち時間 90%値(分)",
           "呼出から応対開始まで 中央値(分)", "呼出から応対開始まで 90%値(分)", "応対時間 中央値(分)",
           "応対時間 90%値(分)", "予約の無断キャンセル率", "予約枠の充足率", "受付終了によるお断り(件)",
           "窓口稼働率"],
}
WORDS = {
    "en": {"total": "total"},  # kinds and statuses stay the API's own words
    "ja": {"total": "合計", "reservation": "予約", "walk_in": "予約なし", "waiting": "待ち", "called": "呼出中",
           "serving": "応対中", "done": "完了", "no_show": "不在", "cancelled": "取消"},
}


def _csv_lines(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _csv_response(chunks, name: str, period: reports.Period) -> Response:
    def encoded():
        yield "\ufeff".encode("utf-8")  # the BOM: Excel then reads UTF-8
        for chunk in chunks:
            yield chunk.encode("utf-8")

    filename = f"{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(encoded(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _time(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def _ticket_row(row, lang: str) -> list:
    words = WORDS[lang]
    return [row.number, words.get(row.kind, row.kind),
            row.service_ja if lang == "ja" else row.service_en, row.business_date.isoformat(),
            _time(row.issued_at), _time(row.called_at), _time(row.started_at), _time(row.finished_at),
            words.get(row.status, row.status), row.counter or ""]


def _summary_row(label: str, figures: dict) -> list:
    def blank(value):
        return "" if value is None else value

    return [label, figures["tickets"]["reservation"], figures["tickets"]["walk_in"],
            *(blank(figures[f"{duration}_minutes"][name])
              for duration in reports.DURATIONS for name, _ in reports.PERCENTILES),
            blank(figures["no_show_rate"]), blank(figures["slot_fill_rate"]), figures["turned_away"],
            blank(figures["counter_utilisation"])]

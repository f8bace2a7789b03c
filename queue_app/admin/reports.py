"""The reports page, ``/admin/reports``: a place and a range of days (a GET form, so a
report is a link that can be shared or bookmarked), the summary, charts of the days
and of the hours (Chart.js, served from our origin), the tables, and links to the two
CSV downloads of the API. For staff and administrators signed in to the console.

The page is Japanese, or English with ``?lang=en`` (the console's staff read one of the
two; any other language chosen on the residents' site shows English). Like the rest of
the staff console its words live here, in ``TEXT``, not in the residents' catalogues:
those are translated into every residents' language, and a back-office page has two.
Its CSV links ask for Japanese headers when the page is Japanese. A print stylesheet
lays the page out for paper: no form, charts and tables at full width.
"""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import select

from ..api.auth import STAFF_ROLES
from ..api.schemas import FIRST_DAY, LAST_DAY
from .. import clock
from ..extensions import db
from ..models import Location, Service
from ..services import calendar, reports
from ..services.errors import Invalid
from ..web.vendor import NODE_MODULES
from .pages import page_locale, translator

bp = Blueprint("admin_reports", __name__, url_prefix="/admin/reports")

DEFAULT_DAYS = 30
CHART_JS = "chart.js/dist/chart.umd.min.js"

# The page's words: English (the key itself) and Japanese as the division writes them.
JA = {
    "Reports": "業務統計",
    "Back to the console": "窓口業務画面に戻る",
    "Other pages and languages": "他のページと表示言語",
    "Please correct the fields marked below.": "入力内容に誤りがあります。下記の項目をご確認ください。",
    "Place": "窓口",
    "From": "開始日",
    "To": "終了日",
    "Both days included; at most %(days)s days.": "開始日・終了日を含みます(最長%(days)s日間)。",
    "Show the report": "集計する",
    "Summary": "集計結果",
    "Download the summary by day (CSV)": "日別集計をダウンロード(CSV)",
    "Download the tickets (CSV)": "受付一覧をダウンロード(CSV)",
    "Print": "印刷",
    "Tickets": "受付件数",
    "Reservations": "予約",
    "Walk-ins": "予約なし",
    "Waiting (min)": "待ち時間(分)",
    "Walk to the counter (min)": "呼出から応対開始まで(分)",
    "Service (min)": "応対時間(分)",
    "Median": "中央値",
    "90th pct.": "90%値",
    "No-show rate": "予約の無断キャンセル率",
    "Slot fill rate": "予約枠の充足率",
    "Turned away": "受付終了によるお断り(件)",
    "Counter utilisation": "窓口稼働率",
    "Waiting runs from the ticket (or the check-in) to the call; the 90th percentile is the wait "
    "that 9 residents in 10 did not exceed. No-show rate: reservations nobody came for, among those "
    "not cancelled whose time has come. Slot fill rate: seats booked among the seats the calendar "
    "offered. Counter utilisation: serving time divided by the time the counters were open.":
        "待ち時間は発券(予約の方は受付)から呼出までの時間です。90%値は、10人のうち9人がその時間内に呼び出されたことを示します。"
        "予約の無断キャンセル率は、取消されず予約時刻を過ぎた予約のうち、来庁がなかったものの割合です。"
        "予約枠の充足率は、受付カレンダーで提供した予約枠のうち、予約で埋まった割合です。"
        "窓口稼働率は、窓口を開けていた時間のうち、応対していた時間の割合です。",
    "Tickets and waiting by day": "日別の受付件数と待ち時間",
    "Tickets, waiting and counter utilisation by hour": "時間帯別の受付件数・待ち時間・窓口稼働率",
    "See the table by day below.": "数値は下の日別の表をご覧ください。",
    "See the table by hour below.": "数値は下の時間帯別の表をご覧ください。",
    "No tickets, reservations or open counters in these days.": "この期間の受付・予約・窓口の記録はありません。",
    "By hour of the day": "時間帯別",
    "By procedure": "手続き別",
    "By day": "日別",
    "Hour": "時間帯",
    "Procedure": "手続き",
    "Date": "日付",
    "Waiting, median (min)": "待ち時間 中央値(分)",
    "Waiting, 90th percentile (min)": "待ち時間 90%値(分)",
    "Counter utilisation (%)": "窓口稼働率(%)",
    "Minutes": "分",
    "Enter a date as YYYY-MM-DD.": "日付を YYYY-MM-DD の形で入力してください。",
    "Enter the first day.": "開始日を入力してください。",
    "Enter the last day.": "終了日を入力してください。",
    "The last day is before the first day.": "終了日が開始日より前になっています。",
    "At most %(days)s days at a time.": "一度に集計できるのは%(days)s日間までです。",
    "Choose a place.": "窓口を選択してください。",
}

# The service's messages (English, the API's), as the page words them.
FIELD_MESSAGES = {
    reports.MESSAGES["first_missing"]: "Enter the first day.",
    reports.MESSAGES["last_missing"]: "Enter the last day.",
    reports.MESSAGES["reversed"]: "The last day is before the first day.",
    reports.MESSAGES["too_long"]: "At most %(days)s days at a time.",
    reports.MESSAGES["unknown_location"]: "Choose a place.",
}


def _date(raw: str | None, field: str, errors: dict, t) -> date | None:
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not FIRST_DAY <= value <= LAST_DAY:
        errors[field] = t("Enter a date as YYYY-MM-DD.")
        return None
    return value


@bp.get("")
@bp.get("/")
def page():
    """The form, and the report when the form holds a place and a valid range."""
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    if current_user.role not in STAFF_ROLES or not current_user.is_active:
        abort(403)
    return _render(page_locale())


def _render(locale: str):
    places = db.session.scalars(select(Location).order_by(Location.id)).all()
    services = {s.slug: s for s in db.session.scalars(select(Service).order_by(Service.position))}
    today = calendar.today(clock.now())
    args = request.args
    form = {"location": args.get("location") or (places[0].slug if places else ""),
            "from": args.get("from") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            "to": args.get("to") or today.isoformat()}
    errors: dict[str, str] = {}
    t = translator(JA, locale)
    first = _date(form["from"], "from", errors, t)
    last = _date(form["to"], "to", errors, t)
    summary = None
    if "from" not in errors and "to" not in errors:
        try:
            period = reports.get_period(db.session, form["location"], first, last)
        except Invalid as error:
            for field, messages in error.extra.get("errors", {}).items():
                errors[field] = t(FIELD_MESSAGES.get(messages[0], messages[0]), days=reports.MAX_DAYS)
        else:
            summary = reports.get_summary(db.session, period, clock.now())
    status = 422 if errors else 200
    csv_args = {"location": form["location"], "from": form["from"], "to": form["to"], "lang": locale}
    return render_template(
        "admin/reports.html", places=places, services=services, form=form, errors=errors,
        summary=summary, locale=locale, t=t, chart_data=_chart_data(summary, t) if summary else None,
        csv_links={"summary": f"/api/v1/reports/summary.csv?{_query(csv_args)}",
                   "tickets": f"/api/v1/reports/tickets.csv?{_query(csv_args)}"},
        language_urls={code: url_for("admin_reports.page", **{**args.to_dict(), "lang": code})
                       for code in ("ja", "en")},
        max_days=reports.MAX_DAYS), status


def _query(values: dict) -> str:
    return urlencode(values)


def _chart_data(summary: dict, t) -> dict:
    """What reports.js draws: labels in the page's language, the figures as numbers."""
    return {
        "labels": {"reservation": t("Reservations"), "walk_in": t("Walk-ins"),
                   "wait_p50": t("Waiting, median (min)"), "wait_p90": t("Waiting, 90th percentile (min)"),
                   "utilisation": t("Counter utilisation (%)"), "tickets": t("Tickets"),
                   "minutes": t("Minutes")},
        "days": [{"x": row["date"].isoformat(), "reservation": row["tickets"]["reservation"],
                  "walk_in": row["tickets"]["walk_in"], "wait_p50": row["wait_minutes"]["p50"],
                  "wait_p90": row["wait_minutes"]["p90"]} for row in summary["by_day"]],
        "hours": [{"x": f"{row['hour']}:00", "reservation": row["tickets"]["reservation"],
                   "walk_in": row["tickets"]["walk_in"], "wait_p90": row["wait_minutes"]["p90"],
                   "utilisation": None if row["counter_utilisation"] is None
                   else round(row["counter_utilisation"] * 100, 1)} for row in summary["by_hour"]],
    }


@bp.get("/chart.js")
def chart_js():
    """Chart.js (installed by npm, package.json), from our own origin like web/vendor.py."""
    if not (NODE_MODULES / CHART_JS).is_file():
        abort(404)
    return send_from_directory(NODE_MODULES, CHART_JS, max_age=3600)

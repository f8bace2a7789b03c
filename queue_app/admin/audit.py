"""The audit log page, ``/admin/audit`` (administrators): a GET form (who, action,
place, from, to: a filtered view is a link that can be shared), a page of entries,
newest first, and a link to the CSV of the same filter (Japanese headers when the page
is Japanese). Words in ``JA``, like reports.py; Japanese first, English with ``?lang=en``.
"""
from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Location
from ..services import audit_log
from ..services.errors import Invalid
from .pages import admin_or_refuse, page_locale, translator

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")

JA = {
    "Audit log": "操作記録",
    "Closures": "閉庁・窓口休止の設定",
    "Back to the console": "窓口業務画面に戻る",
    "Other pages and languages": "他のページと表示言語",
    "Please correct the fields marked below.": "入力内容に誤りがあります。下記の項目をご確認ください。",
    "Who": "操作者",
    "A user's or a device's name, or user:3": "職員・端末の名前、または user:3 の形",
    "Action": "操作",
    "An action (ticket.call) or its family (ticket)": "操作名(ticket.call)または種類(ticket)",
    "Place": "場所",
    "Every place": "すべて",
    "From": "開始日",
    "To": "終了日",
    "Filter": "絞り込む",
    "Download as CSV": "CSVでダウンロード",
    "%(total)s entries": "%(total)s件",
    "Page %(page)s of %(pages)s": "%(page)s / %(pages)sページ",
    "Previous": "前へ",
    "Next": "次へ",
    "When": "日時",
    "Ticket": "受付票",
    "Reservation": "予約番号",
    "Detail": "詳細",
    "No entries match.": "該当する記録はありません。",
    "Enter a date as YYYY-MM-DD.": "日付を YYYY-MM-DD の形で入力してください。",
    "The last day is before the first day.": "終了日が開始日より前になっています。",
    "Choose a place.": "場所を選択してください。",
}


def _date(raw: str, field: str, errors: dict, t) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = t("Enter a date as YYYY-MM-DD.")
        return None


@bp.get("")
@bp.get("/")
def page():
    """The filter form and a page of the log."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    locale = page_locale()
    t = translator(JA, locale)
    args = request.args
    form = {name: (args.get(name) or "").strip() for name in ("who", "action", "location", "from", "to")}
    errors: dict[str, str] = {}
    first = _date(form["from"], "from", errors, t)
    last = _date(form["to"], "to", errors, t)
    try:
        number = max(int(args.get("page", "1")), 1)
    except ValueError:
        number = 1
    found = None
    if not errors:
        filters = audit_log.Filters(who=form["who"] or None, action=form["action"] or None,
                                    location=form["location"] or None, first=first, last=last)
        try:
            found = audit_log.get_page(db.session, filters, number)
        except Invalid as error:
            for field, messages in error.extra.get("errors", {}).items():
                errors[field] = t({"location": "Choose a place.", "to": "The last day is before the first day."}
                                  .get(field, messages[0]))
    query = {name: value for name, value in form.items() if value}
    places = db.session.scalars(select(Location).order_by(Location.id)).all()
    return render_template(
        "admin/audit.html", form=form, errors=errors, found=found, places=places, t=t, locale=locale,
        actions_ja=audit_log.ACTIONS_JA,
        detail_text=lambda detail: json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
        csv_url=f"/api/v1/admin/audit.csv?{urlencode({**query, 'lang': locale})}",
        page_url=lambda n: url_for(".page", **query, page=n, lang=locale),
        language_urls={code: url_for(".page", **{**args.to_dict(), "lang": code}) for code in ("ja", "en")},
    ), 422 if errors else 200

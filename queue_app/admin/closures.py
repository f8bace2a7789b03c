"""The closures page, ``/admin/closures`` (administrators): the closures in force per
place, a form to add one (a date, the whole day or from-to, the reason in Japanese and
English, and the emergency checkbox with its warning), and a button to reopen each.
After an emergency closure the page lists the cancelled reservations and the printable
call list of the residents who left only a phone number (shown this once: phone numbers
are not put in a link or kept in the session).

Japanese first, English with ``?lang=en``; the words live in ``JA`` (like reports.py),
not in the residents' catalogues. Every form carries its CSRF token (Flask-WTF).

The booking site's month and day pages read their closure notice through the
``closure_notices`` template global of the booking pages (web/resident_pages.py).
"""
from __future__ import annotations

from datetime import date, time

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField

from .. import clock
from ..extensions import db
from ..models import Location
from ..services import calendar, closures
from ..services.errors import DomainError, Invalid, ReservationsInTheWay
from .pages import admin_or_refuse, page_locale, translator

bp = Blueprint("admin_closures", __name__, url_prefix="/admin/closures")

JA = {
    "Closures": "閉庁・窓口休止の設定",
    "Back to the console": "窓口業務画面に戻る",
    "Audit log": "操作記録",
    "Reports": "業務統計",
    "Other pages and languages": "他のページと表示言語",
    "Please correct the fields marked below.": "入力内容に誤りがあります。下記の項目をご確認ください。",
    "Add a closure": "閉庁を登録する",
    "Place": "窓口",
    "Date": "日付",
    "Closed": "閉庁する時間",
    "The whole day": "終日",
    "Part of the day": "時間を指定",
    "From": "開始時刻",
    "To": "終了時刻",
    "Reason (Japanese)": "理由(日本語)",
    "Reason (English)": "理由(英語)",
    "Shown to residents on the booking site, on the lobby screens and in the e-mail.":
        "予約サイト・待合表示・お知らせメールで住民の方に表示されます。",
    "Emergency closure (snow, a system outage)": "緊急閉庁(降雪・システム障害など)",
    "An emergency closure CANCELS every reservation in the closed time, e-mails each resident "
    "and gives you a list of those to call. It cannot be undone: reopening does not restore "
    "the reservations.":
        "緊急閉庁にすると、閉庁時間内の予約はすべて取り消され、住民の方にメールでお知らせします。"
        "メールアドレスのない方は電話連絡リストに表示されます。再開しても取り消した予約は元に戻りません。",
    "Register the closure": "閉庁を登録する",
    "Closures in force": "登録済みの閉庁",
    "No closures from today on.": "本日以降の閉庁はありません。",
    "Time": "時間",
    "Reason": "理由",
    "Kind": "種別",
    "Emergency": "緊急",
    "Planned": "予定",
    "All day": "終日",
    "Every place": "全窓口",
    "Reopen": "再開する",
    "Reopen this closure? Cancelled reservations stay cancelled.":
        "この閉庁を取り消して再開しますか。取り消した予約は元に戻りません。",
    "The closure is registered.": "閉庁を登録しました。",
    "The closure is taken back: the counters are open again at that time.":
        "閉庁を取り消しました。その時間は再び予約・受付ができます。",
    "The closure was refused: %(count)s reservation(s) are booked in that time. Move or cancel "
    "them first, or tick the emergency closure.":
        "閉庁できません。この時間に%(count)s件の予約があります。先に予約を変更・取消するか、緊急閉庁を選んでください。",
    "Reservations in the way": "支障となる予約",
    "Cancelled reservations": "取り消した予約",
    "No reservations were cancelled.": "取り消した予約はありません。",
    "Call list": "電話連絡リスト",
    "These residents left only a phone number: call them to say the reservation is cancelled.":
        "次の方はメールアドレスがありません。電話で予約の取消をお知らせしてください。",
    "Reservation code": "予約番号",
    "Reserved time": "予約日時",
    "Phone": "電話番号",
    "Called": "連絡済",
    "Print the call list": "電話連絡リストを印刷",
    "Nobody to call: every affected resident was e-mailed.": "電話連絡が必要な方はいません(全員にメールでお知らせしました)。",
    "Choose a place.": "窓口を選択してください。",
    "Enter a date as YYYY-MM-DD.": "日付を YYYY-MM-DD の形で入力してください。",
    "Enter a time as HH:MM.": "時刻を HH:MM の形で入力してください。",
    "Give both the start and the end, or neither for the whole day.":
        "開始時刻と終了時刻の両方を入力してください。",
    "The end must be after the start.": "終了時刻は開始時刻より後にしてください。",
    "The day is in the past.": "過去の日付は指定できません。",
    "Give the reason in Japanese.": "理由(日本語)を入力してください。",
    "Give the reason in English.": "理由(英語)を入力してください。",
    f"At most {closures.REASON_MAX} characters.": f"{closures.REASON_MAX}文字以内で入力してください。",
}


class ClosureForm(FlaskForm):
    """The fields are read as text and checked by the service (closures.validate), so
    the page and the API refuse the same things with the same messages."""

    location = StringField()
    date = StringField()
    span = StringField()
    start = StringField()
    end = StringField()
    reason_ja = StringField()
    reason_en = StringField()
    emergency = BooleanField()


class ReopenForm(FlaskForm):
    """Only the CSRF token: the closure is in the URL."""


@bp.get("")
@bp.get("/")
def page():
    """The closures in force and the form to add one."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    form = ClosureForm(formdata=None, data={"span": "day"})
    return _render(form, {}, page_locale())


@bp.post("")
@bp.post("/")
def add():
    """Register the closure of the form: errors next to their fields, the reservations
    in the way when refused, the cancelled ones and the call list after an emergency."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    locale = page_locale()
    t = translator(JA, locale)
    form = ClosureForm()
    if not form.validate_on_submit():  # the CSRF token, nothing else is checked here
        abort(400)
    errors: dict[str, str] = {}
    location = db.session.scalar(select(Location).where(Location.slug == (form.location.data or "")))
    if location is None:
        errors["location"] = t("Choose a place.")
    day = _parse(form.date.data, date.fromisoformat, "date", t("Enter a date as YYYY-MM-DD."), errors)
    start = end = None
    if form.span.data == "hours":
        # A blank time is the service's to explain (both or neither).
        start = _parse(form.start.data, time.fromisoformat, "start", t("Enter a time as HH:MM."), errors,
                       required=False)
        end = _parse(form.end.data, time.fromisoformat, "end", t("Enter a time as HH:MM."), errors,
                     required=False)
        if not errors and (start is None or end is None):
            errors["start" if start is None else "end"] = t(closures.MESSAGES["times_pair"])
        if not errors and end <= start:
            errors["end"] = t(closures.MESSAGES["times_order"])
    if errors:
        return _render(form, errors, locale, status=422)
    try:
        result = closures.create_closure(
            db.session, location=location, day=day, start=start, end=end,
            reason_ja=form.reason_ja.data or "", reason_en=form.reason_en.data or "",
            emergency=bool(form.emergency.data), actor=f"user:{current_user.id}", now=clock.now())
    except Invalid as error:
        db.session.rollback()
        for name, messages in error.extra.get("errors", {}).items():
            errors[name] = t(messages[0])
        return _render(form, errors, locale, status=422)
    except ReservationsInTheWay as error:
        db.session.rollback()
        codes = error.extra["reservations"]
        errors["emergency"] = t("The closure was refused: %(count)s reservation(s) are booked in that "
                                "time. Move or cancel them first, or tick the emergency closure.",
                                count=len(codes))
        return _render(form, errors, locale, status=409, in_the_way=codes)
    except DomainError:
        db.session.rollback()
        raise
    return _render(ClosureForm(formdata=None, data={"span": "day", "location": location.slug}), {},
                   locale, result=result, message=t("The closure is registered."))


@bp.post("/<int:closure_id>/reopen")
def reopen(closure_id: int):
    """Take a closure back (reservations it cancelled stay cancelled)."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    if not ReopenForm().validate_on_submit():
        abort(400)
    closures.reopen_closure(db.session, closure_id, actor=f"user:{current_user.id}", now=clock.now())
    return redirect(url_for(".page", lang=page_locale(), reopened=closure_id), 303)


def _parse(raw, parse, field: str, message: str, errors: dict, required: bool = True):
    """``parse(raw)``; a message on ``field`` when it fails (or is blank and required)."""
    raw = (raw or "").strip()
    if not raw and not required:
        return None
    try:
        return parse(raw)
    except ValueError:
        errors[field] = message
        return None


def _render(form: ClosureForm, errors: dict, locale: str, status: int = 200, *, result=None,
            message: str | None = None, in_the_way: list[str] | None = None):
    t = translator(JA, locale)
    places = db.session.scalars(select(Location).order_by(Location.id)).all()
    today = calendar.today(clock.now())
    upcoming = closures.get_upcoming(db.session, today)
    by_place = [(place, [c for c in upcoming if c.location_id in (place.id, None)]) for place in places]
    if request.args.get("reopened"):
        message = t("The closure is taken back: the counters are open again at that time.")
    return render_template(
        "admin/closures.html", form=form, errors=errors, locale=locale, t=t, places=places,
        by_place=by_place, result=result, message=message, in_the_way=in_the_way or [],
        reopen_form=ReopenForm(), today=today,
        language_urls={code: url_for("admin_closures.page", lang=code) for code in ("ja", "en")}), status

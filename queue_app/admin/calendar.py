"""The calendar page, ``/admin/calendar`` (administrators): a month of one place —
opening hours, national holidays by name and the New Year closure, holiday and
extended-hours windows, closures, home visits, and how full each day's slots are —
with the forms to change the weekly hours and a procedure's slot capacity from a date
on, and to add or remove a holiday or extended window. One-off closures are made on the
closures page (linked).

A change that would leave booked reservations without room is refused, and the page
lists them (code, time, procedure) so the administrator can move or cancel them first
(services/calendar_rules.py). Japanese first, English with ``?lang=en``; the words live
in ``JA``; every form carries its CSRF token.
"""
from __future__ import annotations

from datetime import date, time, timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Location, Reservation
from ..services import calendar, calendar_rules, office, outreach, waitlist
from ..services.calendar_rules import WeekdayHours
from ..services.errors import Invalid, NotFound, ReservationsInTheWay
from .office import CsrfForm, _actor, _posted
from .pages import admin_or_refuse, page_locale, translator

bp = Blueprint("admin_calendar", __name__, url_prefix="/admin/calendar")

M = calendar_rules.MESSAGES
WEEKDAY_JA = "月火水木金土日"
WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
JA = {
    "Calendar": "開庁カレンダー",
    "Back to the console": "窓口業務画面に戻る",
    "Back office": "管理メニュー",
    "Other pages and languages": "他のページと表示言語",
    "Please correct the fields marked below.": "入力内容に誤りがあります。下記の項目をご確認ください。",
    "Place": "庁舎",
    "Show": "表示",
    "Previous month": "前の月",
    "Next month": "次の月",
    "%(year)s-%(month)02d": "%(year)s年%(month)s月",
    "Closed": "閉庁",
    "New Year closure": "年末年始休業",
    "Closure": "閉庁",
    "Not open": "開庁なし",
    "Holiday window": "休日窓口",
    "Extended hours": "延長窓口",
    "Reservation only": "完全予約制",
    "booked %(booked)s of %(seats)s": "予約 %(booked)s / %(seats)s 枠",
    "No reservable slots": "予約枠なし",
    "Home visit": "出張受付",
    "%(count)s on the waitlist": "キャンセル待ち %(count)s人",
    "%(count)s applicants": "%(count)s人",
    "Closures are made on the closures page.": "臨時の閉庁(終日・時間指定)は閉庁設定のページで登録します。",
    "Open the closures page": "閉庁設定を開く",
    "Weekly hours": "通常の開庁時間",
    "In force": "適用中の設定",
    "since always": "当初から",
    "from %(date)s": "%(date)s から",
    "Change the weekly hours from a date on": "開庁時間を変更する(指定日から)",
    "From": "適用開始日",
    "Open": "開庁する",
    "Opens": "開庁時刻",
    "Closes": "閉庁時刻",
    "First slot": "予約枠の開始",
    "Slots end": "予約枠の終了",
    "A weekday left unticked is closed from that date.": "チェックを外した曜日は、適用開始日から閉庁になります。",
    "Save the hours": "開庁時間を保存",
    "Slot capacity": "予約枠の定員",
    "Procedure": "手続き",
    "Seats per slot": "1枠の定員",
    "Set from": "適用開始日",
    "Counters taking reservations": "予約対応窓口数",
    "Change the capacity from a date on": "定員を変更する(指定日から)",
    "0 seats: not reservable from that date.": "0にすると、適用開始日から予約を受け付けません。",
    "Save the capacity": "定員を保存",
    "Holiday and extended windows": "休日窓口・延長窓口",
    "No windows.": "設定はありません。",
    "When": "日時",
    "Procedures": "手続き",
    "Every procedure": "すべての手続き",
    "Remove": "削除",
    "Remove this window? It is refused while reservations are booked in it.":
        "この窓口を削除しますか。予約が入っている場合は削除できません。",
    "Add a window": "窓口を追加する",
    "Kind": "種別",
    "Once, on a date": "日付を指定(1回)",
    "Every week": "毎週",
    "Date": "日付",
    "Weekday": "曜日",
    "Weeks of the month": "第何週",
    "e.g. 2,4 for the 2nd and 4th; empty for every week": "例:第2・第4なら 2,4(空欄は毎週)",
    "Start": "開始",
    "End": "終了",
    "Empty: every procedure.": "チェックなしの場合は、すべての手続きが対象です。",
    "Add the window": "窓口を追加",
    "every %(weekday)s": "毎週%(weekday)s曜日",
    "%(weeks)s %(weekday)s of the month": "第%(weeks)s %(weekday)s曜日",
    "The change was refused: %(count)s reservation(s) are booked where the new calendar has no "
    "room. Move or cancel them first.":
        "変更できません。変更後の設定では受け入れられない予約が%(count)s件あります。先に予約の変更・取消を行ってください。",
    "Reservations in the way": "支障となる予約",
    "Reservation code": "予約番号",
    "Reserved time": "予約日時",
    "The weekly hours are saved.": "開庁時間を保存しました。",
    "The capacity is saved.": "定員を保存しました。",
    "The window is added.": "窓口を追加しました。",
    "The window is removed.": "窓口を削除しました。",
    "Enter a date as YYYY-MM-DD.": "日付を YYYY-MM-DD の形で入力してください。",
    "Enter a time as HH:MM.": "時刻を HH:MM の形で入力してください。",
    "Enter a whole number.": "整数で入力してください。",
    M["past"]: "過去の日付は指定できません。",
    M["weekday"]: "通常の開庁時間は月曜日から金曜日です。土日は休日窓口で設定してください。",
    M["twice"]: "同じ曜日が重複しています。",
    M["no_days"]: "開庁する曜日を1つ以上選んでください(休みの日は閉庁設定で登録します)。",
    M["order"]: "閉庁時刻は開庁時刻より後にしてください。",
    M["slots_inside"]: "予約枠は開庁時間内に設定してください。",
    M["slots_order"]: "予約枠の終了は開始より後にしてください。",
    M["quarter"]: "時刻は15分単位(00・15・30・45分)で入力してください。",
    M["seats"]: f"定員は0から{calendar_rules.MAX_SEATS}までの整数で入力してください。",
    M["kind"]: "休日窓口か延長窓口を選んでください。",
    M["when"]: "日付または曜日を指定してください。",
    M["holiday_day"]: "休日窓口は土曜日または日曜日に設定してください。",
    M["extended_day"]: "延長窓口は平日に設定してください。",
    M["weeks"]: "第何週は1から5の数字で入力してください(例:2,4)。",
    M["window_order"]: "終了時刻は開始時刻より後にしてください。",
    M["procedures"]: "不明な手続きが含まれています。",
}
DONE = {"hours": "The weekly hours are saved.", "capacity": "The capacity is saved.",
        "window_added": "The window is added.", "window_removed": "The window is removed."}


def _location() -> Location:
    """The place of the request: the page falls back to the first; a form must name one."""
    slug = request.values.get("location") or ""
    places = office.get_locations(db.session)
    chosen = next((p for p in places if p.slug == slug), None)
    if chosen is None and (request.method == "POST" or not places):
        abort(404)
    return chosen or places[0]


def _month(raw: str | None = None) -> date:
    """The month of ``raw`` (YYYY-MM, this century), else this month."""
    raw = request.args.get("month", "") if raw is None else raw
    try:
        month = date(int(raw[:4]), int(raw[5:7]), 1)
    except ValueError:
        return calendar.today(clock.now()).replace(day=1)
    return month if len(raw) == 7 and 2000 <= month.year <= 2099 else calendar.today(clock.now()).replace(day=1)


def _parse(raw: str, parse, field: str, message: str, errors: dict):
    try:
        return parse((raw or "").strip())
    except ValueError:
        errors[field] = [message]
        return None


@bp.get("")
@bp.get("/")
def page():
    """A month of a place's calendar and the forms to change it."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    return _render(_location(), _month())


def _done(location: Location, key: str, month: str | None = None):
    return redirect(url_for(".page", lang=page_locale(), location=location.slug, done=key,
                            month=month or request.form.get("month") or None), 303)


def _refused(location: Location, key: str, error, status: int):
    db.session.rollback()
    t = translator(JA, page_locale())
    errors = {name: t(messages[0]) for name, messages in error.extra.get("errors", {}).items()}
    return _render(location, _month_of_form(), failed=_failed(key, errors), status=status)


def _failed(key: str, errors: dict, in_the_way=None) -> dict:
    values = {name: request.form.getlist(name) if name == "services" else request.form.get(name, "")
              for name in request.form if name != "csrf_token"}
    values.setdefault("services", [])
    return {"key": key, "errors": errors, "values": values, "in_the_way": in_the_way or []}


def _month_of_form() -> date:
    return _month(request.form.get("month", ""))


def _in_the_way(location: Location, key: str, error: ReservationsInTheWay):
    db.session.rollback()
    t = translator(JA, page_locale())
    codes = error.extra["reservations"]
    rows = db.session.scalars(select(Reservation).where(Reservation.code.in_(codes))
                              .order_by(Reservation.starts_at, Reservation.code)).all()
    message = t("The change was refused: %(count)s reservation(s) are booked where the new calendar "
                "has no room. Move or cancel them first.", count=len(codes))
    return _render(location, _month_of_form(), failed=_failed(key, {"form": message}, rows), status=409)


def _apply(location: Location, key: str, errors: dict, change, done: str | None = None, month: str | None = None):
    """Make ``change()`` unless the form ``key`` had ``errors``: the page again with the
    errors by field or the reservations in the way (nothing changed), else back to the
    month with the message ``done`` (the form's key by default)."""
    try:
        if errors:
            raise Invalid("Some fields are not valid", errors=errors)
        change()
    except Invalid as error:
        return _refused(location, key, error, 422)
    except ReservationsInTheWay as error:
        return _in_the_way(location, key, error)
    return _done(location, done or key, month)


@bp.post("/hours")
def set_hours():
    """The weekly hours from a date on."""
    refused = _posted()
    if refused is not None:
        return refused
    location = _location()
    t = translator(JA, page_locale())
    errors: dict[str, list[str]] = {}
    since = _parse(request.form.get("from"), date.fromisoformat, "from", t("Enter a date as YYYY-MM-DD."), errors)
    days = []
    for weekday in calendar_rules.WEEKDAYS:
        if request.form.get(f"open_{weekday}") != "y":
            continue
        times = [_parse(request.form.get(f"{name}_{weekday}"), time.fromisoformat, f"days.{weekday}",
                        t("Enter a time as HH:MM."), errors)
                 for name in ("opens", "closes", "slots_from", "slots_until")]
        if None not in times:
            days.append(WeekdayHours(weekday, *times))
    return _apply(location, "hours", errors, lambda: calendar_rules.set_weekly_hours(
        db.session, location, since, days, actor=_actor(), now=clock.now()))


@bp.post("/capacity")
def set_capacity():
    """A procedure's seats per slot from a date on."""
    refused = _posted()
    if refused is not None:
        return refused
    location = _location()
    t = translator(JA, page_locale())
    errors: dict[str, list[str]] = {}
    since = _parse(request.form.get("from"), date.fromisoformat, "from", t("Enter a date as YYYY-MM-DD."), errors)
    seats = _parse(request.form.get("seats"), int, "seats", t("Enter a whole number."), errors)
    try:
        service = office.get_service(db.session, request.form.get("service", ""))
    except NotFound:
        service = None
        errors["service"] = [M["procedures"]]
    return _apply(location, "capacity", errors, lambda: calendar_rules.set_capacity(
        db.session, location, service, since, seats, actor=_actor(), now=clock.now()))


@bp.post("/windows")
def add_window():
    """A holiday or extended-hours window, once or every week."""
    refused = _posted()
    if refused is not None:
        return refused
    location = _location()
    t = translator(JA, page_locale())
    errors: dict[str, list[str]] = {}
    on_date = weekday = None
    if request.form.get("when") == "weekly":
        weekday = _parse(request.form.get("weekday"), int, "weekday", M["when"], errors)
    else:
        on_date = _parse(request.form.get("date"), date.fromisoformat, "date", t("Enter a date as YYYY-MM-DD."),
                         errors)
    starts = _parse(request.form.get("start"), time.fromisoformat, "start", t("Enter a time as HH:MM."), errors)
    ends = _parse(request.form.get("end"), time.fromisoformat, "end", t("Enter a time as HH:MM."), errors)
    services = []
    for slug in request.form.getlist("services"):
        try:
            services.append(office.get_service(db.session, slug))
        except NotFound:
            errors["services"] = [M["procedures"]]
    return _apply(location, "window", errors, lambda: calendar_rules.add_window(
        db.session, location, kind=request.form.get("kind", ""), on_date=on_date, weekday=weekday,
        weeks_of_month=request.form.get("weeks_of_month", ""), starts=starts, ends=ends,
        reservation_only=request.form.get("reservation_only") == "y", services=services,
        actor=_actor(), now=clock.now()), done="window_added", month=on_date.strftime("%Y-%m") if on_date else None)


@bp.post("/windows/<int:window_id>/remove")
def remove_window(window_id: int):
    """Take a window out; refused while reservations are booked in it."""
    refused = _posted()
    if refused is not None:
        return refused
    location = _location()
    try:
        calendar_rules.remove_window(db.session, window_id, actor=_actor(), now=clock.now())
    except NotFound:
        abort(404)
    except ReservationsInTheWay as error:
        return _in_the_way(location, f"window-{window_id}", error)
    return _done(location, "window_removed")


# ---------------------------------------------------------------- the page

def _weeks_grid(days: list) -> list[list]:
    """The month's days in weeks from Monday, with None before the 1st and after the last."""
    cells = [None] * days[0].date.weekday() + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]


def _window_when(window, locale: str, t) -> str:
    names = WEEKDAY_JA if locale == "ja" else WEEKDAY_EN
    if window.on_date is not None:
        return window.on_date.isoformat() + f" ({names[window.on_date.weekday()]})"
    weekday = names[window.weekday]
    if window.weeks_of_month:
        return t("%(weeks)s %(weekday)s of the month", weeks=window.weeks_of_month.replace(",", "・"),
                 weekday=weekday)
    return t("every %(weekday)s", weekday=weekday)


def _visits(first: date, last: date) -> dict[date, list]:
    """Home visits in the month (they block no slot, but the staff who go are away)."""
    by_day: dict[date, list] = {}
    for visit in outreach.get_visits(db.session, first, last):
        by_day.setdefault(visit.date, []).append(visit)
    return by_day


def _render(location: Location, month: date, failed: dict | None = None, status: int = 200):
    locale = page_locale()
    t = translator(JA, locale)
    today = calendar.today(clock.now())
    days = calendar_rules.get_month(db.session, location, month)
    first, last = calendar_rules.month_days(month)
    services = office.get_services(db.session)
    by_id = {s.id: s for s in services}
    plans = calendar_rules.get_weekly_plans(db.session, location)
    in_force = calendar_rules.get_hours_in_force(db.session, location, today)
    message = None
    if failed is None and request.args.get("done") in DONE:
        message = t(DONE[request.args["done"]])
    return render_template(
        "admin/calendar.html", t=t, locale=locale, location=location, month=month,
        places=office.get_locations(db.session), weeks=_weeks_grid(days), today=today,
        previous=(first - timedelta(days=1)).strftime("%Y-%m"), following=(last + timedelta(days=1)).strftime("%Y-%m"),
        weekday_names=WEEKDAY_JA if locale == "ja" else WEEKDAY_EN, plans=plans,
        hours_by_weekday={row.weekday: row for row in in_force},
        capacities=[(by_id[row.service_id], row) for row in calendar_rules.get_capacities(db.session, location)],
        counters={s.slug: calendar.reservation_capacity(db.session, location, s) for s in services},
        services=services, reservable=[s for s in services if s.reservable],
        windows=[(w, _window_when(w, locale, t)) for w in calendar_rules.get_windows(db.session, location)],
        visits=_visits(first, last), message=message,
        waiting=waitlist.get_waiting_counts(db.session, location, None, [d.date for d in days]), csrf_form=CsrfForm(),
        failed=failed or {"key": None, "errors": {}, "values": {}, "in_the_way": []},
        language_urls={code: url_for(".page", lang=code, location=location.slug, month=month.strftime("%Y-%m"))
                       for code in ("ja", "en")}), status

"""The office page, ``/admin/office`` (administrators): each place with its counters,
and the procedures, with a form to add and to edit each — names in Japanese and
English, a counter's procedures as checkboxes, whether it takes reservations, a
procedure's duration, whether it is reservable and what to bring.

Japanese first, English with ``?lang=en``; the words live in ``JA`` (like reports.py),
not in the residents' catalogues. Every form carries its CSRF token (Flask-WTF). The
rules are services/office.py's, so the page and the API refuse the same input with the
same per-field messages; a refused form comes back (422, or 409 for a name or slug in
use) with its values and the error next to each field, and nothing is changed.

The blueprint is named ``admin_catalogue``: the back office's home links to
``admin_catalogue.page`` when this build has it (admin/accounts.py ``SECTIONS``).
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import clock
from ..extensions import db
from ..services import office
from ..services.errors import Invalid, NotFound
from .pages import admin_or_refuse, page_locale, translator

bp = Blueprint("admin_catalogue", __name__, url_prefix="/admin/office")

M = office.MESSAGES
JA = {
    "Back office": "管理メニュー",
    "Back to the console": "窓口業務画面に戻る",
    "Other pages and languages": "他のページと表示言語",
    "Places, counters and procedures": "窓口・手続きの設定",
    "Please correct the fields marked below.": "入力内容に誤りがあります。下記の項目をご確認ください。",
    "Places and their counters": "庁舎と窓口",
    "Procedures": "手続き",
    "Slug": "識別名(英数字)",
    "Used in addresses; cannot be changed later.": "アドレスに使われます。後から変更できません。",
    "Name (Japanese)": "名称(日本語)",
    "Name (English)": "名称(英語)",
    "Save the names": "名称を保存",
    "Edit the names of %(name)s": "%(name)s の名称を変更",
    "Counter": "窓口名",
    "Counter name": "窓口名",
    "Shown on the lobby screens when a number is called.": "呼出時に待合の表示画面に表示されます。",
    "Serves": "取り扱う手続き",
    "Takes reservations": "予約を受ける",
    "Takes reservations (adds a seat to each reservable slot)": "予約を受ける(予約枠が1席増えます)",
    "Position": "表示順",
    "Open now": "現在の状態",
    "Open": "受付中",
    "Closed": "休止中",
    "Yes": "はい",
    "No": "いいえ",
    "Nothing: called by nobody": "なし(呼出されません)",
    "Edit %(name)s": "%(name)s を編集",
    "Save": "保存する",
    "No counters yet: this place takes no booking and no walk-in.":
        "窓口がありません。この庁舎では予約も当日受付もできません。",
    "Add a counter to %(name)s": "%(name)s に窓口を追加",
    "Add the counter": "窓口を追加する",
    "To stop a counter for good, untick every procedure: it is then called by nobody.":
        "窓口を廃止するときは、すべての手続きのチェックを外してください。呼出の対象外になります。",
    "Add a place": "庁舎を追加する",
    "Add the place": "庁舎を追加する",
    "A new place needs counters here and opening hours on the calendar before residents can come.":
        "新しい庁舎は、ここで窓口を追加し、開庁カレンダーで開庁時間を設定すると利用できるようになります。",
    "Procedure": "手続き",
    "Duration (minutes)": "所要時間(分)",
    "Reservable": "予約",
    "Reservable in ordinary opening hours": "通常の開庁時間に予約できる",
    "A holiday window makes the procedures it lists reservable on its days, whatever this says.":
        "休日窓口の日は、その窓口で扱う手続きはこの設定にかかわらず予約できます。",
    "What to bring (Japanese)": "持ち物(日本語)",
    "What to bring (English)": "持ち物(英語)",
    "Shown on the booking confirmation and in the e-mail.": "予約完了画面と確認メールに表示されます。",
    "Walk-in only": "当日受付のみ",
    "Add a procedure": "手続きを追加する",
    "Add the procedure": "手続きを追加する",
    "A new procedure is offered once a counter serves it.": "新しい手続きは、窓口の取り扱う手続きに加えると利用できます。",
    "minutes": "分",
    "The place %(name)s is added.": "庁舎「%(name)s」を追加しました。",
    "The place %(name)s is saved.": "庁舎「%(name)s」を保存しました。",
    "The counter %(name)s is added.": "窓口「%(name)s」を追加しました。",
    "The counter %(name)s is saved.": "窓口「%(name)s」を保存しました。",
    "The procedure %(name)s is added.": "手続き「%(name)s」を追加しました。",
    "The procedure %(name)s is saved.": "手続き「%(name)s」を保存しました。",
    # the service's field messages
    M["slug_missing"]: "識別名を入力してください。",
    M["slug_form"]: "英小文字・数字・ハイフンのみ使えます(例: north-branch)。",
    M["slug_long"]: f"{office.SLUG_MAX}文字以内で入力してください。",
    M["slug_taken"]: "この識別名は使われています。",
    M["name_ja_missing"]: "名称(日本語)を入力してください。",
    M["name_en_missing"]: "名称(英語)を入力してください。",
    M["name_long"]: f"{office.NAME_MAX}文字以内で入力してください。",
    M["name_taken"]: "この名称は使われています。",
    M["counter_name_missing"]: "窓口名を入力してください。",
    M["counter_name_long"]: f"{office.COUNTER_NAME_MAX}文字以内で入力してください。",
    M["counter_name_taken"]: "この庁舎には同じ名前の窓口があります。",
    M["location"]: "庁舎を選択してください。",
    M["services"]: "不明な手続きが含まれています。",
    M["duration"]: f"{office.DURATION_MIN}から{office.DURATION_MAX}までの整数(分)で入力してください。",
    M["position"]: f"0から{office.POSITION_MAX}までの整数で入力してください。",
    M["bring_long"]: f"{office.BRING_MAX}文字以内で入力してください。",
    M["boolean"]: "はい・いいえを選んでください。",
}


class CsrfForm(FlaskForm):
    """Only the CSRF token: the fields are read as the browser sends them and checked by
    the service (office.py), so the page and the API give the same messages."""


def _posted():
    """The refusal for a non-administrator or a missing CSRF token; None to go on."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    if not CsrfForm().validate_on_submit():
        abort(400)
    return None


def _actor() -> str:
    return f"user:{current_user.id}"


def _text(name: str) -> str:
    return request.form.get(name, "")


def _checked(name: str) -> bool:
    return request.form.get(name) == "y"


def _position(changes: dict) -> dict:
    """A blank position means "leave it" (a new one goes last)."""
    raw = request.form.get("position", "").strip()
    if raw:
        changes["position"] = raw
    return changes


# ---------------------------------------------------------------- the page

@bp.get("")
@bp.get("/")
def page():
    """The places with their counters, the procedures, and the forms to change them."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    return _render()


def _done(key: str, anchor: str, name: str):
    """Back to the page after a change (303: a reload does not post again)."""
    return redirect(url_for(".page", lang=page_locale(), done=key, name=name) + f"#{anchor}", 303)


def _named(row) -> str:
    """A place's or procedure's name in the page's language."""
    return row.name_ja if page_locale() == "ja" else row.name_en


def _refused(form_key: str, error, status: int):
    """The page again with the refused form's values and its errors by field."""
    db.session.rollback()
    t = translator(JA, page_locale())
    errors = {name: t(messages[0]) for name, messages in error.extra.get("errors", {}).items()}
    values = {key: request.form.getlist(key) if key == "services" else request.form.get(key, "")
              for key in request.form if key != "csrf_token"}
    values.setdefault("services", [])
    return _render(failed={"key": form_key, "errors": errors, "values": values}, status=status)


# ---------------------------------------------------------------- places

@bp.post("/locations")
def add_location():
    """Add the place of the form."""
    refused = _posted()
    if refused is not None:
        return refused
    try:
        location = office.create_location(db.session, slug=_text("slug"), name_ja=_text("name_ja"),
                                          name_en=_text("name_en"), actor=_actor(), now=clock.now())
    except (Invalid, office.SlugTaken, office.NameTaken) as error:
        return _refused("new-place", error, error.status)
    return _done("place_added", f"place-{location.slug}", _named(location))


@bp.post("/locations/<slug>")
def edit_location(slug: str):
    """Rename a place."""
    refused = _posted()
    if refused is not None:
        return refused
    try:
        location = office.update_location(db.session, slug, {"name_ja": _text("name_ja"),
                                                             "name_en": _text("name_en")},
                                          actor=_actor(), now=clock.now())
    except NotFound:
        abort(404)
    except (Invalid, office.NameTaken) as error:
        return _refused(f"place-{slug}", error, error.status)
    return _done("place_saved", f"place-{location.slug}", _named(location))


# ---------------------------------------------------------------- counters

def _counter_changes() -> dict:
    return _position({"name": _text("name"), "services": request.form.getlist("services"),
                      "takes_reservations": _checked("takes_reservations")})


@bp.post("/counters")
def add_counter():
    """Add the counter of the form to its place."""
    refused = _posted()
    if refused is not None:
        return refused
    location = _text("location")
    try:
        counter = office.create_counter(db.session, location=location, changes=_counter_changes(),
                                        actor=_actor(), now=clock.now())
    except (Invalid, office.NameTaken) as error:
        return _refused(f"new-counter-{location}", error, error.status)
    return _done("counter_added", f"counter-{counter.id}", counter.name)


@bp.post("/counters/<int:counter_id>")
def edit_counter(counter_id: int):
    """Change a counter: its name, procedures, reservations, position."""
    refused = _posted()
    if refused is not None:
        return refused
    try:
        counter = office.update_counter(db.session, counter_id, _counter_changes(),
                                        actor=_actor(), now=clock.now())
    except NotFound:
        abort(404)
    except (Invalid, office.NameTaken) as error:
        return _refused(f"counter-{counter_id}", error, error.status)
    return _done("counter_saved", f"counter-{counter.id}", counter.name)


# ---------------------------------------------------------------- procedures

def _service_changes() -> dict:
    return _position({
        "name_ja": _text("name_ja"), "name_en": _text("name_en"),
        "duration_minutes": _text("duration_minutes"), "reservable": _checked("reservable"),
        "bring_ja": _text("bring_ja"), "bring_en": _text("bring_en")})


@bp.post("/services")
def add_service():
    """Add the procedure of the form."""
    refused = _posted()
    if refused is not None:
        return refused
    try:
        service = office.create_service(db.session, slug=_text("slug"), changes=_service_changes(),
                                        actor=_actor(), now=clock.now())
    except (Invalid, office.SlugTaken, office.NameTaken) as error:
        return _refused("new-service", error, error.status)
    return _done("service_added", f"service-{service.slug}", _named(service))


@bp.post("/services/<slug>")
def edit_service(slug: str):
    """Change a procedure."""
    refused = _posted()
    if refused is not None:
        return refused
    try:
        service = office.update_service(db.session, slug, _service_changes(), actor=_actor(), now=clock.now())
    except NotFound:
        abort(404)
    except (Invalid, office.NameTaken) as error:
        return _refused(f"service-{slug}", error, error.status)
    return _done("service_saved", f"service-{service.slug}", _named(service))


# ---------------------------------------------------------------- rendering

MESSAGES_DONE = {
    "place_added": "The place %(name)s is added.",
    "place_saved": "The place %(name)s is saved.",
    "counter_added": "The counter %(name)s is added.",
    "counter_saved": "The counter %(name)s is saved.",
    "service_added": "The procedure %(name)s is added.",
    "service_saved": "The procedure %(name)s is saved.",
}


def _render(failed: dict | None = None, status: int = 200):
    locale = page_locale()
    t = translator(JA, locale)
    message = None
    done = request.args.get("done")
    if done in MESSAGES_DONE and failed is None:
        message = t(MESSAGES_DONE[done], name=request.args.get("name", ""))
    return render_template(
        "admin/office.html", t=t, locale=locale, failed=failed or {"key": None, "errors": {}, "values": {}},
        errors=(failed or {}).get("errors", {}), message=message,
        places=office.get_locations(db.session), services=office.get_services(db.session),
        csrf_form=CsrfForm(), limits=office,
        language_urls={code: url_for(".page", lang=code) for code in ("ja", "en")}), status

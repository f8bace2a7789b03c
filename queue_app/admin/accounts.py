"""The back office's home and its users and devices pages (administrators only):

- ``/admin``: links to every back-office page that exists in this build.
- ``/admin/users``: the users, a form to add one, and per user a button to disable or
  enable them and one to reset the password (the temporary password is shown on the
  answer page, this once, and never put in a link or the session).
- ``/admin/devices``: the kiosks and displays in service, when each was last seen and
  whether it is online now; a form to issue one (its token, setup address and QR code
  shown this once) and a button to revoke each (a connected display drops at once).

Japanese first, English with ``?lang=en``; the words live in ``JA`` (like reports.py),
not in the residents' catalogues. Every form carries its CSRF token (Flask-WTF); the
rules are services/accounts.py's, so the page and the API refuse the same input with
the same per-field messages. Staff get the 403 page.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField

from .. import clock, realtime
from ..api.admin_accounts import created_view
from ..extensions import db
from ..models import Device, Location, User
from ..services import accounts
from ..services.errors import Invalid
from .pages import admin_or_refuse, page_locale, translator

bp = Blueprint("admin_accounts", __name__, url_prefix="/admin")

JA = {
    "Back office": "管理メニュー",
    "Back to the console": "窓口業務画面に戻る",
    "Other pages and languages": "他のページと表示言語",
    "Please correct the fields marked below.": "入力内容に誤りがあります。下記の項目をご確認ください。",
    "Set up the office: who may sign in, the lobby devices, the calendar, and the figures.":
        "職員アカウント、待合の端末、閉庁日、業務統計などを設定します。",
    "Users": "職員アカウント",
    "Who may sign in to the console and the back office.": "窓口業務画面・管理メニューにログインできる職員です。",
    "Devices": "受付機・表示端末",
    "The lobby's kiosks and displays: issue, revoke, see which are online.":
        "待合の受付機と呼出表示の端末を発行・失効し、接続状況を確認します。",
    "Closures": "閉庁・窓口休止の設定",
    "Close a place for a day or part of it; emergency closures.": "終日・時間指定の閉庁、緊急閉庁を設定します。",
    "Audit log": "操作記録",
    "Who did what, and when.": "誰がいつ何を操作したかの記録です。",
    "Reports": "業務統計",
    "Tickets, waiting times and how busy the counters were.": "受付件数、待ち時間、窓口の稼働状況です。",
    "Calendar": "開庁カレンダー",
    "Opening hours, holiday and extended windows, capacity.": "開庁時間、休日窓口・延長窓口、予約枠を設定します。",
    "Places, counters and procedures": "窓口・手続きの設定",
    "Names, which counter serves which procedure, what to bring.": "名称、窓口ごとの手続き、持ち物を設定します。",
    # users
    "Add a user": "職員を追加する",
    "Username": "ユーザー名",
    "Role": "権限",
    "staff": "職員",
    "admin": "管理者",
    "Initial password": "初期パスワード",
    "At least %(min)s characters. Tell it to the user in person.": "%(min)s文字以上。本人に直接伝えてください。",
    "Must choose a new password at the first sign-in": "初回ログイン時にパスワードの変更を求める",
    "Add the user": "追加する",
    "Status": "状態",
    "Active": "有効",
    "Disabled": "無効",
    "Must change the password": "パスワード変更待ち",
    "Added": "登録日",
    "Actions": "操作",
    "Disable": "無効にする",
    "Enable": "有効にする",
    "Reset the password": "パスワードを再設定",
    "(you)": "(自分)",
    "The user %(name)s is added.": "%(name)s さんを追加しました。",
    "%(name)s is disabled: their sign-ins and tokens stopped working.":
        "%(name)s さんを無効にしました。ログイン中の画面とトークンは使えなくなりました。",
    "%(name)s is enabled again.": "%(name)s さんを再び有効にしました。",
    "Temporary password for %(name)s": "%(name)s さんの仮パスワード",
    "Shown this once: tell it to %(name)s in person. At the next sign-in they must choose a new password.":
        "この画面でのみ表示します。%(name)s さんに直接伝えてください。次回ログイン時に新しいパスワードの設定が必要です。",
    "The last active administrator cannot be disabled. Make another user an administrator first.":
        "有効な管理者が他にいないため、無効にできません。先に別の職員を管理者として追加してください。",
    "No such user.": "該当する職員がいません。",
    # devices
    "Issue a device": "端末を発行する",
    "Name": "端末名",
    "For example 1F-kiosk-left": "例: 1F受付機-左",
    "Kind": "種類",
    "kiosk": "受付機",
    "display": "呼出表示",
    "Place": "窓口",
    "Issue": "発行する",
    "Devices in service": "使用中の端末",
    "No devices yet.": "端末はまだありません。",
    "Last seen": "最終接続",
    "Never": "記録なし",
    "Now": "現在",
    "Online": "接続中",
    "Offline": "未接続",
    "Revoke": "失効させる",
    "Device %(name)s is issued": "端末「%(name)s」を発行しました",
    "Shown this once. Scan the QR code with the device, or open the address on it. "
    "Only a hash of the token is kept: if it is lost, revoke the device and issue a new one.":
        "この画面でのみ表示します。端末でQRコードを読み取るか、下のアドレスを端末で開いてください。"
        "トークンはサーバーに保存されません。紛失した場合は端末を失効させ、新たに発行してください。",
    "Setup address": "設定用アドレス",
    "Token": "端末トークン",
    "QR code of the setup address": "設定用アドレスのQRコード",
    "%(name)s is revoked: its token no longer works, and a connected display was disconnected.":
        "端末「%(name)s」を失効させました。トークンは使えなくなり、接続中の表示端末は切断されました。",
    "Online means connected to this server process now.": "「接続中」はこのサーバーに現在接続している端末です。",
    "No such device.": "該当する端末がありません。",
    # the service's field messages
    accounts.MESSAGES["username_missing"]: "ユーザー名を入力してください。",
    accounts.MESSAGES["username_long"]: f"{accounts.USERNAME_MAX}文字以内で入力してください。",
    accounts.MESSAGES["username_spaces"]: "ユーザー名に空白は使えません。",
    accounts.MESSAGES["username_taken"]: "このユーザー名は使われています。",
    accounts.MESSAGES["role"]: "職員か管理者を選んでください。",
    accounts.MESSAGES["password_short"]: f"パスワードは{accounts.PASSWORD_MIN}文字以上にしてください。",
    accounts.MESSAGES["password_long"]: f"{accounts.PASSWORD_MAX}文字以内で入力してください。",
    accounts.MESSAGES["name_missing"]: "端末名を入力してください。",
    accounts.MESSAGES["name_long"]: f"{accounts.DEVICE_NAME_MAX}文字以内で入力してください。",
    accounts.MESSAGES["name_taken"]: "この端末名は使われています。",
    accounts.MESSAGES["kind"]: "受付機か呼出表示を選んでください。",
    accounts.MESSAGES["location"]: "窓口を選択してください。",
}


class UserForm(FlaskForm):
    """Read as text; the service checks it (accounts.create_user)."""

    username = StringField()
    role = StringField()
    password = StringField()
    must_change_password = BooleanField()


class DeviceForm(FlaskForm):
    name = StringField()
    kind = StringField()
    location = StringField()


class ActionForm(FlaskForm):
    """Only the CSRF token: the user or device is in the URL."""


def _actor() -> str:
    return f"user:{current_user.id}"


def _once(response_and_status):
    """A page showing a secret (a token, a temporary password): kept by no cache."""
    response = current_app.make_response(response_and_status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _language_urls(endpoint: str) -> dict:
    return {code: url_for(endpoint, lang=code) for code in ("ja", "en")}


# ---------------------------------------------------------------- home

# The back office's pages: (endpoint, title, description); shown when this build has them.
SECTIONS = (
    ("admin_accounts.users", "Users", "Who may sign in to the console and the back office."),
    ("admin_accounts.devices", "Devices", "The lobby's kiosks and displays: issue, revoke, see which are online."),
    ("admin_calendar.page", "Calendar", "Opening hours, holiday and extended windows, capacity."),
    ("admin_closures.page", "Closures", "Close a place for a day or part of it; emergency closures."),
    ("admin_catalogue.page", "Places, counters and procedures",
     "Names, which counter serves which procedure, what to bring."),
    ("admin_audit.page", "Audit log", "Who did what, and when."),
    ("admin_reports.page", "Reports", "Tickets, waiting times and how busy the counters were."),
)


@bp.get("")
@bp.get("/")
def home():
    """The back office's home: a link to each of its pages."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    locale = page_locale()
    sections = [(url_for(endpoint, lang=locale), title, text) for endpoint, title, text in SECTIONS
                if endpoint in current_app.view_functions]
    return render_template("admin/home.html", t=translator(JA, locale), locale=locale, sections=sections,
                           language_urls=_language_urls("admin_accounts.home"))


# ---------------------------------------------------------------- users

@bp.get("/users")
def users():
    """The users and the form to add one."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    return _users_page(UserForm(formdata=None, data={"role": "staff", "must_change_password": True}))


@bp.post("/users")
def add_user():
    """Add the user of the form; errors next to their fields."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    form = UserForm()
    if not form.validate_on_submit():  # the CSRF token; the fields are the service's
        abort(400)
    t = translator(JA, page_locale())
    try:
        user = accounts.create_user(db.session, form.username.data or "", form.password.data or "",
                                    form.role.data or "", clock.now(), actor=_actor(),
                                    must_change_password=bool(form.must_change_password.data))
    except Invalid as error:
        db.session.rollback()
        errors = {name: t(messages[0]) for name, messages in error.extra.get("errors", {}).items()}
        form.password.data = ""  # never echoed back into the page
        return _users_page(form, errors=errors, status=422)
    return redirect(url_for(".users", lang=page_locale(), added=user.id), 303)


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id: int):
    """Disable a user (not the last active administrator)."""
    refused = _action_refused()
    if refused is not None:
        return refused
    t = translator(JA, page_locale())
    try:
        accounts.disable_user(db.session, user_id, actor=_actor(), now=clock.now())
    except accounts.LastAdmin:
        db.session.rollback()
        return _users_page(_fresh_user_form(), alert=t(
            "The last active administrator cannot be disabled. Make another user an administrator first."),
            status=409)
    return redirect(url_for(".users", lang=page_locale(), disabled=user_id), 303)


@bp.post("/users/<int:user_id>/enable")
def enable_user(user_id: int):
    """Let a disabled user sign in again."""
    refused = _action_refused()
    if refused is not None:
        return refused
    accounts.enable_user(db.session, user_id, actor=_actor(), now=clock.now())
    return redirect(url_for(".users", lang=page_locale(), enabled=user_id), 303)


@bp.post("/users/<int:user_id>/reset-password")
def reset_password(user_id: int):
    """A temporary password, shown on this answer only."""
    refused = _action_refused()
    if refused is not None:
        return refused
    user, temporary = accounts.reset_password(db.session, user_id, actor=_actor(), now=clock.now())
    return _once(_users_page(_fresh_user_form(), reset=(user, temporary)))


def _action_refused():
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    if not ActionForm().validate_on_submit():
        abort(400)
    return None


def _fresh_user_form() -> UserForm:
    return UserForm(formdata=None, data={"role": "staff", "must_change_password": True})


def _named(user_id: str | None, t, text: str) -> str | None:
    if not user_id or not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return t(text, name=user.username) if user is not None else None


def _users_page(form: UserForm, *, errors: dict | None = None, alert: str | None = None,
                reset=None, status: int = 200):
    locale = page_locale()
    t = translator(JA, locale)
    args = request.args
    message = (_named(args.get("added"), t, "The user %(name)s is added.")
               or _named(args.get("disabled"), t, "%(name)s is disabled: their sign-ins and tokens stopped working.")
               or _named(args.get("enabled"), t, "%(name)s is enabled again."))
    return render_template(
        "admin/users.html", t=t, locale=locale, form=form, errors=errors or {}, alert=alert,
        message=message, reset=reset, users=accounts.get_users(db.session), roles=accounts.ROLES,
        action_form=ActionForm(), me=current_user.id, password_min=accounts.PASSWORD_MIN,
        language_urls=_language_urls("admin_accounts.users")), status


# ---------------------------------------------------------------- devices

@bp.get("/devices")
def devices():
    """The devices in service and the form to issue one."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    return _devices_page(DeviceForm(formdata=None, data={"kind": "kiosk"}))


@bp.post("/devices")
def add_device():
    """Issue the device of the form: its token and setup QR code, shown this once."""
    refused = admin_or_refuse()
    if refused is not None:
        return refused
    form = DeviceForm()
    if not form.validate_on_submit():
        abort(400)
    t = translator(JA, page_locale())
    try:
        device, token = accounts.create_device(db.session, form.name.data or "", form.kind.data or "",
                                               form.location.data or "", clock.now(), actor=_actor())
    except Invalid as error:
        db.session.rollback()
        errors = {name: t(messages[0]) for name, messages in error.extra.get("errors", {}).items()}
        return _devices_page(form, errors=errors, status=422)
    fresh = DeviceForm(formdata=None, data={"kind": device.kind, "location": device.location.slug})
    return _once(_devices_page(fresh, issued=created_view(device, token)))


@bp.post("/devices/<int:device_id>/revoke")
def revoke_device(device_id: int):
    """Revoke a device; a connected display is disconnected once this commits."""
    refused = _action_refused()
    if refused is not None:
        return refused
    device = accounts.revoke_device(db.session, device_id, actor=_actor(), now=clock.now())
    realtime.drop_device_after_commit(db.session, device.id)
    return redirect(url_for(".devices", lang=page_locale(), revoked=device.id), 303)


def _devices_page(form: DeviceForm, *, errors: dict | None = None, issued=None, status: int = 200):
    locale = page_locale()
    t = translator(JA, locale)
    message = None
    revoked = request.args.get("revoked", "")
    if revoked.isdigit():
        device = db.session.get(Device, int(revoked))
        if device is not None:
            message = t("%(name)s is revoked: its token no longer works, and a connected display "
                        "was disconnected.", name=device.name)
    return render_template(
        "admin/devices.html", t=t, locale=locale, form=form, errors=errors or {}, issued=issued,
        message=message, devices=accounts.get_devices(db.session),
        online=realtime.online_device_ids(current_app), kinds=accounts.DEVICE_KINDS,
        places=db.session.scalars(select(Location).order_by(Location.id)).all(),
        action_form=ActionForm(), now=clock.now(),
        language_urls=_language_urls("admin_accounts.devices")), status

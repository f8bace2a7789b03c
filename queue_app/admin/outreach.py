"""The staff page of home-visit requests (出張申請), ``/staff/outreach``, for staff and
administrators signed in to the console: the requests by state (new, scheduled, done,
declined), one request with its candidate dates, and its moves: schedule the visit on a
candidate date at a time with the staff who go, decline with a reason, mark it done.
Each move goes through services/outreach.py (audited; the applicant is e-mailed in
their language); when the applicant left only a phone number the page says to call
them, with the number.

Japanese first, English with ``?lang=en``; the words live in ``JA`` like the other
back-office pages, not in the residents' catalogues. Every form carries its CSRF token.
"""
from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from .. import clock
from ..api.auth import STAFF_ROLES
from ..config import TOKYO
from ..extensions import db
from ..models.outreach import OutreachStatus
from ..screening import NOT_SCREENED_FOR_MY_NUMBER
from ..services import outreach
from ..services.errors import Invalid, InvalidTransition, MyNumberRejected, NotFound
from ..services.privacy import my_number_fields
from .pages import page_locale, translator

bp = Blueprint("staff_outreach", __name__, url_prefix="/staff/outreach")

JA = {
    "Home visits": "出張申請",
    "Back to the console": "窓口業務画面に戻る",
    "Other pages and languages": "他のページと表示言語",
    "New": "新規", "Scheduled": "日程確定", "Done": "実施済", "Declined": "お断り",
    "No requests here.": "該当する申請はありません。",
    "No.": "番号", "Received": "受付日時", "Kind": "区分", "Contact person": "申込者(担当者)",
    "Applicants": "申請人数", "Express": "特急発行", "Candidate dates": "候補日",
    "Visit": "訪問日時", "Status": "状態", "Open": "開く",
    "Individual or family": "個人・家族", "Company": "企業", "Group": "団体",
    "Morning": "午前", "Afternoon": "午後", "yes": "あり", "no": "なし",
    "E-mail": "メール", "Phone": "電話番号", "Postcode": "郵便番号", "Address": "訪問先住所",
    "Note": "備考", "Language": "連絡の言語", "Channel": "受付方法",
    "online": "オンライン", "phone": "電話", "counter": "窓口", "email": "メール",
    "Staff who go": "訪問する職員", "Reason": "理由", "Call": "要電話連絡",
    "Personal data purged": "個人情報は削除済みです",
    "Schedule the visit": "訪問日時を確定する",
    "Candidate date": "候補日",
    "Start": "開始時刻",
    "Names or staff ids, e.g. 山田・佐藤": "氏名または職員ID(例:山田・佐藤)",
    "Confirm this date": "この日時で確定する",
    "Decline the request": "申請をお断りする",
    "Told to the applicant.": "申込者にお伝えします。",
    "Decline": "お断りする",
    "The visit took place": "訪問を実施した",
    "Mark as done": "実施済にする",
    "The visit is scheduled.": "訪問日時を確定しました。",
    "The request is declined.": "申請をお断りしました。",
    "The visit is marked as done.": "実施済にしました。",
    "The applicant is told by e-mail.": "申込者にメールでお知らせします。",
    "Call the applicant: no e-mail address was given.": "申込者に電話で連絡してください(メールアドレスの登録がありません)。",
    "Please correct the fields marked below.": "入力内容に誤りがあります。下記の項目をご確認ください。",
    "Choose a candidate date.": "候補日を選択してください。",
    "Enter a time as HH:MM.": "時刻を HH:MM の形で入力してください。",
    "Do not enter a My Number.": "マイナンバーは入力しないでください。",
    "This request has moved on meanwhile; reload the page.": "この申請はすでに処理されています。画面を再読み込みしてください。",
    outreach.MESSAGES["not_candidate"]: "訪問日は申込者の候補日から選んでください。",
    outreach.MESSAGES["start_day"]: "開始時刻は選択した候補日にしてください。",
    outreach.MESSAGES["start_part"]: "開始時刻が申込者の希望(午前・午後)と合いません。",
    outreach.MESSAGES["start_past"]: "過去の日時は指定できません。",
    outreach.MESSAGES["staff"]: f"{outreach.STAFF_MAX}文字以内で入力してください。",
    outreach.MESSAGES["reason"]: f"理由を入力してください({outreach.REASON_MAX}文字以内)。",
}
KIND_WORDS = {"individual": "Individual or family", "company": "Company", "group": "Group"}
STATUS_WORDS = {"new": "New", "scheduled": "Scheduled", "done": "Done", "declined": "Declined"}


class ScheduleForm(FlaskForm):
    candidate = StringField()
    start = StringField()
    staff = StringField()


class DeclineForm(FlaskForm):
    reason = TextAreaField()


class DoneForm(FlaskForm):
    """Only the CSRF token: the request is in the URL."""


def _staff_or_refuse():
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    if current_user.role not in STAFF_ROLES or not current_user.is_active:
        abort(403)
    return None


def _actor() -> str:
    return f"user:{current_user.id}"


@bp.get("")
@bp.get("/")
def page():
    """The requests of one state (new by default), newest first."""
    refused = _staff_or_refuse()
    if refused is not None:
        return refused
    locale = page_locale()
    status = request.args.get("status") or "new"
    if status not in tuple(OutreachStatus):
        status = "new"
    return render_template(
        "outreach/staff_list.html", requests=outreach.get_requests(db.session, status),
        counts=outreach.count_by_status(db.session), status=status, **_common(locale),
        language_urls={code: url_for(".page", status=status, lang=code) for code in ("ja", "en")})


@bp.get("/<int:request_id>")
def detail(request_id: int):
    """One request, with the forms of the moves it can make."""
    refused = _staff_or_refuse()
    if refused is not None:
        return refused
    return _render_detail(request_id, page_locale())


@bp.post("/<int:request_id>/schedule")
def schedule(request_id: int):
    """Fix the visit on a candidate date and time; the applicant is told."""
    refused = _staff_or_refuse()
    if refused is not None:
        return refused
    locale, form = page_locale(), ScheduleForm()
    t = translator(JA, locale)
    if not form.validate_on_submit():
        abort(400)
    item = _request_or_404(request_id, for_update=True)
    errors = _screen(form, t)
    if errors:
        return _render_detail(request_id, locale, schedule_form=form, errors=errors, status=422)
    day = start = None
    try:
        day = date.fromisoformat((form.candidate.data or "").split("|")[0])
    except ValueError:
        errors["candidate"] = t("Choose a candidate date.")
    try:
        start_time = time.fromisoformat((form.start.data or "").strip())
    except ValueError:
        errors["start"] = t("Enter a time as HH:MM.")
    if not errors:
        start = datetime.combine(day, start_time, tzinfo=TOKYO)
        try:
            outreach.schedule_visit(db.session, item, day=day, start=start, staff=form.staff.data,
                                    actor=_actor(), now=clock.now())
        except (Invalid, MyNumberRejected, InvalidTransition) as error:
            db.session.rollback()
            _explain(error, errors, t, {"date": "candidate"})
    if errors:
        return _render_detail(request_id, locale, schedule_form=form, errors=errors, status=422)
    return redirect(url_for(".detail", request_id=request_id, lang=locale, done="scheduled"), 303)


@bp.post("/<int:request_id>/decline")
def decline(request_id: int):
    """Decline with a reason; the applicant is told."""
    refused = _staff_or_refuse()
    if refused is not None:
        return refused
    locale, form = page_locale(), DeclineForm()
    t = translator(JA, locale)
    if not form.validate_on_submit():
        abort(400)
    item = _request_or_404(request_id, for_update=True)
    errors = _screen(form, t)
    if errors:
        return _render_detail(request_id, locale, decline_form=form, errors=errors, status=422)
    try:
        outreach.decline_request(db.session, item, reason=form.reason.data or "", actor=_actor(),
                                 now=clock.now())
    except (Invalid, MyNumberRejected, InvalidTransition) as error:
        db.session.rollback()
        _explain(error, errors, t, {})
        return _render_detail(request_id, locale, decline_form=form, errors=errors, status=422)
    return redirect(url_for(".detail", request_id=request_id, lang=locale, done="declined"), 303)


@bp.post("/<int:request_id>/done")
def done(request_id: int):
    """The visit took place."""
    refused = _staff_or_refuse()
    if refused is not None:
        return refused
    locale = page_locale()
    if not DoneForm().validate_on_submit():
        abort(400)
    item = _request_or_404(request_id, for_update=True)
    try:
        outreach.complete_visit(db.session, item, actor=_actor(), now=clock.now())
    except InvalidTransition as error:
        db.session.rollback()
        errors: dict[str, str] = {}
        _explain(error, errors, translator(JA, locale), {})
        return _render_detail(request_id, locale, errors=errors, status=409)
    return redirect(url_for(".detail", request_id=request_id, lang=locale, done="done"), 303)


# ---------------------------------------------------------------- helpers

def _request_or_404(request_id: int, for_update: bool = False):
    try:
        return outreach.get_request(db.session, request_id, for_update)
    except NotFound:
        abort(404)


def _screen(form: FlaskForm, t) -> dict[str, str]:
    """Blank every field holding a My Number (never shown again) and say so next to it."""
    texts = {field.name: field.data for field in form
             if isinstance(field.data, str) and field.name not in NOT_SCREENED_FOR_MY_NUMBER}
    errors = {}
    for name in my_number_fields(texts):
        form[name].data = ""
        errors[name] = t("Do not enter a My Number.")
    return errors


def _explain(error, errors: dict, t, rename: dict) -> None:
    if isinstance(error, InvalidTransition):
        errors["general"] = t("This request has moved on meanwhile; reload the page.")
    elif isinstance(error, MyNumberRejected):
        for field in error.extra.get("errors", {}):
            errors[rename.get(field, field)] = t("Do not enter a My Number.")
    else:
        for field, messages in error.extra.get("errors", {}).items():
            errors[rename.get(field, field)] = t(messages[0])


def _common(locale: str) -> dict:
    t = translator(JA, locale)
    return {"locale": locale, "t": t, "kind_word": lambda kind: t(KIND_WORDS.get(kind, kind)),
            "status_word": lambda status: t(STATUS_WORDS.get(status, status)),
            "part_word": lambda part: t("Morning" if part == "am" else "Afternoon"),
            "candidates_of": outreach.candidate_days}


def _render_detail(request_id: int, locale: str, *, schedule_form=None, decline_form=None,
                   errors=None, status: int = 200):
    item = _request_or_404(request_id)
    t = translator(JA, locale)
    messages = {"scheduled": "The visit is scheduled.", "declined": "The request is declined.",
                "done": "The visit is marked as done."}
    done_word = request.args.get("done")
    message = t(messages[done_word]) if done_word in messages else None
    call = item.email is None and item.phone is not None
    if schedule_form is None:
        schedule_form = ScheduleForm(formdata=None, data={
            "candidate": f"{item.visit_date.isoformat()}" if item.visit_date else "",
            "start": item.visit_start.strftime("%H:%M") if item.visit_start else "",
            "staff": item.staff or ""})
    return render_template(
        "outreach/staff_detail.html", item=item, message=message, call=call,
        told=done_word in ("scheduled", "declined"),
        schedule_form=schedule_form, decline_form=decline_form or DeclineForm(formdata=None),
        done_form=DoneForm(), errors=errors or {}, **_common(locale),
        language_urls={code: url_for(".detail", request_id=request_id, lang=code)
                       for code in ("ja", "en")}), status

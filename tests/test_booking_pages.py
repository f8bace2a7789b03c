"""The booking pages: Japanese first, English a tap away; place → procedure → calendar →
slots → form → confirmation; errors next to their fields in both languages; never a My
Number echoed back; CSRF, rate limits and no inline script or style."""
from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from conftest import book
from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import Location, Reservation, Slot
from resident_helpers import (book_form, csrf_from, decode_qr, form_url, manage_args, outbox_rows,
                              reservation_row)


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def day_status(response, day: str) -> str:
    match = re.search(rf'data-date="{day}" data-status="(\w+)"', response.get_data(as_text=True))
    assert match, day
    return match.group(1)


def fill_day(app, slug: str, day: str, leave: int = 0):
    """Take every seat of a day's slots but ``leave`` (straight in the database)."""
    from queue_app.services import booking, calendar

    with app.app_context():
        location = db.session.scalar(select(Location).where(Location.slug == slug))
        service = booking.get_service(db.session, "card-pickup")
        capacity = calendar.reservation_capacity(db.session, location, service)
        starts = calendar.get_day(db.session, location, datetime.fromisoformat(day).date()).slot_starts(service)
        for index, start in enumerate(starts):
            free = 1 if index < leave else 0
            db.session.add(Slot(location_id=location.id, starts_at=start, capacity=capacity,
                                booked=capacity - free))
        db.session.commit()


def test_japanese_by_default_and_english_a_tap_away(client):
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.get_data(as_text=True)
    assert "窓口を選択してください" in text_of(page)
    assert "市民課 芦原分室" in text_of(page)
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Choose the place" in text_of(english)
    # Remembered for the next page, without the parameter.
    assert "Choose the procedure" in text_of(client.get("/book/honcho"))
    assert "手続きを選択してください" in text_of(client.get("/book/honcho?lang=ja"))


def test_procedures_with_what_to_bring(client):
    honcho = text_of(client.get("/book/honcho"))
    assert "マイナンバーカードの受け取り(交付)" in honcho
    assert "交付通知書(はがき)" in honcho and "再交付手数料" in honcho
    assert "休日窓口のみ(完全予約制)" in honcho  # card applications: the holiday window only
    assert "紛失による再発行" not in honcho  # walk-in only
    awara = text_of(client.get("/book/awara?lang=en"))
    assert "Picking up your My Number card" in awara and "notice postcard" in awara
    assert "Applying for a My Number card" not in awara
    assert client.get("/book/nowhere").status_code == 404
    assert client.get("/book/honcho?location=awara").status_code == 200  # a stray parameter
    assert client.get("/book/honcho/reissue").status_code == 404


def test_month_calendar_open_few_full_closed_and_reservation_only(app, client):
    fill_day(app, "honcho", "2027-01-15")
    fill_day(app, "honcho", "2027-01-18", leave=3)
    page = client.get("/book/honcho/card-pickup")
    assert page.status_code == 200
    assert "2027年1月" in text_of(page)
    assert day_status(page, "2027-01-13") == "open"
    assert day_status(page, "2027-01-15") == "full"
    assert day_status(page, "2027-01-18") == "few"
    assert day_status(page, "2027-01-16") == "closed"  # Saturday
    assert day_status(page, "2027-01-17") == "closed"  # a Sunday without the holiday window
    assert day_status(page, "2027-01-11") == "unavailable"  # the past
    assert re.search(r'class="day status-open reservation-only" data-date="2027-01-24"',
                     page.get_data(as_text=True))  # the 4th Sunday: holiday window
    assert 'href="/book/honcho/card-pickup/2027-01-13"' in page.get_data(as_text=True)
    assert 'href="/book/honcho/card-pickup/2027-01-15"' not in page.get_data(as_text=True)

    february = client.get("/book/honcho/card-pickup?month=2027-02")
    assert day_status(february, "2027-02-10") == "open"
    assert day_status(february, "2027-02-11") == "closed"  # National Foundation Day
    assert day_status(february, "2027-02-12") == "unavailable"  # beyond the 30-day horizon
    assert "‹ 2027年1月" in text_of(february)


def test_the_days_slots_full_days_and_holiday_windows(app, client):
    day = client.get("/book/honcho/card-pickup/2027-01-14")
    slots = re.findall(r'<a class="slot" href="/book/honcho/card-pickup/2027-01-14/(\d{4})"', day.get_data(as_text=True))
    assert slots[0] == "0900" and slots[-1] == "1645" and len(slots) == 32
    assert "残り2枠" in text_of(day)

    sunday = text_of(client.get("/book/honcho/card-pickup/2027-01-24"))
    assert "この日は休日窓口(完全予約制)です。予約のない方の受付はできません" in sunday
    assert "11:45–12:00" in sunday and "12:00–" not in sunday

    fill_day(app, "honcho", "2027-01-24")
    full = text_of(client.get("/book/honcho/card-pickup/2027-01-24?lang=en"))
    assert "This day is fully booked. Please choose another day." in full
    assert "by reservation only" in full


def test_booking_through_the_form_shows_the_confirmation(app, client):
    response = book_form(client, proxy="y")
    assert response.status_code == 303
    code, token = manage_args(response.headers["Location"])
    row = reservation_row(app, code)
    assert (row.name, row.email, row.language, row.proxy) == ("山田 花子", "hanako@example.jp", "ja", True)
    assert row.starts_at == datetime(2027, 1, 14, 9, 0, tzinfo=TOKYO)

    page = client.get(response.headers["Location"])
    text = text_of(page)
    assert "予約が完了しました" in text and code in text
    assert "2027年1月14日(木) 9:00–9:15" in text
    assert f"/reservations/{code}?token={token}&lang=ja" in text  # the manage link
    qr_src = html.unescape(re.search(r'<img class="qr" src="([^"]+)"', page.get_data(as_text=True)).group(1))
    qr = client.get(qr_src)
    assert qr.mimetype == "image/png"
    payload = client.get(f"/api/v1/reservations/{code}?token={token}").get_json()["check_in_payload"]
    assert decode_qr(qr.data) == payload
    ics_href = html.unescape(re.search(r'href="([^"]+calendar\.ics[^"]*)"', page.get_data(as_text=True)).group(1))
    ics = client.get(ics_href)
    assert ics.mimetype == "text/calendar"
    assert "DTSTART:20270114T000000Z" in ics.get_data(as_text=True)
    assert [m.template for m in outbox_rows(app)] == ["confirmation"]


def test_invalid_fields_are_explained_next_to_them_and_kept(client):
    response = book_form(client, name="", email="", phone="")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="name-error"' in body and "お名前を入力してください" in body
    assert re.search(r'<input aria-describedby="name-hint name-error" aria-invalid="true"[^>]* id="name"', body)
    assert "メールアドレスまたは電話番号のどちらかを入力してください" in body

    response = book_form(client, lang="en", name="Maria Santos", email="not-an-address", phone="12")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Please enter a valid e-mail address" in body
    assert "Please enter a Japanese phone number" in body
    assert 'value="Maria Santos"' in body and 'value="not-an-address"' in body  # kept


@pytest.mark.parametrize("lang, message", [
    ("ja", "マイナンバー(12桁の個人番号)は入力しないでください。"),
    ("en", "Please do not enter your My Number"),
])
def test_a_my_number_is_refused_and_never_echoed(app, client, lang, message):
    response = book_form(client, lang=lang, name="1234 5678 9012", phone="123456789012")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert "1234 5678 9012" not in body and "123456789012" not in body
    assert 'id="name-error"' in body and 'id="phone-error"' in body
    assert 'value="hanako@example.jp"' in body  # the rest is kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 0


def test_duplicate_full_and_past_slots(app, client):
    assert book_form(client).status_code == 303
    duplicate = book_form(client, url=form_url(hhmm="1000"))
    assert duplicate.status_code == 409
    assert 'id="email-error"' in duplicate.get_data(as_text=True)
    assert "同じ手続きの予約がすでにあります" in text_of(duplicate)

    book(client, start="2027-01-14T11:00:00+09:00")
    page = client.get(form_url(hhmm="1100"))  # one seat left: the form is still offered
    book(client, start="2027-01-14T11:00:00+09:00")
    full = client.post(form_url(hhmm="1100"), data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "name": "佐藤 一郎", "email": "ichiro@example.jp"})
    assert full.status_code == 409
    assert "この時間はただいま満員になりました" in text_of(full)
    assert "この時間は満員か" in text_of(client.get(form_url(hhmm="1100")))

    past = client.get(form_url(day="2027-01-12", hhmm="0900"))
    assert "予約受付を終了しました" in text_of(past)
    assert client.get(form_url(hhmm="0910")).status_code == 404  # not a slot


def test_a_post_without_its_csrf_token_is_refused(app, client):
    response = client.post(form_url(), data={"name": "山田 花子", "email": "hanako@example.jp"})
    assert response.status_code == 400
    assert "ページの有効期限が切れました" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 0


def test_rate_limits_per_address_and_per_contact(make_app):
    app = make_app(BOOKING_RATE_LIMIT="3/hour")
    client = app.test_client()
    hhmm = iter(["0900", "0915", "0930", "0945", "1000", "1015", "1030", "1045"])

    def attempt(address: str, email: str):
        page = client.get(form_url(hhmm=next(hhmm)), environ_base={"REMOTE_ADDR": address})
        return client.post(page.request.path, environ_base={"REMOTE_ADDR": address}, data={
            "csrf_token": csrf_from(page.get_data(as_text=True)), "name": "", "email": email})

    # The same contact from three addresses, then a fourth: refused.
    assert [attempt(f"10.0.0.{i}", "same@example.jp").status_code for i in range(1, 5)] == [422, 422, 422, 429]
    # One address with new contacts: its third try was above; the fourth is refused.
    assert attempt("10.0.0.1", "new1@example.jp").status_code == 422
    assert attempt("10.0.0.1", "new2@example.jp").status_code == 422
    refused = attempt("10.0.0.1", "new3@example.jp")
    assert refused.status_code == 429
    assert "短時間に多くのお申し込みがありました" in text_of(refused)

    # The API too: the same contact from new addresses.
    api = app.test_client()
    for i in range(3):
        assert api.post("/api/v1/reservations", environ_base={"REMOTE_ADDR": f"10.1.0.{i}"},
                        json={"email": "api@example.jp"}).status_code == 422
    assert api.post("/api/v1/reservations", environ_base={"REMOTE_ADDR": "10.1.0.9"},
                    json={"email": "api@example.jp"}).status_code == 429


def test_pages_carry_no_inline_script_or_style(app, client):
    code, token = manage_args(book_form(client).headers["Location"])
    urls = ["/", "/book/honcho", "/book/honcho/card-pickup", "/book/honcho/card-pickup/2027-01-14",
            form_url(hhmm="1000"), f"/reservations/{code}/confirmed?token={token}",
            f"/reservations/{code}?token={token}", f"/reservations/{code}/cancel?token={token}",
            f"/reservations/{code}/move?token={token}", "/reservations/XXXX-XXXX?token=x", "/info"]
    for url in urls:
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", body), url
        assert re.search(r'<html lang="(ja|en)">', body), url
        for field in re.findall(r'<input[^>]*type="(?:text|email|tel)"[^>]*>', body):
            field_id = re.search(r'id="([^"]+)"', field).group(1)
            assert f'for="{field_id}"' in body, (url, field_id)  # every field has a label


def test_the_japanese_catalogue_is_complete_and_compiled():
    """Every string of the resident pages and e-mails has its Japanese, and the committed
    .mo says what the .po says (pybabel compile was run)."""
    import gettext
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1] / "queue_app"
    ours = ("templates/base.html", "templates/booking/", "templates/mail/", "web/booking.py",
            "web/manage.py", "web/forms.py", "web/info.py", "web/resident_pages.py", "notify.py", "i18n.py")
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
    used = {message for filename, _line, message, _comments, _context in
            extract_from_dir(str(root), method_map, keywords=keywords)
            if filename.startswith(ours)}
    assert len(used) > 100
    translations = root / "translations" / "ja" / "LC_MESSAGES"
    with open(translations / "messages.po", "rb") as po_file:
        catalog = read_po(po_file)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(used - set(translated)) == []
    with open(translations / "messages.mo", "rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    assert {k: compiled.gettext(k) for k in translated} == translated

"""A resident site a city would publish (issue 13): the lateness rule wherever the
resident reads about the visit, in the configured minutes; every form error at once;
the phone-only confirmation; the information page read from the calendar data and the
settings; what to bring as the city's page says it today; the day's slots under morning
and afternoon."""
from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from conftest import book
from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import Closure, Location, OpeningHours
from queue_app.services import booking, housekeeping
from resident_helpers import (body_text, book_form, form_url, mail_config, manage_args, send_outbox,
                              smtp)  # noqa: F401 (fixture)
from test_booking_pages import text_of


# ---------------------------------------------------------------- lateness rule

@pytest.mark.parametrize("lang, expected", [
    ("ja", "予約での受付は、予約時間の20分後(9:20)までです。これを過ぎてお越しの場合は、受付機で予約なしの番号札をお取りください"),
    ("en", "Check-in closes 20 minutes after your time (at 9:20). If you arrive later, please take a walk-in "
           "number at the kiosk"),
])
def test_the_confirmation_and_manage_pages_give_the_configured_lateness_rule(make_app, lang, expected):
    client = make_app(CHECKIN_LATE_MINUTES=20).test_client()
    response = book_form(client, lang=lang)
    code, token = manage_args(response.headers["Location"])
    assert expected in text_of(client.get(response.headers["Location"]))
    assert expected in text_of(client.get(f"/reservations/{code}?token={token}"))


def test_every_e_mail_gives_the_configured_lateness_rule(make_app, smtp, clock):
    app = make_app(CHECKIN_LATE_MINUTES=20, **mail_config(smtp.port))
    created = book(app.test_client(), language="ja").get_json()
    english = book(app.test_client(), language="en", name="Maria Santos",
                   start="2027-01-14T10:00:00+09:00").get_json()
    with app.app_context():
        reservation = booking.get_reservation(db.session, english["code"], english["token"])
        booking.move_reservation(db.session, reservation, datetime(2027, 1, 14, 11, 30, tzinfo=TOKYO),
                                 clock(), booking.BookingPolicy())
        db.session.commit()
    clock.set(2027, 1, 13, 9, 0)  # the day before: reminders
    with app.app_context():
        assert housekeeping.queue_reminders(db.session, clock()) == 2
        db.session.commit()
    send_outbox(app)
    messages = {message["Subject"]: body_text(message) for _, message in smtp.wait_for(5)}
    japanese = {subject: text for subject, text in messages.items() if created["code"] in subject}
    assert len(japanese) == 2  # confirmation, reminder
    for text in japanese.values():
        assert "受付は予約時間の30分前から行えます。" in text
        assert "予約での受付は、予約時間の20分後(9:20)までです。" in text
        assert "受付機で予約なしの番号札をお取りください(ご予約の方の後のご案内になります)。" in text
    in_english = {subject: text for subject, text in messages.items() if english["code"] in subject}
    assert len(in_english) == 3  # confirmation, moved, reminder
    moved = in_english[f"Your reservation has been moved ({english['code']})"]
    assert "Check-in closes 20 minutes after your time (at 11:50)." in moved
    reminder = in_english[f"Reminder: your visit tomorrow ({english['code']})"]
    assert "Check-in closes 20 minutes after your time (at 11:50)." in reminder
    assert "please take a walk-in number at the kiosk" in reminder


# ---------------------------------------------------------------- the form

def test_a_my_number_no_longer_hides_the_other_errors(app, client):
    response = book_form(client, name="1234 5678 9012", email="not-an-address", phone="12")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "1234 5678 9012" not in body
    summary = body[body.index('id="error-summary"'):body.index("</div>", body.index('id="error-summary"'))]
    assert re.findall(r'href="#(\w+)"', summary) == ["name", "email", "phone"]
    assert "【お名前】マイナンバー(12桁の個人番号)は入力しないでください。" in text_of(response)
    assert "【メールアドレス】メールアドレスを正しく入力してください。" in text_of(response)
    assert "【電話番号】電話番号を正しく入力してください。" in text_of(response)
    assert "お名前を入力してください" not in body  # one message for the name: the My Number's
    for field in ("name", "email", "phone"):
        assert re.search(rf'<input aria-describedby="{field}-hint {field}-error" aria-invalid="true"[^>]* id="{field}"', body)


def test_a_my_number_as_the_only_contact_asks_for_nothing_twice(client):
    body = book_form(client, lang="en", name="", email="", phone="123456789012").get_data(as_text=True)
    assert "Please enter your name" in body
    assert 'id="phone-error"' in body and "Please do not enter your My Number" in body
    assert 'id="email-error"' not in body  # "an e-mail address or a phone number": the phone's message says it


def test_only_a_phone_only_confirmation_asks_to_keep_the_code(client):
    phone_only = book_form(client, email="", phone="090-1234-5678")
    text = text_of(client.get(phone_only.headers["Location"]))
    assert "予約番号とQRコードを控えてください" in text
    assert "このページを印刷するか、画面を保存(スクリーンショット)して、当日お持ちください。" in text
    assert '<button type="button" class="button" id="print-page" hidden>' in client.get(
        phone_only.headers["Location"]).get_data(as_text=True)  # shown by the script, which can print
    with_mail = book_form(client, url=form_url(hhmm="1000", location="awara"))
    assert "予約番号とQRコードを控えてください" not in text_of(client.get(with_mail.headers["Location"]))


# ---------------------------------------------------------------- information page

def test_the_information_page_reads_hours_and_places_from_the_data(app, client):
    page = text_of(client.get("/info"))
    assert "受付時間・窓口の場所・お問い合わせ" in page
    assert "平日(月曜日〜金曜日) 8:30〜17:15 予約できる時間: 9:00〜17:00" in page
    assert "休日窓口(完全予約制) 毎月第2・第4日曜日 9:00〜12:00" in page
    assert "延長窓口 毎週木曜日 17:15〜19:00" in page
    assert "土曜日、日曜日(休日窓口の日を除く)、祝日(振替休日を含む)及び年末年始(12月29日から1月3日まで)は閉庁しています。" in page
    assert "保健センターの中にあります" in page and "市役所本庁舎にあります" in page
    assert "0776-73-8014" in page and "0120-95-0178" in page

    # The calendar rows, not the template, decide the hours; an extra closure shows.
    with app.app_context():
        awara = db.session.scalar(select(Location).where(Location.slug == "awara"))
        for row in db.session.scalars(select(OpeningHours).where(OpeningHours.location_id == awara.id,
                                                                 OpeningHours.weekday == 4)):
            row.closes, row.slots_until = time(12, 0), time(11, 45)
        db.session.add(Closure(location_id=awara.id, on_date=date(2027, 1, 20), reason="システム更新"))
        db.session.commit()
    english = text_of(client.get("/info?lang=en"))
    assert "Monday, Tuesday, Wednesday, and Thursday 8:30 to 17:15" in english
    assert "Friday 8:30 to 12:00 Reservations: 9:00 to 11:45" in english
    assert "Holiday window: by reservation only 2nd and 4th Sunday of each month 9:00 to 12:00" in english
    assert "Also closed on: Wed 20 January 2027" in english


def test_the_telephone_is_a_setting(make_app):
    page = make_app(CITY_PHONE="0120-000-000").test_client().get("/info")
    assert 'href="tel:0120000000"' in page.get_data(as_text=True) and "0120-000-000" in text_of(page)


def test_procedures_without_reservation(client):
    page = client.get("/info").get_data(as_text=True)
    walk_in = text_of_section(page, 'id="walk-in"')
    for name in ("紛失による再発行", "券面記載事項の変更(転入・転居・婚姻)", "暗証番号の再設定・ロック解除",
                 "マイナンバーカードの申請(写真撮影無料)"):
        assert name in walk_in
    assert walk_in.count("予約不要") >= 4
    assert "マイナンバーカードの受け取り(交付)" not in walk_in and "電子証明書の更新" not in walk_in
    assert "休日窓口の日は、完全予約制です(市役所 市民課)。" in walk_in  # applications on Sundays
    assert "手数料1,000円" in walk_in  # what to bring, from the procedure


def text_of_section(body: str, marker: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body[body.index(marker):]))


def test_every_resident_page_links_to_the_information_page(app, client):
    code, token = manage_args(book_form(client).headers["Location"])
    for url in ("/", "/book/honcho", "/book/honcho/card-pickup", "/book/honcho/card-pickup/2027-01-14",
                form_url(hhmm="1000"), f"/reservations/{code}/confirmed?token={token}",
                f"/reservations/{code}?token={token}", f"/reservations/{code}/cancel?token={token}"):
        assert 'href="/info"' in client.get(url).get_data(as_text=True), url


# ---------------------------------------------------------------- what to bring, slots

def test_what_to_bring_as_the_city_says_it_today(client):
    japanese = text_of(client.get("/book/honcho"))
    assert "健康保険証" not in japanese
    assert "資格確認書" in japanese
    assert "住民基本台帳カード(お持ちの方。受け取りの際にご返納いただきます)" in japanese
    english = text_of(client.get("/book/honcho?lang=en"))
    assert "health insurance card" not in english
    assert "Basic Resident Register card (住民基本台帳カード, the \"Juki card\")" in english
    assert "eligibility certificate (資格確認書)" in english


def test_the_days_slots_under_morning_and_afternoon(client):
    body = client.get("/book/honcho/card-pickup/2027-01-14?lang=en").get_data(as_text=True)
    morning, afternoon = body.split('id="slots-afternoon"')
    assert "Morning" in morning and len(re.findall(r'class="slot"', morning)) == 12
    assert len(re.findall(r'class="slot"', afternoon)) == 20
    sunday = client.get("/book/honcho/card-pickup/2027-01-24").get_data(as_text=True)  # holiday window
    assert 'id="slots-morning"' in sunday and 'id="slots-afternoon"' not in sunday

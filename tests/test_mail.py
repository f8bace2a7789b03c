"""E-mail to residents, received by a real SMTP server: the confirmation with its QR code
and .ics, the reminder, the notices of a move and of a cancellation, in the resident's
language; the manage token is carried only until the confirmation is sent."""
from __future__ import annotations

from datetime import datetime

import pytest

from conftest import book
from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.services import housekeeping
from resident_helpers import (PUBLIC_BASE_URL, attachments, body_text, decode_qr, mail_config,
                              outbox_rows, send_outbox, smtp)  # noqa: F401 (fixture)


@pytest.fixture
def mail_app(make_app, smtp):
    return make_app(**mail_config(smtp.port))


def test_confirmation_in_japanese_with_qr_code_and_calendar_file(mail_app, smtp):
    client = mail_app.test_client()
    created = book(client, email="hanako@example.jp", language="ja").get_json()
    assert outbox_rows(mail_app)[0].secret == created["token"]  # carried until sent

    assert send_outbox(mail_app) == {"sent": 1, "failed": 0, "skipped": 0}
    [(recipients, message)] = smtp.wait_for(1)
    assert recipients == ["hanako@example.jp"]
    assert message["Subject"] == f"【予約完了】マイナンバーカード窓口のご予約(予約番号 {created['code']})"
    assert message["Content-Language"] == "ja"
    text = body_text(message)
    assert "山田 花子 様" in text
    assert "2027年1月14日(木) 9:00 - 9:15" in text
    assert "交付通知書" in text  # what to bring
    assert f"{PUBLIC_BASE_URL}/reservations/{created['code']}?token={created['token']}&lang=ja" in text

    files = attachments(message)
    png_type, png = files[f"reservation-{created['code']}.png"]
    assert png_type == "image/png"
    assert decode_qr(png) == created["check_in_payload"]
    ics_type, ics = files[f"reservation-{created['code']}.ics"]
    assert ics_type == "text/calendar"
    ics_text = ics.decode()
    unfolded = ics_text.replace("\r\n ", "")
    assert ics_text.startswith("BEGIN:VCALENDAR\r\n") and ics_text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20270114T000000Z" in unfolded and "DTEND:20270114T001500Z" in unfolded
    assert f"UID:reservation-{created['code']}@yoyaku.city.example.jp" in unfolded
    assert "SUMMARY:マイナンバーカードの受け取り(交付) / 市役所 市民課" in unfolded
    assert all(len(line.encode()) <= 75 for line in ics_text.split("\r\n"))

    [row] = outbox_rows(mail_app)
    assert (row.status, row.secret, row.attempts) == ("sent", None, 1)  # the token is gone
    assert send_outbox(mail_app)["sent"] == 0  # nothing twice
    assert len(smtp.messages) == 1


def test_english_reservation_gets_english_mail(mail_app, smtp):
    created = book(mail_app.test_client(), name="Maria Santos", language="en").get_json()
    send_outbox(mail_app)
    [(_, message)] = smtp.wait_for(1)
    assert message["Subject"] == f"Your reservation is confirmed ({created['code']})"
    text = body_text(message)
    assert "Dear Maria Santos," in text
    assert "Thu 14 January 2027 9:00 - 9:15" in text
    assert "notice postcard" in text
    assert "&lang=en" in text


def test_cancellation_notice_and_a_confirmation_that_never_left(mail_app, smtp):
    client = mail_app.test_client()
    created = book(client, language="en").get_json()
    # Cancelled before the outbox job ran: the token leaves the outbox at once, and the
    # confirmation is not sent after the fact.
    assert client.delete(f"/api/v1/reservations/{created['code']}?token={created['token']}").status_code == 200
    assert all(row.secret is None for row in outbox_rows(mail_app))

    assert send_outbox(mail_app) == {"sent": 1, "failed": 0, "skipped": 1}
    [(_, message)] = smtp.wait_for(1)
    assert message["Subject"] == f"Your reservation has been cancelled ({created['code']})"
    assert "Your reservation has been cancelled." in body_text(message)
    assert created["token"] not in message.as_string()
    assert attachments(message) == {}
    statuses = {row.template: row.status for row in outbox_rows(mail_app)}
    assert statuses == {"confirmation": "skipped", "cancellation": "sent"}


def test_reminder_the_day_before_carries_the_qr_code_but_no_token(mail_app, smtp, clock):
    created = book(mail_app.test_client(), language="ja").get_json()
    send_outbox(mail_app)
    smtp.wait_for(1)
    clock.set(2027, 1, 13, 9, 0)  # the day before the visit
    with mail_app.app_context():
        assert housekeeping.queue_reminders(db.session, clock()) == 1
        db.session.commit()
    assert send_outbox(mail_app)["sent"] == 1
    _, reminder = smtp.wait_for(2)[1]
    assert reminder["Subject"] == f"【明日のご来庁について】マイナンバーカード窓口のご予約(予約番号 {created['code']})"
    assert "明日のご予約についてお知らせします。" in body_text(reminder)
    assert created["token"] not in reminder.as_string()
    files = attachments(reminder)
    assert decode_qr(files[f"reservation-{created['code']}.png"][1]) == created["check_in_payload"]


def test_moved_notice_with_the_new_time(mail_app, smtp):
    from queue_app.services import booking

    created = book(mail_app.test_client(), language="en").get_json()
    with mail_app.app_context():
        reservation = booking.get_reservation(db.session, created["code"], created["token"])
        booking.move_reservation(db.session, reservation, datetime(2027, 1, 15, 11, 30, tzinfo=TOKYO),
                                 mail_app.config["CLOCK"](), booking.BookingPolicy())
        db.session.commit()
    assert send_outbox(mail_app)["sent"] == 2
    subjects = {m["Subject"]: m for _, m in smtp.wait_for(2)}
    moved = subjects[f"Your reservation has been moved ({created['code']})"]
    assert "Fri 15 January 2027 11:30 - 11:45" in body_text(moved)
    ics = attachments(moved)[f"reservation-{created['code']}.ics"][1].decode().replace("\r\n ", "")
    assert "DTSTART:20270115T023000Z" in ics


def test_phone_only_reservations_get_no_mail(mail_app, smtp):
    assert book(mail_app.test_client(), email=None, phone="090-1234-5678").status_code == 201
    assert outbox_rows(mail_app) == []

"""Residents who left only a phone number: the staff's call list of a day (phone-only
reservations still booked, and those an emergency closure cancelled, with the reason),
printable and for staff only; and the day-before reminder as a text message through the
SMS gateway, which by default sends nothing and says so (the row is skipped, the log
names the reservation, never the number)."""
from __future__ import annotations

import logging
import pytest
from sqlalchemy import select

import sms_gateways
from queue_app import jobs
from queue_app.extensions import db
from queue_app.models import OutboxMessage
from queue_helpers import bearer, make_device, make_staff  # noqa: F401
from resident_helpers import mail_config, send_outbox, smtp  # noqa: F401,F811 (fixture)
from test_admin_accounts import sign_in
from test_closures import book_for, close, moment

PHONE = "090-1234-5678"
STORED = "09012345678"  # as the booking keeps it (booking.normalise_phone)


def queue_reminders(app, clock, when: tuple) -> int:
    clock.set(*when)
    with app.app_context():
        try:
            return jobs.queue_reminders()
        finally:
            db.session.remove()


def rows(app, template: str) -> list[OutboxMessage]:
    with app.app_context():
        return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)).all()


@pytest.fixture
def signed_in(make_app):
    app = make_app()
    make_staff(app, username="clerk")
    client = app.test_client()
    assert sign_in(client, "clerk").status_code == 302
    return app, client


def test_the_call_list_shows_phone_only_residents_of_the_day(signed_in):
    app, client = signed_in
    by_phone = book_for(app, moment(10, 0), email=None, phone=PHONE, name="電話 太郎")
    by_mail = book_for(app, moment(10, 15))
    other_day = book_for(app, moment(11, 0, day=15), email=None, phone="080-0000-1111")

    page = client.get("/staff/call-list?location=honcho&date=2027-01-14")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert by_phone in html and STORED in html and "電話 太郎" in html and "予約のご案内" in html
    assert by_mail not in html and other_day not in html
    # Tomorrow's by default: the clock stands at 12 January, so the 13th (nobody).
    assert "電話連絡が必要な方はいません" in client.get("/staff/call-list").get_data(as_text=True)
    assert other_day in client.get("/staff/call-list?date=2027-01-15").get_data(as_text=True)


def test_residents_an_emergency_closure_cancelled_stay_on_the_day_s_call_list(signed_in):
    app, client = signed_in
    _, admin = make_staff(app, role="admin")
    cancelled = book_for(app, moment(10, 0), email=None, phone=PHONE)
    response = close(client, admin, emergency=True, start="09:00", end="12:00")
    assert response.status_code == 201 and response.get_json()["call_list"][0]["code"] == cancelled
    html = client.get("/staff/call-list?date=2027-01-14").get_data(as_text=True)
    assert cancelled in html and "緊急閉庁により取消" in html and "大雪のため" in html


def test_the_call_list_is_for_staff_only(make_app):
    app = make_app()
    anonymous = app.test_client().get("/staff/call-list")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]
    _, kiosk = make_device(app)
    assert app.test_client().get("/staff/call-list", headers=bearer(kiosk)).status_code == 302


def test_without_an_sms_provider_the_reminder_is_skipped_and_says_so(make_app, clock, caplog):
    app = make_app()
    code = book_for(app, moment(10, 0), email=None, phone=PHONE)
    mailed = book_for(app, moment(10, 15))
    assert queue_reminders(app, clock, (2027, 1, 13, 9, 5)) == 2
    assert len(rows(app, "reminder")) == 1
    [sms] = rows(app, "sms_reminder")
    assert sms.recipient == STORED
    with caplog.at_level(logging.INFO):
        report = send_outbox(app)
    assert report["skipped"] == 1
    [sms] = rows(app, "sms_reminder")
    assert sms.status == "skipped" and "call list" in sms.last_error
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert code in logged and STORED not in logged and "no SMS provider" in logged
    assert mailed  # its e-mail is the outbox's business (test_outbox.py)


def test_a_configured_gateway_gets_the_reminder_in_the_resident_s_language(make_app, clock, smtp):  # noqa: F811
    app = make_app(SMS_GATEWAY="sms_gateways:Recording", **mail_config(smtp.port))
    sms_gateways.RECEIVED.clear()
    japanese = book_for(app, moment(10, 0), email=None, phone=PHONE)
    english = book_for(app, moment(10, 15), email=None, phone="+81 80-2222-3333", language="en")
    queue_reminders(app, clock, (2027, 1, 13, 9, 5))
    assert send_outbox(app)["sent"] == 2
    texts = {m.reservation_code: m for m in sms_gateways.RECEIVED}
    assert texts[japanese].to == STORED and texts[english].to == "08022223333" and japanese in texts[japanese].text
    assert texts[japanese].text.startswith("【市役所 市民課】ご予約") and "2027年1月14日" in texts[japanese].text
    assert texts[english].text.startswith("City Hall Citizens' Division") and "14 January 2027" in texts[english].text
    assert {m.status for m in rows(app, "sms_reminder")} == {"sent"}
    # Queued once: the job running again adds nothing.
    assert queue_reminders(app, clock, (2027, 1, 13, 9, 20)) == 0


def test_a_gateway_that_is_down_is_retried(make_app, clock):
    app = make_app(SMS_GATEWAY="sms_gateways:Down")
    book_for(app, moment(10, 0), email=None, phone=PHONE)
    queue_reminders(app, clock, (2027, 1, 13, 9, 5))
    assert send_outbox(app)["failed"] == 1
    [sms] = rows(app, "sms_reminder")
    assert sms.status == "pending" and sms.attempts == 1 and sms.last_error == "ConnectionError"


def test_a_wrong_sms_gateway_fails_the_texts_not_the_e_mail(make_app, clock, smtp):  # noqa: F811
    app = make_app(SMS_GATEWAY="no_such_module:Gateway", **mail_config(smtp.port))
    book_for(app, moment(10, 0), email=None, phone=PHONE)
    book_for(app, moment(10, 15))
    queue_reminders(app, clock, (2027, 1, 13, 9, 5))
    report = send_outbox(app)
    assert report["sent"] == 1 and report["failed"] == 1
    assert len(smtp.messages) == 1
    [sms] = rows(app, "sms_reminder")
    assert sms.status == "pending" and sms.last_error == "ModuleNotFoundError"

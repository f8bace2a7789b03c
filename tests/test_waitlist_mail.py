"""The waitlist's e-mails, received by a real SMTP server (aiosmtpd): joining says so
with a link to leave, and a freed seat sends the first resident an offer in their
language whose link opens the offer page and books the seat."""
from __future__ import annotations

import re

from resident_helpers import PUBLIC_BASE_URL, body_text, csrf_from, mail_config, manage_args, send_outbox, smtp  # noqa: F401
from waitlist_helpers import NINE, cancel, entries, fill_day, holds, join


def _link(text: str, path: str) -> str:
    match = re.search(re.escape(PUBLIC_BASE_URL) + r"(" + re.escape(path) + r"[^\s]+)", text)
    assert match, text
    return match.group(1)


def test_joining_and_the_offer_reach_the_resident_in_their_language_with_working_links(make_app, smtp):
    app = make_app(**mail_config(smtp.port))
    client = app.test_client()
    booked = fill_day(app)
    send_outbox(app)  # the confirmations of the full day
    smtp.messages.clear()
    assert join(client, email="nguyen@example.jp", name="Nguyen Van An", language="vi").status_code == 201
    assert join(client, email="second@example.jp", language="ja").status_code == 201
    assert send_outbox(app)["sent"] == 2
    received = {recipients[0]: message for recipients, message in smtp.wait_for(2)}
    joined = received["nguyen@example.jp"]
    assert joined["Content-Language"] == "vi" and "danh sách chờ" in joined["Subject"]
    text = body_text(joined)
    assert "Nguyen Van An" in text and "danh sách chờ" in text
    leave_path = _link(text, "/waitlist/")
    assert "lang=vi" in leave_path
    page = client.get(leave_path)
    assert page.status_code == 200 and 'data-status="waiting"' in page.get_data(as_text=True)
    assert "キャンセル待ち" in body_text(received["second@example.jp"])

    smtp.messages.clear()
    cancel(client, *booked[1])  # a seat of 09:00
    sent = send_outbox(app)
    assert sent["sent"] == 2  # the cancellation notice and the offer
    offer = {recipients[0]: message for recipients, message in smtp.wait_for(2)}["nguyen@example.jp"]
    text = body_text(offer)
    assert offer["Content-Language"] == "vi" and "9:00" in text and "10:30" in text  # held until 10:30
    offer_path = _link(text, "/waitlist/offers/")
    page = client.get(offer_path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="vi"' in html and "Nguyen Van An" in html
    response = client.post(offer_path, data={"csrf_token": csrf_from(html), "name": "Nguyen Van An",
                                             "email": "nguyen@example.jp", "phone": ""})
    assert response.status_code == 303
    code, _token = manage_args(response.headers["Location"])
    assert [h.status for h in holds(app)] == ["taken"] and entries(app)[0].status == "booked"
    smtp.messages.clear()
    send_outbox(app)
    [(recipients, confirmation)] = smtp.wait_for(1)
    assert recipients == ["nguyen@example.jp"] and code in confirmation["Subject"]
    assert confirmation["Content-Language"] == "vi"
    assert NINE.strftime("%H:%M").lstrip("0") in body_text(confirmation)


def test_an_offer_whose_hold_ended_before_sending_is_not_sent(make_app, smtp, clock):
    app = make_app(**mail_config(smtp.port))
    client = app.test_client()
    booked = fill_day(app)
    join(client, email="late@example.jp")
    cancel(client, *booked[0])
    clock.advance(minutes=31)  # the mail server was away the whole half hour
    report = send_outbox(app)
    with app.app_context():
        from sqlalchemy import select

        from queue_app.extensions import db
        from queue_app.models import OutboxMessage

        offer = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "waitlist_offer"))
        assert offer.status == "skipped" and offer.secret is None
    assert report["skipped"] == 1
    assert report["sent"] >= 1  # the joining notice (and the cancellation) did go out
    assert not any("/waitlist/offers/" in body_text(message) for _r, message in smtp.wait_for(report["sent"]))

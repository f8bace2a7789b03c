"""The manage page: details and QR code, cancel, and move (the new seat is taken before
the old is freed; a full slot leaves the reservation untouched). A wrong token looks
exactly like an unknown code."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from conftest import book
from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import Slot
from resident_helpers import csrf_from, outbox_rows, post_form, reservation_row
from test_booking_pages import text_of


def seats(app, start: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Slot.booked).where(
            Slot.starts_at == datetime.fromisoformat(start), Slot.location_id == 1)) or 0


def test_details_qr_code_and_a_wrong_token_is_an_unknown_code(client):
    created = book(client, proxy=True).get_json()
    page = client.get(f"/reservations/{created['code']}?token={created['token']}")
    assert page.status_code == 200
    text = text_of(page)
    assert "ご予約の内容" in text and "予約済み" in text and created["code"] in text
    assert "代理人によるご来庁 あり" in text
    assert f"/api/v1/reservations/{created['code']}/qr.png?token={created['token']}" in page.get_data(as_text=True)
    english = text_of(client.get(f"/reservations/{created['code']}?token={created['token']}&lang=en"))
    assert "Your reservation" in english and "Move to another time" in english

    wrong = client.get(f"/reservations/{created['code']}?token=not-the-token")
    unknown = client.get("/reservations/AAAA-AAAA?token=not-the-token")
    missing = client.get(f"/reservations/{created['code']}")
    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    # The same page, but for the link back to it in the other language (the URL asked for).
    same = [r.get_data(as_text=True).replace(created["code"], "CODE").replace("AAAA-AAAA", "CODE")
            for r in (wrong, unknown)]
    assert same[0] == same[1]
    assert text_of(wrong) == text_of(missing)
    assert "予約済み" not in text_of(wrong)
    for path in ("cancel", "move", "move/2027-01-15", "calendar.ics", "confirmed"):
        assert client.get(f"/reservations/{created['code']}/{path}?token=nope").status_code == 404


def test_cancel_frees_the_slot_and_queues_the_notice(app, client):
    created = book(client).get_json()
    manage = f"/reservations/{created['code']}?token={created['token']}"
    assert seats(app, "2027-01-14T09:00:00+09:00") == 1
    confirm = client.get(f"/reservations/{created['code']}/cancel?token={created['token']}")
    assert "この予約を取り消しますか" in text_of(confirm)
    response = client.post(f"/reservations/{created['code']}/cancel", data={
        "csrf_token": csrf_from(confirm.get_data(as_text=True)), "token": created["token"]})
    assert response.status_code == 303 and response.headers["Location"].endswith(manage)
    page = text_of(client.get(manage))
    assert "ご予約を取り消しました" in page and "取消済み" in page
    assert "予約を取り消す" not in page  # nothing more to do
    assert reservation_row(app, created["code"]).status == "cancelled"
    assert seats(app, "2027-01-14T09:00:00+09:00") == 0
    assert [m.template for m in outbox_rows(app)] == ["confirmation", "cancellation"]


def test_cancel_needs_the_csrf_token_and_the_right_token(app, client):
    created = book(client).get_json()
    assert client.post(f"/reservations/{created['code']}/cancel",
                       data={"token": created["token"]}).status_code == 400
    confirm = client.get(f"/reservations/{created['code']}/cancel?token={created['token']}")
    wrong = client.post(f"/reservations/{created['code']}/cancel", data={
        "csrf_token": csrf_from(confirm.get_data(as_text=True)), "token": "guess"})
    assert wrong.status_code == 404
    assert reservation_row(app, created["code"]).status == "booked"


def test_move_to_another_slot(app, client):
    created = book(client, language="en").get_json()
    code, token = created["code"], created["token"]
    calendar = client.get(f"/reservations/{code}/move?token={token}")
    assert 'data-date="2027-01-15" data-status="open"' in calendar.get_data(as_text=True)
    assert f'href="/reservations/{code}/move/2027-01-15?token={token}"' in calendar.get_data(as_text=True)
    day = client.get(f"/reservations/{code}/move/2027-01-15?token={token}")
    assert f'href="/reservations/{code}/move/2027-01-15/1030?token={token}"' in day.get_data(as_text=True)
    response = post_form(client, f"/reservations/{code}/move/2027-01-15/1030?token={token}", {"token": token})
    assert response.status_code == 303
    page = text_of(client.get(response.headers["Location"]))
    assert "2027年1月15日(金) 10:30" in page  # the flash and the details
    row = reservation_row(app, code)
    assert row.starts_at == datetime(2027, 1, 15, 10, 30, tzinfo=TOKYO)
    assert seats(app, "2027-01-14T09:00:00+09:00") == 0
    assert seats(app, "2027-01-15T10:30:00+09:00") == 1
    assert [m.template for m in outbox_rows(app)] == ["confirmation", "moved"]


def test_a_full_new_slot_leaves_the_reservation_untouched(app, client):
    created = book(client).get_json()
    code, token = created["code"], created["token"]
    page = client.get(f"/reservations/{code}/move/2027-01-15/1030?token={token}")
    book(client, start="2027-01-15T10:30:00+09:00")
    book(client, start="2027-01-15T10:30:00+09:00")  # the new slot fills up meanwhile
    response = client.post(f"/reservations/{code}/move/2027-01-15/1030", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "token": token})
    assert response.status_code == 409
    assert "この時間はただいま満員になりました" in text_of(response)
    assert re.search(r'role="alert"', response.get_data(as_text=True))
    row = reservation_row(app, code)
    assert (row.status, row.starts_at) == ("booked", datetime(2027, 1, 14, 9, 0, tzinfo=TOKYO))
    assert seats(app, "2027-01-14T09:00:00+09:00") == 1
    assert seats(app, "2027-01-15T10:30:00+09:00") == 2
    assert [m.template for m in outbox_rows(app)] == ["confirmation", "confirmation", "confirmation"]


def test_a_stale_cancel_page_says_the_reservation_can_no_longer_change(app, client, clock):
    created = book(client, start="2027-01-12T11:00:00+09:00").get_json()
    confirm = client.get(f"/reservations/{created['code']}/cancel?token={created['token']}&lang=en")
    clock.set(2027, 1, 12, 11, 5)  # the visit has begun meanwhile
    response = client.post(f"/reservations/{created['code']}/cancel", data={
        "csrf_token": csrf_from(confirm.get_data(as_text=True)), "token": created["token"]})
    assert response.status_code == 409
    assert "This reservation can no longer be changed." in text_of(response)
    assert reservation_row(app, created["code"]).status == "booked"


def test_a_cancelled_reservation_cannot_be_moved(client):
    created = book(client).get_json()
    client.delete(f"/api/v1/reservations/{created['code']}?token={created['token']}")
    response = client.get(f"/reservations/{created['code']}/move?token={created['token']}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/reservations/{created['code']}?token={created['token']}")


def test_calendar_file(client):
    created = book(client, language="en").get_json()
    response = client.get(f"/reservations/{created['code']}/calendar.ics?token={created['token']}")
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="reservation-{created["code"]}.ics"'
    body = response.get_data(as_text=True).replace("\r\n ", "")
    assert "DTSTART:20270114T000000Z" in body and "DTEND:20270114T001500Z" in body
    assert f"URL:http://localhost/reservations/{created['code']}?token={created['token']}" in body
    assert f"UID:reservation-{created['code']}@localhost" in body  # as in the e-mail's copy

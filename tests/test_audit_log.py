"""The audit log in the back office: filtered by who, action, place and days, a page at
a time; the CSV (UTF-8 with a BOM, Japanese headers with lang=ja, what the log holds and
nothing more); the /admin/audit page and the /admin/closures page, for administrators
only, with their CSRF-protected form and errors next to the fields."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import Closure, Reservation
from queue_app.services import audit, booking, places
from queue_helpers import PASSWORD, bearer, make_staff


@pytest.fixture
def log_app(make_app):
    """An app whose log holds 60 ticket calls by one clerk at honcho on the 12th, 3
    no-shows by a job at awara on the 13th and a closure by the administrator."""
    app = make_app(RATELIMIT_ENABLED=False)
    app.clerk_id, app.clerk_token = make_staff(app, "suzuki")
    app.admin_id, app.admin_token = make_staff(app, "sato", role="admin")
    with app.app_context():
        honcho = places.get_location(db.session, "honcho")
        awara = places.get_location(db.session, "awara")
        start = datetime(2027, 1, 12, 9, 0, tzinfo=TOKYO)
        for i in range(60):
            audit.record(db.session, actor=f"user:{app.clerk_id}", action="ticket.call",
                         now=start + timedelta(minutes=i), location_id=honcho.id,
                         ticket_id=f"t{i:03d}", detail={"number": f"A{i:03d}", "counter_id": 1})
        for i in range(3):
            audit.record(db.session, actor="job:no_shows", action="reservation.no_show",
                         now=datetime(2027, 1, 13, 17, i, tzinfo=TOKYO), location_id=awara.id,
                         reservation_code=f"ABCD-EFG{i}")
        audit.record(db.session, actor=f"user:{app.admin_id}", action="closure.create",
                     now=datetime(2027, 1, 13, 8, 0, tzinfo=TOKYO), location_id=honcho.id,
                     detail={"closure_id": 1, "reason": {"ja": "大雪のため", "en": "Heavy snow"}})
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def audit_of(app, **query):
    response = app.test_client().get("/api/v1/admin/audit", query_string=query,
                                     headers=bearer(app.admin_token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_everything_newest_first_a_page_at_a_time(log_app):
    first = audit_of(log_app)
    assert (first["total"], first["pages"], first["page"], first["per_page"]) == (64, 2, 1, 50)
    assert len(first["entries"]) == 50
    assert first["entries"][0]["action"] == "reservation.no_show"  # 13th 17:02, the latest
    assert first["entries"][0]["location"] == "awara"
    second = audit_of(log_app, page=2)
    assert len(second["entries"]) == 14
    assert second["entries"][-1]["ticket_id"] == "t000"  # the oldest, last
    ids = [e["id"] for e in first["entries"] + second["entries"]]
    assert len(set(ids)) == 64
    assert audit_of(log_app, page=3)["entries"] == []
    assert len(audit_of(log_app, per_page=10)["entries"]) == 10


@pytest.mark.parametrize("query, count", [
    ({"who": "suzuki"}, 60),                 # a user's name
    ({"who": "user:{clerk}"}, 60),          # the actor as the log writes it
    ({"who": "job:no_shows"}, 3),
    ({"who": "nobody"}, 0),
    ({"action": "ticket.call"}, 60),
    ({"action": "reservation"}, 3),          # the family
    ({"action": "closure"}, 1),
    ({"action": "tick"}, 0),                 # not a prefix of words: no family "tick"
    ({"location": "awara"}, 3),
    ({"location": "honcho"}, 61),
    ({"from": "2027-01-13"}, 4),
    ({"to": "2027-01-12"}, 60),
    ({"from": "2027-01-13", "to": "2027-01-13", "location": "honcho"}, 1),
])
def test_filters(log_app, query, count):
    query = {k: v.format(clerk=log_app.clerk_id) for k, v in query.items()}
    found = audit_of(log_app, **query)
    assert found["total"] == count
    if count:
        assert all(entry["who"] in (None, "suzuki", "sato") for entry in found["entries"])


def test_bad_filters_are_a_clear_422(log_app):
    client = log_app.test_client()
    headers = bearer(log_app.admin_token)
    for query, field in (({"location": "nowhere"}, "location"), ({"from": "2027-13-01"}, "from"),
                         ({"from": "2027-01-13", "to": "2027-01-12"}, "to"), ({"page": "0"}, "page")):
        response = client.get("/api/v1/admin/audit", query_string=query, headers=headers)
        assert response.status_code == 422, query
        assert field in response.get_json()["errors"], response.get_json()


def read_csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_in_japanese_has_a_bom_and_what_the_log_holds(log_app):
    client = log_app.test_client()
    response = client.get("/api/v1/admin/audit.csv?lang=ja&location=honcho&from=2027-01-13",
                          headers=bearer(log_app.admin_token))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["日時", "操作者ID", "操作者", "操作", "場所", "受付票ID", "予約番号", "詳細"]
    assert rows[1][:5] == ["2027-01-13 08:00:00", f"user:{log_app.admin_id}", "sato", "閉庁の登録", "honcho"]
    assert '"ja": "大雪のため"' in rows[1][7]
    assert len(rows) == 2


def test_the_csv_in_english_by_default_oldest_first_and_all_of_it(log_app):
    client = log_app.test_client()
    rows = read_csv(client.get("/api/v1/admin/audit.csv", headers=bearer(log_app.admin_token)))
    assert rows[0] == ["at", "actor", "who", "action", "location", "ticket_id", "reservation_code", "detail"]
    assert len(rows) == 65  # every entry, not a page
    assert rows[1][3] == "ticket.call" and rows[1][5] == "t000"
    assert rows[-1][1:4] == ["job:no_shows", "", "reservation.no_show"]


def test_only_administrators_read_the_log(log_app):
    client = log_app.test_client()
    for path in ("/api/v1/admin/audit", "/api/v1/admin/audit.csv"):
        assert client.get(path, headers=bearer(log_app.clerk_token)).status_code == 403
        assert client.get(path).status_code == 401


# ---------------------------------------------------------------- the pages

def csrf_from(html: str) -> str:
    """The CSRF token of the page's first form (Flask-WTF's or written by hand)."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(app, username: str):
    """A test client with a console session (through the real, CSRF-protected form)."""
    client = app.test_client()
    html = client.get("/staff/login").get_data(as_text=True)
    response = client.post("/staff/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": csrf_from(html)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_the_audit_page_filters_and_pages_in_japanese_or_english(log_app):
    client = sign_in(log_app, "sato")
    html = client.get("/admin/audit?who=suzuki&page=2").get_data(as_text=True)
    assert "<h1>操作記録</h1>" in html
    assert "60件" in html and "2 / 2ページ" in html
    assert html.count('data-action="ticket.call"') == 10
    assert "/api/v1/admin/audit.csv?who=suzuki&amp;lang=ja" in html
    english = client.get("/admin/audit?location=awara&lang=en").get_data(as_text=True)
    assert "<h1>Audit log</h1>" in english and "3 entries" in english
    assert english.count('data-action="reservation.no_show"') == 3
    bad = client.get("/admin/audit?from=2027-99-01&lang=en")
    assert bad.status_code == 422
    assert 'id="from-error"' in bad.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="from-error"' in bad.get_data(as_text=True)


def test_staff_get_403_and_strangers_the_login(log_app):
    clerk = sign_in(log_app, "suzuki")
    for path in ("/admin/audit", "/admin/closures"):
        assert clerk.get(path).status_code == 403
        assert log_app.test_client().get(path).status_code == 302
    # With the clerk's own valid CSRF token (the console's): still not allowed.
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', clerk.get("/staff").get_data(as_text=True))
    assert clerk.post("/admin/closures", data={"csrf_token": token.group(1)}).status_code == 403


def test_the_closures_page_adds_refuses_with_the_list_and_reopens(log_app):
    with log_app.app_context():  # a reservation in the way on the 14th at 10:00
        contact = booking.validate_contact("山田 花子", "yamada@example.jp", None, "ja")
        start = datetime(2027, 1, 14, 10, 0, tzinfo=TOKYO)
        reservation, _ = booking.book_slot(
            db.session, location=places.get_location(db.session, "honcho"),
            service=booking.get_service(db.session, "card-pickup"), start=start, contact=contact,
            now=start - timedelta(days=1), policy=booking.BookingPolicy())
        db.session.commit()
        code = reservation.code
    client = sign_in(log_app, "sato")
    html = client.get("/admin/closures").get_data(as_text=True)
    assert "緊急閉庁(降雪・システム障害など)" in html and "閉庁時間内の予約はすべて取り消され" in html
    form = {"csrf_token": csrf_from(html), "location": "honcho", "date": "2027-01-14", "span": "hours",
            "start": "09:30", "end": "", "reason_ja": "システム更新", "reason_en": "System upgrade"}

    # Without a CSRF token: refused.
    assert client.post("/admin/closures", data={**form, "csrf_token": ""}).status_code == 400
    # An end missing: the error is tied to its field.
    missing = client.post("/admin/closures", data=form)
    assert missing.status_code == 422
    text = missing.get_data(as_text=True)
    assert 'id="end-error"' in text and "開始時刻と終了時刻の両方を入力してください。" in text
    # Reservations in the way: refused, with their codes, nothing changed.
    refused = client.post("/admin/closures", data={**form, "end": "11:00"})
    assert refused.status_code == 409
    assert code in refused.get_data(as_text=True) and 'id="emergency-error"' in refused.get_data(as_text=True)
    # At another time: registered, and listed under its place.
    made = client.post("/admin/closures?lang=en", data={**form, "start": "13:00", "end": "14:00"})
    assert made.status_code == 200
    text = made.get_data(as_text=True)
    assert "The closure is registered." in text and "13:00–14:00" in text and "System upgrade" in text
    with log_app.app_context():
        closure = db.session.scalar(select(Closure))
        assert (closure.reason, closure.reason_en, closure.emergency) == ("システム更新", "System upgrade", False)
        assert closure.created_by == f"user:{log_app.admin_id}"
        assert db.session.scalar(select(Reservation.status).where(Reservation.code == code)) == "booked"
    # Reopened through its button's form.
    reopened = client.post(f"/admin/closures/{closure.id}/reopen",
                           data={"csrf_token": csrf_from(text)})
    assert reopened.status_code == 303
    with log_app.app_context():
        assert db.session.get(Closure, closure.id).reopened_at is not None
    found = audit_of(log_app, action="closure", to="2027-01-12")  # today's, not the fixture's
    assert [e["action"] for e in found["entries"]] == ["closure.reopen", "closure.create"]

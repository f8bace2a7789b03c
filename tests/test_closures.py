"""Closures through the admin API: a whole day or part of one, refused while
reservations are in the way (and nothing changed), the emergency that cancels them,
e-mails each resident in their language (received by a real SMTP server) with a
working link to book again and hands back the call list, reopening, the calendar and
the lobby that follow, and who may do it. SQLite and PostgreSQL where it matters."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import AuditEntry, Closure, Reservation, Slot
from queue_app.services import booking, places
from queue_helpers import bearer, desk, events, make_staff  # noqa: F401 (fixtures)
from resident_helpers import PUBLIC_BASE_URL, body_text, mail_config, send_outbox, smtp  # noqa: F401

DAY = "2027-01-14"  # a Thursday; the test clock stands at Tuesday 12 January, 10:00


def moment(hour: int, minute: int = 0, day: int = 14) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=TOKYO)


def book_for(app, start: datetime, *, email: str | None = "auto", phone: str | None = None,
             language: str = "ja", name: str = "山田 花子", service: str = "card-pickup") -> str:
    """A booked reservation (made a day ahead); its code."""
    if email == "auto":
        email = f"r-{uuid.uuid4().hex[:8]}@example.jp"
    with app.app_context():
        contact = booking.validate_contact(name, email, phone, language)
        reservation, _token = booking.book_slot(
            db.session, location=places.get_location(db.session, "honcho"),
            service=booking.get_service(db.session, service), start=start, contact=contact,
            now=start - timedelta(days=1), policy=booking.BookingPolicy())
        db.session.commit()
        return reservation.code


def close(client, token: str, *, emergency: bool = False, day: str = DAY, **body):
    payload = {"location": "honcho", "date": day, "reason": {"ja": "大雪のため", "en": "Heavy snow"},
               "emergency": emergency, **body}
    return client.post("/api/v1/admin/closures", json=payload, headers=bearer(token))


def slot_starts(client, day: str = DAY) -> list[str]:
    found = client.get(f"/api/v1/availability?location=honcho&service=card-pickup&date={day}").get_json()
    return [slot["start"][11:16] for slot in found["slots"]]


def status_of(app, code: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Reservation.status).where(Reservation.code == code))


def actions(app) -> list[str]:
    """The audit log's actions in order, but the bookings the tests made to set up."""
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action != "reservation.book").order_by(AuditEntry.id)))


@pytest.fixture
def admin_app(make_app, backend):
    app = make_app(backend=backend)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_whole_day_closes_every_slot_and_reopens(admin_app):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, role="admin")
    assert "09:00" in slot_starts(client)

    response = close(client, admin)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["location"] == "honcho" and created["date"] == DAY
    assert created["start"] is None and created["end"] is None
    assert created["affected"] == [] and created["call_list"] == []
    assert created["reason"] == {"ja": "大雪のため", "en": "Heavy snow"}

    day = client.get(f"/api/v1/availability?location=honcho&service=card-pickup&date={DAY}").get_json()
    assert day["open"] is False and day["slots"] == []
    refused = client.post("/api/v1/reservations", json={
        "location": "honcho", "service": "card-pickup", "start": f"{DAY}T09:00:00+09:00",
        "name": "山田 花子", "email": "yamada@example.jp"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "not_reservable"
    listed = client.get("/api/v1/admin/closures?location=honcho", headers=bearer(admin)).get_json()
    assert [c["id"] for c in listed["closures"]] == [created["id"]]

    reopened = client.delete(f"/api/v1/admin/closures/{created['id']}", headers=bearer(admin))
    assert reopened.status_code == 200 and reopened.get_json()["reopened_at"] is not None
    assert "09:00" in slot_starts(client)
    assert client.get("/api/v1/admin/closures", headers=bearer(admin)).get_json()["closures"] == []
    # Twice is nothing to reopen.
    again = client.delete(f"/api/v1/admin/closures/{created['id']}", headers=bearer(admin))
    assert again.status_code == 404
    assert actions(admin_app) == ["closure.create", "closure.reopen"]


def test_part_of_a_day_cuts_those_hours_only(admin_app):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, role="admin")
    response = close(client, admin, start="10:00", end="11:30")
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["start"], response.get_json()["end"]) == ("10:00", "11:30")

    starts = slot_starts(client)
    assert "09:45" in starts and "11:30" in starts
    assert not {"10:00", "10:45", "11:15"} & set(starts)
    # Not on the 15-minute grid: the first whole slot after the closure is offered.
    close(client, admin, day="2027-01-15", start="13:00", end="13:20")
    starts = slot_starts(client, "2027-01-15")
    assert "12:45" in starts and "13:30" in starts and "13:15" not in starts and "13:00" not in starts


def test_refused_with_the_reservations_in_the_way_and_nothing_changed(admin_app):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, role="admin")
    first = book_for(admin_app, moment(10, 0))
    second = book_for(admin_app, moment(9, 45), service="cert-renewal")
    outside = book_for(admin_app, moment(14, 0))

    response = close(client, admin, start="09:50", end="11:00")
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["code"] == "reservations_in_the_way"
    # 09:45-10:00 overlaps 09:50: in the way too; 14:00 is not.
    assert problem["reservations"] == [second, first]
    assert {status_of(admin_app, code) for code in (first, second, outside)} == {"booked"}
    with admin_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Closure)) == 0
    assert actions(admin_app) == []
    assert "10:00" in slot_starts(client)


def test_bad_input_names_the_fields_and_changes_nothing(admin_app):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, role="admin")
    cases = [({"start": "10:00"}, "end"), ({"start": "11:00", "end": "10:00"}, "end"),
             ({"location": "nowhere"}, "location"), ({"date": "2027-01-11"}, "date"),
             ({"reason": {"ja": "雪", "en": "   "}}, "reason_en"), ({"reason": {"ja": "雪"}}, "reason")]
    for extra, field in cases:
        response = close(client, admin, **extra)
        assert response.status_code == 422, (extra, response.get_json())
        assert response.get_json()["code"] == "invalid"
        assert field in response.get_json()["errors"], (extra, response.get_json())
    with admin_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Closure)) == 0


def test_staff_and_strangers_may_not(admin_app):
    client = admin_app.test_client()
    _, staff = make_staff(admin_app, role="staff")
    _, admin = make_staff(admin_app, role="admin")
    assert close(client, staff).status_code == 403
    assert close(client, staff).get_json()["code"] == "forbidden"
    assert client.post("/api/v1/admin/closures", json={}).status_code == 401
    closure_id = close(client, admin).get_json()["id"]
    assert client.delete(f"/api/v1/admin/closures/{closure_id}", headers=bearer(staff)).status_code == 403
    assert client.get("/api/v1/admin/closures", headers=bearer(staff)).status_code == 403
    assert slot_starts(client) == []  # still closed


def test_an_emergency_cancels_tells_each_resident_in_their_language_and_lists_the_calls(
        make_app, smtp, backend):
    app = make_app(backend=backend, **mail_config(smtp.port))
    client = app.test_client()
    _, admin = make_staff(app, role="admin")
    japanese = book_for(app, moment(9, 0), email="hanako@example.jp", language="ja")
    portuguese = book_for(app, moment(9, 15), email="maria@example.jp", language="pt", name="Maria Santos")
    english = book_for(app, moment(10, 0), email="john@example.jp", language="en", name="John Smith",
                       service="cert-renewal")
    phone_only = book_for(app, moment(11, 0), email=None, phone="090-1234-5678", name="鈴木 一郎")
    later = book_for(app, moment(15, 0))

    response = close(client, admin, emergency=True, start="08:30", end="12:00")
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["affected"] == [japanese, portuguese, english, phone_only]
    assert created["call_list"] == [{"code": phone_only, "start": "2027-01-14T11:00:00+09:00",
                                     "phone": "09012345678"}]
    assert [status_of(app, code) for code in created["affected"]] == ["cancelled"] * 4
    assert status_of(app, later) == "booked"
    with app.app_context():  # the seats were freed: reopening offers them again, whole
        assert set(db.session.scalars(select(Slot.booked).where(Slot.starts_at < moment(12)))) == {0}
    assert actions(app) == ["reservation.cancel"] * 4 + ["closure.create"]

    # One notice per address; the phone-only resident is on the call list instead.
    assert send_outbox(app) == {"sent": 3, "failed": 0, "skipped": 0}
    received = {recipients[0]: message for recipients, message in smtp.wait_for(3)}
    assert set(received) == {"hanako@example.jp", "maria@example.jp", "john@example.jp"}

    ja = received["hanako@example.jp"]
    assert ja["Subject"] == f"【閉庁のため予約取消】マイナンバーカード窓口のご予約(予約番号 {japanese})"
    assert ja["Content-Language"] == "ja"
    assert "理由:大雪のため" in body_text(ja)
    assert "2027年1月14日(木) 9:00" in body_text(ja)

    pt = received["maria@example.jp"]
    assert pt["Subject"] == f"Os guichês estarão fechados: sua reserva foi cancelada ({portuguese})"
    assert pt["Content-Language"] == "pt-BR"
    assert "Motivo: Heavy snow" in body_text(pt) and "Maria Santos" in body_text(pt)

    en = received["john@example.jp"]
    assert en["Subject"] == f"Counters closed: your reservation is cancelled ({english})"
    assert "Reason: Heavy snow" in body_text(en)

    for message, service, lang, marker in ((ja, "card-pickup", "ja", 'lang="ja"'),
                                           (pt, "card-pickup", "pt-BR", 'lang="pt-BR"'),
                                           (en, "cert-renewal", "en", 'lang="en"')):
        [link] = re.findall(rf"{re.escape(PUBLIC_BASE_URL)}/book/\S+", body_text(message))
        assert link == f"{PUBLIC_BASE_URL}/book/honcho/{service}?lang={lang}"
        page = client.get(link.removeprefix(PUBLIC_BASE_URL))
        assert page.status_code == 200 and marker in page.get_data(as_text=True)
        # The calendar it opens shows the closed day, with the reason, in that language.
        if lang == "ja":
            assert "2027年1月14日(木) は 8:30〜12:00 の間、閉庁します(大雪のため)。" in page.get_data(as_text=True)
        if lang == "pt-BR":
            assert "fechados das 8:30 às 12:00 (Heavy snow)" in page.get_data(as_text=True)


def test_reopening_an_emergency_leaves_the_cancelled_cancelled(admin_app):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, role="admin")
    code = book_for(admin_app, moment(9, 30))
    created = close(client, admin, emergency=True).get_json()
    assert created["affected"] == [code] and slot_starts(client) == []
    assert client.delete(f"/api/v1/admin/closures/{created['id']}", headers=bearer(admin)).status_code == 200
    assert status_of(admin_app, code) == "cancelled"
    assert "09:30" in slot_starts(client)
    # The seat it held is free again: the slot can take as many as before.
    remaining = {s["start"][11:16]: s["remaining"] for s in client.get(
        f"/api/v1/availability?location=honcho&service=card-pickup&date={DAY}").get_json()["slots"]}
    assert remaining["09:30"] == remaining["09:00"] > 0


def test_the_lobby_hears_of_a_closure_today_at_once(desk, events):
    client, admin = desk.client, make_staff(desk.app, role="admin")[1]
    response = close(client, admin, day="2027-01-12", start="13:00", end="15:00")
    assert response.status_code == 201
    [(room, name, data)] = [e for e in events if e[1] == "queue"]
    assert name == "queue" and data["change"] == "closure" and room.endswith("honcho")
    assert data["closures"] == [{"start": "2027-01-12T13:00:00+09:00", "end": "2027-01-12T15:00:00+09:00",
                                 "all_day": False, "emergency": False,
                                 "reason": {"ja": "大雪のため", "en": "Heavy snow"}}]
    # A closure of another day says nothing to today's screens.
    close(client, admin, day="2027-01-13")
    assert len([e for e in events if e[1] == "queue"]) == 1
    # Reopened: the screens hear of it, and the notice goes.
    assert client.delete(f"/api/v1/admin/closures/{response.get_json()['id']}", headers=bearer(admin)).status_code == 200
    last = [e for e in events if e[1] == "queue"][-1][2]
    assert last["change"] == "closure" and last["closures"] == []


def test_the_booking_pages_show_the_notice_in_the_residents_language(admin_app):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, role="admin")
    close(client, admin)
    month = client.get("/book/honcho/card-pickup?month=2027-01&lang=ja").get_data(as_text=True)
    assert "2027年1月14日(木) は終日閉庁します(大雪のため)。" in month
    assert re.search(r'data-date="2027-01-14" data-status="closed"', month)
    day = client.get(f"/book/honcho/card-pickup/{DAY}?lang=vi").get_data(as_text=True)
    assert "quầy đóng cửa cả ngày (Heavy snow)" in day
    # Another place is not closed.
    assert "closure-notice" not in client.get("/book/awara/card-pickup?month=2027-01").get_data(as_text=True)

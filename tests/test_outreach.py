"""Home-visit applications (出張申請) through the API and the service: applying (201,
the receipt e-mail queued), bad input that changes nothing, the My Number refusal, one
open request per contact, the rate limit, who may do what, the moves (schedule on a
candidate, decline, done) with their e-mails received by a real SMTP server in the
applicant's language, the back-office calendar's visits and the purge of personal data.
The test clock stands at Tuesday 12 January 2027, 10:00 in Tokyo."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import requests
from sqlalchemy import func, select

from queue_app import jobs
from queue_app.extensions import db
from queue_app.models import AuditEntry, OutboxMessage, OutreachRequest
from queue_app.services import outreach
from queue_helpers import bearer, make_device, make_staff
from resident_helpers import SMTPSink, body_text, mail_config, outbox_rows, send_outbox

URL = "/api/v1/outreach-requests"


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) that keeps what it receives."""
    sink = SMTPSink().start()
    yield sink
    sink.stop()


def application(**overrides) -> dict:
    body = {"kind": "company", "contact_name": "株式会社あわら 総務課 山田 花子",
            "email": "soumu@awara-example.co.jp", "address": "福井県あわら市市姫3丁目1-1 本社3階",
            "postcode": "〒910-4192", "applicants": 12, "express": True,
            "candidates": [{"date": "2027-01-14", "part": "am"}, {"date": "2027-01-19", "part": "pm"},
                           {"date": "2027-01-20", "part": "am"}],
            "note": "駐車場は正面玄関前をご利用ください。", "language": "ja"}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def flat(errors: dict, prefix: str = "") -> list[str]:
    """The failing fields' paths, whether the schema nested them or the service named them."""
    names = []
    for key, value in errors.items():
        name = f"{prefix}{key}"
        names += flat(value, name + ".") if isinstance(value, dict) else [name]
    return names


def counts(app) -> tuple[int, int]:
    """(requests, outbox messages)"""
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(OutreachRequest)),
                db.session.scalar(select(func.count()).select_from(OutboxMessage)))


def row(app, request_id: int) -> OutreachRequest:
    with app.app_context():
        found = db.session.get(OutreachRequest, request_id)
        db.session.expunge_all()
        return found


@pytest.fixture
def app(make_app, backend):
    """The rules that lean on the database run on SQLite and on PostgreSQL."""
    app = make_app(backend=backend)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def lite(make_app):
    """SQLite only: for the long tables of bad input, where the database plays no part."""
    app = make_app()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def staff(app):
    return bearer(make_staff(app)[1])


def apply(client, **overrides):
    return client.post(URL, json=application(**overrides))


# ---------------------------------------------------------------- applying

def test_an_application_is_stored_audited_and_its_receipt_queued(app, client):
    response = apply(client)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created == {"id": created["id"], "status": "new"}
    stored = row(app, created["id"])
    assert (stored.kind, stored.postcode, stored.applicants, stored.express) == ("company", "910-4192", 12, True)
    assert stored.candidates == [{"date": "2027-01-14", "part": "am"}, {"date": "2027-01-19", "part": "pm"},
                                 {"date": "2027-01-20", "part": "am"}]
    [message] = outbox_rows(app)
    assert message.dedupe_key == f"outreach_received:{created['id']}"
    assert message.template == "outreach_received" and message.reservation_id is None
    assert message.recipient == "soumu@awara-example.co.jp"
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry)).all()
        assert entry.action == "outreach.submit" and entry.actor == "resident"
        logged = json.dumps(entry.detail, ensure_ascii=False)
    assert entry.detail["request"] == created["id"]
    for personal in ("山田", "soumu@", "市姫", "910-4192", "駐車場"):
        assert personal not in logged


@pytest.mark.parametrize("postcode", ["9104192", "910-4192", "〒９１０－４１９２", " 910 4192 "])
def test_the_postcode_is_read_in_its_usual_notations(lite, postcode):
    response = apply(lite.test_client(), postcode=postcode)
    assert response.status_code == 201, response.get_json()
    assert row(lite, response.get_json()["id"]).postcode == "910-4192"


BAD = [
    ("kind", {"kind": "household"}),
    ("contact_name", {"contact_name": ""}),
    ("email", {"email": "not-an-address"}),
    ("email", {"email": None}),  # neither e-mail nor phone
    ("phone", {"email": None, "phone": "12345"}),
    ("postcode", {"postcode": "910-419"}),
    ("postcode", {"postcode": "abc-defg"}),
    ("address", {"address": ""}),
    ("applicants", {"applicants": 0}),
    ("applicants", {"applicants": 201}),
    ("applicants", {"applicants": "12"}),
    ("candidates", {"candidates": [{"date": "2027-01-14", "part": "am"}]}),
    ("candidates", {"candidates": [{"date": f"2027-01-{d}", "part": "am"} for d in (14, 15, 18, 19, 20, 21)]}),
    ("candidates.0.date", {"candidates": [{"date": "2027-01-13", "part": "am"}, {"date": "2027-01-14", "part": "am"}]}),
    ("candidates.0.date", {"candidates": [{"date": "2027-01-12", "part": "am"}, {"date": "2027-01-14", "part": "am"}]}),
    ("candidates.0.date", {"candidates": [{"date": "2027-01-16", "part": "am"}, {"date": "2027-01-14", "part": "am"}]}),
    ("candidates.0.date", {"candidates": [{"date": "2027-02-11", "part": "am"}, {"date": "2027-01-14", "part": "am"}]}),
    ("candidates.0.date", {"candidates": [{"date": "2027-04-15", "part": "am"}, {"date": "2027-01-14", "part": "am"}]}),
    ("candidates.1.date", {"candidates": [{"date": "2027-01-14", "part": "am"}, {"date": "2027-01-14", "part": "am"}]}),
    ("candidates.0.part", {"candidates": [{"date": "2027-01-14", "part": "evening"}, {"date": "2027-01-15", "part": "am"}]}),
    ("candidates.0.date", {"candidates": [{"date": "14/01/2027", "part": "am"}, {"date": "2027-01-15", "part": "am"}]}),
    ("note", {"note": "x" * 1001}),
    ("language", {"language": "fr"}),
]


@pytest.mark.parametrize("field, change", BAD)
def test_bad_input_is_refused_and_changes_nothing(lite, field, change):
    app = lite
    response = apply(lite.test_client(), **change)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert response.mimetype == "application/problem+json" and body["code"] == "invalid"
    assert any(name == field or name.startswith(field + ".") for name in flat(body["errors"])), body["errors"]
    assert counts(app) == (0, 0)


def test_a_day_closed_by_the_back_office_is_no_candidate(app, client):
    admin = bearer(make_staff(app, role="admin")[1])
    closed = client.post("/api/v1/admin/closures", headers=admin, json={
        "location": "honcho", "date": "2027-01-19", "reason": {"ja": "システム切替", "en": "System change-over"},
        "emergency": False})
    assert closed.status_code == 201, closed.get_json()
    response = apply(client)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"candidates.1.date"}
    with app.app_context():
        assert date(2027, 1, 19) not in outreach.get_open_days(db.session, app.config["CLOCK"]())
        assert date(2027, 1, 20) in outreach.get_open_days(db.session, app.config["CLOCK"]())


@pytest.mark.parametrize("field, value", [
    ("contact_name", "山田 123456789012"), ("address", "あわら市 1234-5678-9012"),
    ("note", "番号は１２３４　５６７８　９０１２です"), ("phone", "1234.5678.9012"),
    ("email", "123456789012@example.jp"), ("postcode", "1234 5678 9012"),
])
def test_a_my_number_is_refused_in_every_field(lite, field, value):
    app = lite
    response = apply(lite.test_client(), **{field: value})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "my_number_rejected" and field in body["errors"]
    assert value not in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_an_international_phone_number_is_a_phone_number(app, client):
    response = apply(client, email=None, phone="+81 90-1234-5678")
    assert response.status_code == 201, response.get_json()
    assert row(app, response.get_json()["id"]).phone == "09012345678"
    assert counts(app) == (1, 0)  # phone only: no e-mail, staff call


def test_one_open_request_per_contact(app, client, staff):
    first = apply(client).get_json()["id"]
    again = apply(client, email="SOUMU@awara-example.co.jp")
    assert again.status_code == 409 and again.get_json()["code"] == "duplicate"
    by_phone = apply(client, email=None, phone="0776-73-1111")
    assert by_phone.status_code == 201
    phone_again = apply(client, email="other@example.jp", phone="0776731111")
    assert phone_again.status_code == 409
    assert counts(app)[0] == 2
    # Once declined, the contact may apply again.
    declined = client.post(f"{URL}/{first}/decline", json={"reason": "日程が合わないため"}, headers=staff)
    assert declined.status_code == 200
    assert apply(client).status_code == 201


def test_one_open_request_per_contact_under_a_race(app, live_server):
    """Six submissions of one contact at the same moment, through a real threaded server:
    one is stored, the others answer 409 duplicate (the partial unique index decides when
    the check before the insert saw nothing), and none fails with a 500."""
    server = live_server(app)
    barrier = threading.Barrier(6)

    def submit(_index):
        barrier.wait()
        return requests.post(server.url + URL, json=application(email="race@example.jp"), timeout=30)

    with ThreadPoolExecutor(6) as pool:
        answers = sorted(response.status_code for response in pool.map(submit, range(6)))
    assert answers == [201, 409, 409, 409, 409, 409]
    assert counts(app) == (1, 1)


def test_two_clerks_acting_at_once_do_not_overwrite_each_other(app, live_server):
    """Two clerks decline one request at the same moment: the row is locked for the move,
    so one declines it and the other answers 409 invalid_transition; one move, one e-mail."""
    server = live_server(app)
    request_id = requests.post(server.url + URL, json=application(), timeout=30).json()["id"]
    headers = bearer(make_staff(app)[1])
    barrier = threading.Barrier(2)
    moves = [("decline", {"reason": "職員の都合がつかないため"}), ("decline", {"reason": "対象外のため"})]

    def move(which):
        barrier.wait()
        name, body = moves[which]
        return requests.post(f"{server.url}{URL}/{request_id}/{name}", json=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(move, range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 200)
    loser = next(a.json() for a in answers if a.status_code == 409)
    assert loser["code"] == "invalid_transition"
    assert row(app, request_id).decline_reason == winner["decline_reason"]
    with app.app_context():
        moved = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "outreach.decline"))
        declined = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "outreach_declined"))
    assert (moved, declined) == (1, 1)


def test_applications_are_rate_limited(make_app):
    app = make_app(BOOKING_RATE_LIMIT="2/minute")  # (the limiter's storage, not the database)
    client = app.test_client()
    assert apply(client, email="a@example.jp").status_code == 201
    assert apply(client, email="b@example.jp").status_code == 201
    limited = apply(client, email="c@example.jp")
    assert limited.status_code == 429 and limited.get_json()["code"] == "rate_limited"
    assert counts(app)[0] == 2


# ---------------------------------------------------------------- who may do what

def test_staff_endpoints_need_a_staff_token(app, client, staff):
    request_id = apply(client).get_json()["id"]
    _, kiosk = make_device(app)
    moves = [("get", URL, None), ("get", f"{URL}/{request_id}", None),
             ("post", f"{URL}/{request_id}/schedule", {"date": "2027-01-14", "start": "2027-01-14T10:00:00+09:00"}),
             ("post", f"{URL}/{request_id}/decline", {"reason": "x"}),
             ("post", f"{URL}/{request_id}/done", None)]
    for method, path, body in moves:
        anonymous = getattr(client, method)(path, json=body)
        assert anonymous.status_code == 401, (path, anonymous.status_code)
        as_kiosk = getattr(client, method)(path, json=body, headers=bearer(kiosk))
        assert as_kiosk.status_code == 403 and as_kiosk.get_json()["code"] == "forbidden", path
    assert row(app, request_id).status == "new"
    # A channel other than online is the clerk's to record.
    assert apply(client, email="x@example.jp", channel="phone").status_code == 403
    taken = client.post(URL, json=application(email=None, phone="090-1111-2222", channel="phone"), headers=staff)
    assert taken.status_code == 201 and row(app, taken.get_json()["id"]).channel == "phone"


def test_staff_list_the_requests_by_status(app, client, staff):
    first = apply(client).get_json()["id"]
    second = apply(client, email=None, phone="090-2222-3333", kind="individual").get_json()["id"]
    listed = client.get(URL, headers=staff).get_json()
    assert [item["id"] for item in listed] == [second, first]
    news = client.get(f"{URL}?status=new", headers=staff).get_json()
    assert {item["id"] for item in news} == {first, second}
    assert client.get(f"{URL}?status=scheduled", headers=staff).get_json() == []
    phone_only = next(item for item in listed if item["id"] == second)
    assert phone_only["call_applicant"] is True and phone_only["phone"] == "09022223333"
    assert client.get(f"{URL}?status=lost", headers=staff).status_code == 422
    assert client.get(f"{URL}/99999", headers=staff).status_code == 404


# ---------------------------------------------------------------- the moves

def test_schedule_decline_and_done_tell_the_applicant(make_app, backend, smtp):
    app = make_app(backend=backend, **mail_config(smtp.port))
    client = app.test_client()
    staff = bearer(make_staff(app)[1])
    english = apply(client, language="en", email="manager@example.com").get_json()["id"]
    japanese = apply(client, email="hanako@example.jp", kind="individual").get_json()["id"]

    # Only a candidate date, within the part of the day asked for, in the future.
    for body, field in (({"date": "2027-01-15", "start": "2027-01-15T10:00:00+09:00"}, "date"),
                        ({"date": "2027-01-14", "start": "2027-01-14T14:00:00+09:00"}, "start"),
                        ({"date": "2027-01-14", "start": "2027-01-15T10:00:00+09:00"}, "start")):
        refused = client.post(f"{URL}/{english}/schedule", json=body, headers=staff)
        assert refused.status_code == 422 and field in refused.get_json()["errors"], refused.get_json()
    assert row(app, english).status == "new"

    scheduled = client.post(f"{URL}/{english}/schedule", headers=staff, json={
        "date": "2027-01-19", "start": "2027-01-19T13:30:00+09:00", "staff": "山田・佐藤"})
    assert scheduled.status_code == 200, scheduled.get_json()
    body = scheduled.get_json()
    assert (body["status"], body["date"], body["start"], body["staff"]) == (
        "scheduled", "2027-01-19", "2027-01-19T13:30:00+09:00", "山田・佐藤")
    declined = client.post(f"{URL}/{japanese}/decline", json={"reason": "希望日に職員の都合がつかないため"},
                           headers=staff)
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    # A declined request moves no more; a new one cannot be done.
    again = client.post(f"{URL}/{japanese}/schedule", headers=staff,
                        json={"date": "2027-01-14", "start": "2027-01-14T10:00:00+09:00"})
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transition"

    assert send_outbox(app) == {"sent": 4, "failed": 0, "skipped": 0}
    received = {(recipients[0], message["Subject"]): message for recipients, message in smtp.wait_for(4)}
    subjects = {key[1] for key in received}
    assert f"Your home visit is scheduled (No. {english})" in subjects
    assert f"【出張申請 受付】受付番号 {japanese}" in subjects
    confirmed = body_text(received[("manager@example.com", f"Your home visit is scheduled (No. {english})")])
    assert "Tue 19 January 2027 13:30" in confirmed
    assert "notification card (通知カード)" in confirmed and "ID documents (本人確認書類)" in confirmed
    refusal = received[("hanako@example.jp", f"【出張申請】お申込みについて 受付番号 {japanese}")]
    assert refusal["Content-Language"] == "ja"
    text = body_text(refusal)
    assert "理由:希望日に職員の都合がつかないため" in text and "申し訳ありません" in text
    receipt = body_text(received[("hanako@example.jp", f"【出張申請 受付】受付番号 {japanese}")])
    assert "2027年1月14日(木) 午前" in receipt and "〒910-4192" in receipt

    done = client.post(f"{URL}/{english}/done", headers=staff)
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    assert client.post(f"{URL}/{english}/done", headers=staff).status_code == 409
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["outreach.submit", "outreach.submit", "outreach.schedule", "outreach.decline",
                       "outreach.done"]


def test_a_visit_moved_again_sends_only_the_latest_notice(make_app, smtp, clock):
    app = make_app(**mail_config(smtp.port))
    client = app.test_client()
    staff = bearer(make_staff(app)[1])
    request_id = apply(client, email="moved@example.jp").get_json()["id"]
    client.post(f"{URL}/{request_id}/schedule", headers=staff,
                json={"date": "2027-01-14", "start": "2027-01-14T09:30:00+09:00"})
    clock.advance(minutes=5)
    client.post(f"{URL}/{request_id}/schedule", headers=staff,
                json={"date": "2027-01-20", "start": "2027-01-20T10:00:00+09:00"})
    assert send_outbox(app) == {"sent": 2, "failed": 0, "skipped": 1}
    texts = [body_text(message) for _rcpt, message in smtp.wait_for(2)]
    assert any("2027年1月20日(水) 10:00" in text for text in texts)
    assert not any("2027年1月14日(木) 9:30" in text for text in texts)


def test_the_back_office_calendar_sees_visits_without_personal_data(app, client, staff):
    request_id = apply(client).get_json()["id"]
    apply(client, email="other@example.jp")  # still new: not a visit
    client.post(f"{URL}/{request_id}/schedule", headers=staff,
                json={"date": "2027-01-20", "start": "2027-01-20T10:00:00+09:00"})
    with app.app_context():
        visits = outreach.get_visits(db.session, date(2027, 1, 18), date(2027, 1, 22))
        assert outreach.get_visits(db.session, date(2027, 1, 21), date(2027, 1, 22)) == []
    [visit] = visits
    assert (visit.id, visit.date, visit.start.isoformat(), visit.kind, visit.applicants, visit.status) == (
        request_id, date(2027, 1, 20), "2027-01-20T10:00:00+09:00", "company", 12, "scheduled")
    assert not {"contact_name", "email", "phone", "address", "postcode", "note"} & set(vars(visit))


# ---------------------------------------------------------------- the purge

def test_personal_data_is_purged_after_the_retention_period(app, client, staff, clock):
    done_id = apply(client).get_json()["id"]
    declined_id = apply(client, email="decline@example.jp").get_json()["id"]
    open_id = apply(client, email="open@example.jp").get_json()["id"]
    client.post(f"{URL}/{done_id}/schedule", headers=staff,
                json={"date": "2027-01-14", "start": "2027-01-14T10:00:00+09:00"})
    clock.set(2027, 1, 14, 15, 0)
    staff = bearer(make_staff(app)[1])  # a token of the day
    assert client.post(f"{URL}/{done_id}/done", headers=staff).status_code == 200
    assert client.post(f"{URL}/{declined_id}/decline", headers=staff,
                       json={"reason": "対象外のため"}).status_code == 200
    retention = app.config["PERSONAL_DATA_RETENTION_DAYS"]

    def purge() -> int:
        with app.app_context():
            try:
                return jobs.purge_outreach_requests()
            finally:
                db.session.remove()

    clock.advance(days=retention - 1)
    assert purge() == 0
    assert row(app, done_id).contact_name is not None
    clock.advance(days=2)
    assert purge() == 2
    assert purge() == 0  # twice is harmless
    for request_id in (done_id, declined_id):
        purged = row(app, request_id)
        assert (purged.contact_name, purged.email, purged.phone, purged.postcode, purged.address,
                purged.note) == (None,) * 6
        assert purged.purged_at is not None and purged.applicants == 12  # the figures stay
    kept = row(app, open_id)
    assert kept.contact_name is not None and kept.purged_at is None
    recipients = {message.dedupe_key: message.recipient for message in outbox_rows(app)}
    assert recipients[f"outreach_received:{done_id}"] is None
    assert recipients[f"outreach_declined:{declined_id}"] is None
    assert recipients[f"outreach_received:{open_id}"] == "open@example.jp"
    # The staff API shows a purged request without its personal data.
    staff = bearer(make_staff(app)[1])
    shown = client.get(f"{URL}/{done_id}", headers=staff).get_json()
    assert shown["contact_name"] is None and shown["address"] is None and shown["purged_at"]

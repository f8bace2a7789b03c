"""Bad input never answers 500 and never reaches the database: NUL characters and
unpaired surrogates anywhere, ids beyond the database's integer, JSON nested without
end, bodies too large; the access log keeps its lines and hides tokens; behind a proxy
the limits key on the resident; a stranger's wrong passwords never lock a clerk out."""
from __future__ import annotations

import json
import logging

import pytest

from queue_app.security import RedactTokens

from queue_helpers import PASSWORD, bearer, make_staff
from resident_helpers import book_form


@pytest.fixture
def any_app(make_app, backend):
    """The demo city on SQLite and on PostgreSQL (which refuses NUL and surrogates)."""
    return make_app(backend)


@pytest.mark.parametrize("path", [
    "/api/v1/availability?location=hon%00cho&service=card-pickup&date=2027-01-14",
    "/api/v1/availability?location=honcho&service=card-pickup&date=2027-01-14&x%00=1",
])
def test_a_nul_in_a_query_is_refused_with_a_4xx(any_app, path):
    response = any_app.test_client().get(path)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "invalid"


def test_a_nul_in_a_path_segment_is_not_found(any_app):
    response = any_app.test_client().get("/api/v1/reservations/AB%00CD-EFGH?token=x")
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["山田\u0000花子", "山田\ud800花子", "\udfff"])
def test_nul_and_lone_surrogates_in_a_json_body_are_refused(any_app, name):
    body = json.dumps({"location": "honcho", "service": "card-pickup",
                       "start": "2027-01-14T09:00:00+09:00", "name": name,
                       "email": "hanako@example.jp"})  # ensure_ascii: "\\u0000", "\\ud800"
    response = any_app.test_client().post("/api/v1/reservations", data=body,
                                          content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"name": ["Contains a character that cannot be stored."]}


def test_a_nul_in_a_form_field_is_refused(any_app):
    response = book_form(any_app.test_client(), name="山田\x00花子")
    assert response.status_code == 422


def test_a_counter_id_beyond_the_database_integer_is_not_found(make_app, backend):
    app = make_app(backend)
    _, token = make_staff(app)
    client = app.test_client()
    for counter_id in (2**31, 2**63, 10**30):
        response = client.post(f"/api/v1/counters/{counter_id}/call-next", headers=bearer(token))
        assert response.status_code == 404, counter_id
    response = client.post("/api/v1/counters/2147483647/call-next", headers=bearer(token))
    assert response.status_code == 404  # the largest id is a real lookup: no such counter


def test_an_integer_beyond_the_database_in_a_body_is_invalid(make_app, backend):
    app = make_app(backend)
    _, token = make_staff(app)
    client = app.test_client()
    response = client.post("/api/v1/tickets/xyz/transfer", json={"counter": 2**40}, headers=bearer(token))
    assert response.status_code in (404, 422)
    assert response.status_code != 500


def test_json_nested_without_end_is_refused_quickly(app):
    deep = "[" * 100_000 + "]" * 100_000
    response = app.test_client().post("/api/v1/reservations", data=deep, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.content_type == "application/problem+json"
    nested = '{"name": ' + "[" * 40 + '"x"' + "]" * 40 + "}"
    response = app.test_client().post("/api/v1/reservations", data=nested, content_type="application/json")
    assert response.status_code == 422


def test_a_body_over_the_limit_is_413_before_it_is_read(app):
    big = b'{"name": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1) + b'"}'
    response = app.test_client().post("/api/v1/reservations", data=big, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["code"] == "too_large"


def test_the_access_log_keeps_gunicorns_atoms_and_hides_the_token():
    # gunicorn logs ``access_log_format % atoms`` with one dict of atoms.
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s',
                               ({"h": "127.0.0.1", "r": "GET /reservations/AB?token=secret HTTP/1.1",
                                 "s": "200"},), None)
    assert RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1 "GET /reservations/AB?token=… HTTP/1.1" 200'
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"%s" %s',
                               ("GET /x?token=secret&lang=en HTTP/1.1", 200), None)
    assert RedactTokens().filter(record)
    assert record.getMessage() == '"GET /x?token=…&lang=en HTTP/1.1" 200'


# ---------------------------------------------------------------- behind the city's proxy

def test_behind_one_proxy_each_resident_has_their_own_booking_limit(make_app):
    app = make_app(PROXY_HOPS=1, BOOKING_RATE_LIMIT="2/minute")
    client = app.test_client()

    def book_from(address: str, minute: int):
        return client.post("/api/v1/reservations", headers={"X-Forwarded-For": address}, json={
            "location": "honcho", "service": "card-pickup",
            "start": f"2027-01-14T{9 + minute // 4:02d}:{minute % 4 * 15:02d}:00+09:00",
            "name": "山田 花子", "email": f"r{address.replace('.', '')}-{minute}@example.jp"})

    assert [book_from("203.0.113.1", i).status_code for i in range(3)] == [201, 201, 429]
    assert book_from("203.0.113.2", 3).status_code == 201  # another resident, own bucket


def test_a_client_cannot_forge_its_address_past_the_configured_hops(make_app):
    app = make_app(PROXY_HOPS=1, BOOKING_RATE_LIMIT="1/minute")
    client = app.test_client()
    # The proxy appends the real address; what the client wrote before it is not trusted.
    responses = [client.post("/api/v1/reservations", headers={"X-Forwarded-For": f"10.0.0.{i}, 127.0.0.1"},
                             json={"location": "honcho", "service": "card-pickup", "name": "x",
                                   "start": "2027-01-14T09:15:00+09:00", "email": f"b{i}@example.jp"})
                 for i in range(2)]
    assert [r.status_code for r in responses] == [201, 429]


def test_without_a_proxy_forwarded_headers_are_ignored(make_app):
    app = make_app(BOOKING_RATE_LIMIT="1/minute")
    client = app.test_client()
    statuses = [client.post("/api/v1/reservations", headers={"X-Forwarded-For": f"198.51.100.{i}"},
                            json={"location": "honcho", "service": "card-pickup", "name": "x",
                                  "start": "2027-01-14T09:00:00+09:00", "email": f"c{i}@example.jp"}
                            ).status_code for i in range(2)]
    assert statuses == [201, 429]


# ---------------------------------------------------------------- sign-in throttling

def _sign_in(client, username, password, address):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_a_strangers_wrong_passwords_do_not_lock_the_clerk_out(make_app):
    app = make_app()
    client = app.test_client()
    from sqlalchemy import select

    from queue_app.extensions import db
    from queue_app.models import User

    user_id, _ = make_staff(app)
    with app.app_context():
        name = db.session.scalar(select(User.username).where(User.id == user_id))
    for _ in range(3):
        assert _sign_in(client, name, "wrong password!", "203.0.113.9").status_code == 401
    stranger = _sign_in(client, name, PASSWORD, "203.0.113.9")
    assert stranger.status_code == 429 and stranger.get_json()["code"] == "too_many_attempts"
    assert _sign_in(client, name, PASSWORD, "192.0.2.10").status_code == 200  # the clerk's counter


@pytest.mark.parametrize("day", ["0001-01-01", "0051-05-12", "9999-12-31"])
def test_a_date_the_calendar_cannot_reason_about_is_invalid(make_app, day):
    app = make_app()
    _, token = make_staff(app)
    client = app.test_client()
    response = client.get(f"/api/v1/availability?location=awara&service=cert-renewal&date={day}")
    assert response.status_code == 422 and "date" in response.get_json()["errors"]
    response = client.get(f"/api/v1/locations/awara/reservations?date={day}", headers=bearer(token))
    assert response.status_code == 422

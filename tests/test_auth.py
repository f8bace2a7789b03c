"""Sign-in and who may call what: staff bearer tokens (issue, expiry, revocation,
lockout, rate limit), the console's session with its CSRF header, and devices."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import ApiToken, User

from queue_helpers import PASSWORD, bearer, desk, make_device  # noqa: F401


def sign_in(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def username_of(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).username


def test_sign_in_gives_a_working_bearer_token(desk):
    name = username_of(desk.app, desk.staff_id)
    response = sign_in(desk.client, name)
    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_at"] == "2027-01-12T22:00:00+09:00"  # STAFF_TOKEN_HOURS = 12
    assert body["user"]["role"] == "staff"
    assert desk.get("/locations/honcho/counters", body["token"]).status_code == 200
    with desk.app.app_context():  # only the hash is stored
        hashes = db.session.scalars(select(ApiToken.token_hash)).all()
        assert body["token"] not in hashes


@pytest.mark.parametrize("username, password", [
    ("nobody", PASSWORD), ("STAFF", PASSWORD), (None, "wrong password!")])
def test_wrong_credentials_are_401(desk, username, password):
    username = username or username_of(desk.app, desk.staff_id)
    response = sign_in(desk.client, username, password)
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "unauthorized"
    assert "token" not in response.get_json()


def test_missing_fields_are_422(desk):
    response = desk.client.post("/api/v1/auth/token", json={"username": "x"})
    assert response.status_code == 422 and "password" in response.get_json()["errors"]


def test_repeated_failures_lock_the_account_for_a_while(desk):
    name = username_of(desk.app, desk.staff_id)
    for _ in range(3):
        assert sign_in(desk.client, name, "wrong password!").status_code == 401
    locked = sign_in(desk.client, name)  # even the right password waits
    assert locked.status_code == 429
    assert locked.get_json()["code"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) >= 1
    desk.clock.advance(seconds=6)
    assert sign_in(desk.client, name).status_code == 200
    # A success resets the count: one more failure does not lock.
    assert sign_in(desk.client, name, "wrong password!").status_code == 401
    assert sign_in(desk.client, name).status_code == 200


def test_the_lock_grows_with_each_failure(desk):
    name = username_of(desk.app, desk.staff_id)
    for _ in range(3):
        sign_in(desk.client, name, "wrong password!")
    desk.clock.advance(seconds=6)
    assert sign_in(desk.client, name, "wrong password!").status_code == 401
    retry = int(sign_in(desk.client, name).headers["Retry-After"])
    assert retry > 5


def test_sign_in_is_rate_limited_per_address(make_app, clock):
    app = make_app(LOGIN_RATE_LIMIT="3/minute")
    client = app.test_client()
    statuses = [sign_in(client, f"user{i}", "wrong password!").status_code for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    limited = sign_in(client, "user9", "wrong password!")
    assert limited.get_json()["code"] == "rate_limited"
    assert "Retry-After" in limited.headers


def test_a_password_is_not_screened_for_a_my_number(desk):
    response = sign_in(desk.client, "someone", "123456789012")
    assert response.status_code == 401


def test_a_token_expires(desk):
    assert desk.get("/locations/honcho/counters").status_code == 200
    desk.clock.advance(hours=11, minutes=59)
    assert desk.get("/locations/honcho/counters").status_code == 200
    desk.clock.advance(minutes=1)
    response = desk.get("/locations/honcho/counters")
    assert response.status_code == 401 and response.get_json()["code"] == "unauthorized"


def test_a_token_can_be_revoked(desk):
    response = desk.client.delete("/api/v1/auth/token", headers=bearer(desk.staff))
    assert response.status_code == 204
    assert desk.get("/locations/honcho/counters").status_code == 401
    assert desk.client.delete("/api/v1/auth/token", headers=bearer(desk.staff)).status_code == 401


def test_a_deactivated_user_loses_access(desk):
    with desk.app.app_context():
        db.session.get(User, desk.staff_id).active = False
        db.session.commit()
    assert desk.get("/locations/honcho/counters").status_code == 401
    assert sign_in(desk.client, username_of(desk.app, desk.staff_id)).status_code == 401


STAFF_ENDPOINTS = [
    ("GET", "/locations/honcho/counters"),
    ("GET", "/locations/honcho/queue"),
    ("GET", "/locations/honcho/reservations"),
    ("POST", "/counters/1/call-next"),
    ("POST", "/counters/1/open"),
    ("POST", "/counters/1/close"),
    ("POST", "/tickets/abc/recall"),
    ("POST", "/tickets/abc/start"),
    ("POST", "/tickets/abc/complete"),
    ("POST", "/tickets/abc/no-show"),
    ("POST", "/tickets/abc/cancel"),
    ("POST", "/tickets/abc/transfer"),
    ("POST", "/tickets/abc/prioritise"),
    ("GET", "/auth/session"),
]


@pytest.mark.parametrize("method, path", STAFF_ENDPOINTS)
def test_staff_endpoints_refuse_everyone_else(desk, method, path):
    _, display = make_device(desk.app, "honcho", kind="display")
    url = f"/api/v1{path}"
    anonymous = desk.client.open(url, method=method, json={})
    assert anonymous.status_code == 401, anonymous.get_json()
    assert anonymous.content_type == "application/problem+json"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert desk.client.open(url, method=method, json={}, headers=bearer("forged")).status_code == 401
    assert desk.client.open(url, method=method, json={}, headers=bearer(desk.kiosk)).status_code == 403
    assert desk.client.open(url, method=method, json={}, headers=bearer(display)).status_code == 403
    basic = desk.client.open(url, method=method, json={}, headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401


# ---------------------------------------------------------------- the console's session

def sign_in_session(client, user_id: int) -> None:
    """What the console's login page does with Flask-Login."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


def test_a_console_session_reads_without_csrf_and_writes_with_it(desk):
    client = desk.app.test_client()
    sign_in_session(client, desk.staff_id)
    assert client.get("/api/v1/locations/honcho/counters").status_code == 200
    who = client.get("/api/v1/auth/session").get_json()
    assert who["via"] == "session" and who["user"]["id"] == desk.staff_id
    token = who["csrf_token"]

    desk.walk_in()
    without = client.post(f"/api/v1/counters/{desk.counters[0]}/call-next")
    assert without.status_code == 403 and without.get_json()["code"] == "forbidden"
    forged = client.post(f"/api/v1/counters/{desk.counters[0]}/call-next",
                         headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 403
    called = client.post(f"/api/v1/counters/{desk.counters[0]}/call-next",
                         headers={"X-CSRFToken": token})
    assert called.status_code == 200 and called.get_json()["ticket"]["number"] == "W-001"


def test_a_csrf_token_of_another_session_is_refused(desk):
    first, second = desk.app.test_client(), desk.app.test_client()
    sign_in_session(first, desk.staff_id)
    sign_in_session(second, desk.staff_id)
    token = first.get("/api/v1/auth/session").get_json()["csrf_token"]
    response = second.post(f"/api/v1/counters/{desk.counters[0]}/close", headers={"X-CSRFToken": token})
    assert response.status_code == 403


def test_a_session_of_a_deactivated_user_is_refused(desk):
    client = desk.app.test_client()
    sign_in_session(client, desk.staff_id)
    with desk.app.app_context():
        db.session.get(User, desk.staff_id).active = False
        db.session.commit()
    assert client.get("/api/v1/locations/honcho/counters").status_code == 401


def test_a_bad_bearer_token_is_not_rescued_by_the_session(desk):
    client = desk.app.test_client()
    sign_in_session(client, desk.staff_id)
    response = client.get("/api/v1/locations/honcho/counters", headers=bearer("forged"))
    assert response.status_code == 401


def test_a_bearer_token_needs_no_csrf(desk):
    desk.walk_in()
    assert desk.call(0).status_code == 200
    assert "csrf_token" not in desk.get("/auth/session").get_json()


def test_actions_record_the_session_user(desk):
    from queue_helpers import audit_actions

    client = desk.app.test_client()
    sign_in_session(client, desk.staff_id)
    token = client.get("/api/v1/auth/session").get_json()["csrf_token"]
    client.post(f"/api/v1/counters/{desk.counters[0]}/close", headers={"X-CSRFToken": token})
    [entry] = [e for e in audit_actions(desk.app) if e.action == "counter.close"]
    assert entry.actor == f"user:{desk.staff_id}"

"""The back office's users and devices (issue 15, items 3 and 4): the admin API and the
pages, on SQLite and PostgreSQL. Only administrators get in (anonymous 401, staff and
device tokens 403); a disabled user's tokens and console session stop at once; a reset
password must be replaced before anything else; the last active administrator stays;
bad input changes nothing; every change leaves one audit entry; a revoked device's
token answers 401 and its display is disconnected at once."""
from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
import socketio
from flask import url_for
from sqlalchemy import func, select

from conftest import decode_qr
from queue_helpers import PASSWORD, bearer, make_device, make_staff
from queue_app.extensions import db
from queue_app.models import ApiToken, AuditEntry, Device, User
from queue_app.services import accounts


@pytest.fixture
def admin_app(make_app, backend):
    app = make_app(backend=backend)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def counts(app) -> tuple[int, int, int]:
    """Users, devices and audit entries: what a refused request must leave as it was."""
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (User, Device, AuditEntry))


def audit_actions(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def form_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
             or re.search(r'name="csrf-token" content="([^"]+)"', page))  # the console's <meta>
    return found.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    """Through the console's real login form; the response of the POST."""
    return client.post("/staff/login", data={"csrf_token": form_token(client, "/staff/login"),
                                             "username": username, "password": password})


def post_form(client, path: str, data: dict, page: str):
    """A back-office form as the browser sends it, with the CSRF token of ``page``."""
    return client.post(path, data={"csrf_token": form_token(client, page), **data})


# ---------------------------------------------------------------- who may

ADMIN_CALLS = [
    ("get", "/api/v1/admin/users", None),
    ("post", "/api/v1/admin/users", {"username": "new-clerk", "role": "staff", "password": "long-enough-1"}),
    ("post", "/api/v1/admin/users/1/disable", None),
    ("post", "/api/v1/admin/users/1/enable", None),
    ("post", "/api/v1/admin/users/1/reset-password", None),
    ("get", "/api/v1/admin/devices", None),
    ("post", "/api/v1/admin/devices", {"name": "new-kiosk", "kind": "kiosk", "location": "honcho"}),
    ("delete", "/api/v1/admin/devices/1", None),
]


def test_only_administrators_may_use_the_users_and_devices_api(admin_app):
    client = admin_app.test_client()
    make_staff(admin_app, "first-admin", role="admin")  # user 1, whom the calls name
    _, staff = make_staff(admin_app, "clerk")
    _, kiosk = make_device(admin_app, kind="kiosk")     # device 1
    _, display = make_device(admin_app, kind="display")
    before = counts(admin_app)
    for method, path, body in ADMIN_CALLS:
        anonymous = getattr(client, method)(path, json=body)
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.json["code"] == "unauthorized"
        for token in (staff, kiosk, display):
            refused = getattr(client, method)(path, json=body, headers=bearer(token))
            assert refused.status_code == 403, (method, path, refused.json)
            assert refused.json["code"] == "forbidden"
    assert counts(admin_app) == before
    # The kiosk's token still works where it belongs.
    assert client.get("/kiosk/honcho/device", headers=bearer(kiosk)).status_code == 200


# ---------------------------------------------------------------- users

def test_an_admin_creates_users_of_both_roles_who_can_then_sign_in(admin_app):
    client = admin_app.test_client()
    admin_id, admin = make_staff(admin_app, "boss", role="admin")
    created = client.post("/api/v1/admin/users", headers=bearer(admin),
                          json={"username": "suzuki", "role": "admin", "password": "a-new-password"})
    assert created.status_code == 201
    assert {k: created.json[k] for k in ("username", "role", "active")} == {
        "username": "suzuki", "role": "admin", "active": True}
    assert isinstance(created.json["id"], int)
    token = client.post("/api/v1/auth/token", json={"username": "suzuki", "password": "a-new-password"})
    assert token.status_code == 200
    # The new administrator is one: they may use the back office.
    assert client.get("/api/v1/admin/users", headers=bearer(token.json["token"])).status_code == 200
    listed = client.get("/api/v1/admin/users", headers=bearer(admin)).json["users"]
    assert {u["username"] for u in listed} == {"boss", "suzuki"}
    [entry] = audit_actions(admin_app, "user.create")
    assert entry.actor == f"user:{admin_id}" and entry.detail["username"] == "suzuki"
    assert "password" not in str(entry.detail) and "a-new-password" not in str(entry.detail)


@pytest.mark.parametrize("body, fields", [
    ({"username": "", "role": "staff", "password": "long-enough-1"}, {"username"}),
    ({"username": "two words", "role": "staff", "password": "long-enough-1"}, {"username"}),
    ({"username": "x" * 61, "role": "staff", "password": "long-enough-1"}, {"username"}),
    ({"username": "boss", "role": "staff", "password": "long-enough-1"}, {"username"}),  # taken
    ({"username": "ok-name", "role": "root", "password": "long-enough-1"}, {"role"}),
    ({"username": "ok-name", "role": "staff", "password": "short"}, {"password"}),
    ({"username": "", "role": "", "password": ""}, {"username", "role", "password"}),
    ({"username": "ok-name", "role": "staff"}, {"password"}),
    ({"username": 12, "role": ["admin"], "password": None}, {"username", "role", "password"}),
])
def test_a_bad_user_is_refused_field_by_field_and_nothing_changes(admin_app, body, fields):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, "boss", role="admin")
    before = counts(admin_app)
    response = client.post("/api/v1/admin/users", headers=bearer(admin), json=body)
    assert response.status_code == 422, response.json
    assert response.json["code"] == "invalid"
    assert set(response.json["errors"]) == fields
    assert counts(admin_app) == before


def test_a_disabled_users_tokens_and_console_session_stop_at_once(admin_app):
    api = admin_app.test_client()
    admin_id, admin = make_staff(admin_app, "boss", role="admin")
    clerk_id, clerk_token = make_staff(admin_app, "clerk")
    console = admin_app.test_client()
    assert sign_in(console, "clerk").status_code == 302
    assert console.get("/api/v1/auth/session").status_code == 200
    assert api.get("/api/v1/auth/session", headers=bearer(clerk_token)).status_code == 200

    disabled = api.post(f"/api/v1/admin/users/{clerk_id}/disable", headers=bearer(admin))
    assert disabled.status_code == 200 and disabled.json["active"] is False
    assert api.get("/api/v1/auth/session", headers=bearer(clerk_token)).status_code == 401
    assert console.get("/api/v1/auth/session").status_code == 401
    assert console.get("/staff").status_code == 302  # back to the login form
    assert sign_in(admin_app.test_client(), "clerk").status_code == 401
    assert api.post("/api/v1/auth/token", json={"username": "clerk", "password": PASSWORD}).status_code == 401
    [entry] = audit_actions(admin_app, "user.disable")
    assert entry.actor == f"user:{admin_id}" and entry.detail["user_id"] == clerk_id
    # Disabling again changes nothing and records nothing.
    assert api.post(f"/api/v1/admin/users/{clerk_id}/disable", headers=bearer(admin)).status_code == 200
    assert len(audit_actions(admin_app, "user.disable")) == 1

    enabled = api.post(f"/api/v1/admin/users/{clerk_id}/enable", headers=bearer(admin))
    assert enabled.status_code == 200 and enabled.json["active"] is True
    assert len(audit_actions(admin_app, "user.enable")) == 1
    # The clerk signs in again, but the token from before stays dead.
    assert api.get("/api/v1/auth/session", headers=bearer(clerk_token)).status_code == 401
    assert api.post("/api/v1/auth/token", json={"username": "clerk", "password": PASSWORD}).status_code == 200


def test_the_last_active_admin_cannot_be_disabled(admin_app):
    client = admin_app.test_client()
    first_id, first = make_staff(admin_app, "first", role="admin")
    make_staff(admin_app, "clerk")  # staff do not count
    before = counts(admin_app)
    refused = client.post(f"/api/v1/admin/users/{first_id}/disable", headers=bearer(first))
    assert refused.status_code == 409 and refused.json["code"] == "last_admin"
    assert counts(admin_app) == before
    assert client.get("/api/v1/admin/users", headers=bearer(first)).status_code == 200  # still an admin

    second_id, second = make_staff(admin_app, "second", role="admin")
    assert client.post(f"/api/v1/admin/users/{first_id}/disable", headers=bearer(second)).status_code == 200
    # Now the second is the last one.
    again = client.post(f"/api/v1/admin/users/{second_id}/disable", headers=bearer(second))
    assert again.status_code == 409 and again.json["code"] == "last_admin"


def test_unknown_users_and_devices_are_404(admin_app):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, "boss", role="admin")
    for method, path in (("post", "/api/v1/admin/users/999/disable"), ("post", "/api/v1/admin/users/999/enable"),
                         ("post", "/api/v1/admin/users/999/reset-password"), ("delete", "/api/v1/admin/devices/999")):
        response = getattr(client, method)(path, headers=bearer(admin))
        assert response.status_code == 404, path
        assert response.json["code"] == "not_found"


def test_a_reset_password_must_be_replaced_before_anything_else(admin_app):
    api = admin_app.test_client()
    admin_id, admin = make_staff(admin_app, "boss", role="admin")
    clerk_id, clerk_token = make_staff(admin_app, "clerk")
    console = admin_app.test_client()
    assert sign_in(console, "clerk").status_code == 302

    reset = api.post(f"/api/v1/admin/users/{clerk_id}/reset-password", headers=bearer(admin))
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    temporary = reset.json["temporary_password"]
    assert len(temporary) >= 10 and reset.json["user"]["must_change_password"] is True
    # What the clerk held stops; the old password and, for the API, the temporary one too.
    assert api.get("/api/v1/auth/session", headers=bearer(clerk_token)).status_code == 401
    assert console.get("/api/v1/auth/session").status_code == 401
    assert api.post("/api/v1/auth/token", json={"username": "clerk", "password": PASSWORD}).status_code == 401
    refused = api.post("/api/v1/auth/token", json={"username": "clerk", "password": temporary})
    assert refused.status_code == 403
    assert refused.json["code"] == "password_change_required"
    assert "/staff/login" in refused.json["detail"]
    with admin_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)
                                 .where(ApiToken.user_id == clerk_id)) == 0

    # The console: the temporary password leads to the change form, not to the console.
    browser = admin_app.test_client()
    asked = sign_in(browser, "clerk", temporary)
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "パスワードの変更" in page and 'name="new_password"' in page
    assert browser.get("/staff").status_code == 302  # nothing else before the change
    assert browser.get("/api/v1/auth/session").status_code == 401

    csrf = form_token(browser, "/staff/login")
    mismatch = browser.post("/staff/login", data={"csrf_token": csrf, "new_password": "brand-new-password",
                                                  "confirm_password": "brand-new-passwort"})
    assert mismatch.status_code == 422
    assert 'id="confirm-error"' in mismatch.get_data(as_text=True)
    same = browser.post("/staff/login", data={"csrf_token": csrf, "new_password": temporary,
                                              "confirm_password": temporary})
    assert same.status_code == 422
    assert "仮パスワードとは別の" in same.get_data(as_text=True)
    short = browser.post("/staff/login", data={"csrf_token": csrf, "new_password": "short",
                                               "confirm_password": "short"})
    assert short.status_code == 422 and 'id="password-error"' in short.get_data(as_text=True)

    done = browser.post("/staff/login", data={"csrf_token": csrf, "new_password": "brand-new-password",
                                              "confirm_password": "brand-new-password"})
    assert done.status_code == 302 and done.headers["Location"].rstrip("/").endswith("/staff")
    assert browser.get("/api/v1/auth/session").json["user"]["username"] == "clerk"
    assert api.post("/api/v1/auth/token", json={"username": "clerk", "password": temporary}).status_code == 401
    assert api.post("/api/v1/auth/token",
                    json={"username": "clerk", "password": "brand-new-password"}).status_code == 200
    [reset_entry] = audit_actions(admin_app, "user.reset_password")
    assert reset_entry.actor == f"user:{admin_id}" and temporary not in str(reset_entry.detail)
    [changed] = audit_actions(admin_app, "user.change_password")
    assert changed.actor == f"user:{clerk_id}"


def test_the_change_form_needs_the_temporary_password_first(admin_app):
    """Posting a new password without having signed in with the temporary one changes nothing."""
    api = admin_app.test_client()
    _, admin = make_staff(admin_app, "boss", role="admin")
    clerk_id, _ = make_staff(admin_app, "clerk")
    api.post(f"/api/v1/admin/users/{clerk_id}/reset-password", headers=bearer(admin))
    stranger = admin_app.test_client()
    csrf = form_token(stranger, "/staff/login")
    response = stranger.post("/staff/login", data={"csrf_token": csrf, "username": "clerk",
                                                   "new_password": "taken-over-password",
                                                   "confirm_password": "taken-over-password"})
    assert response.status_code == 401
    assert audit_actions(admin_app, "user.change_password") == []
    with admin_app.app_context():
        assert db.session.scalar(select(User.must_change_password).where(User.id == clerk_id)) is True


# ---------------------------------------------------------------- devices

def test_an_admin_issues_a_kiosk_once_and_revokes_it(admin_app):
    client = admin_app.test_client()
    admin_id, admin = make_staff(admin_app, "boss", role="admin")
    issued = client.post("/api/v1/admin/devices", headers=bearer(admin),
                         json={"name": "1F-kiosk", "kind": "kiosk", "location": "honcho"})
    assert issued.status_code == 201 and issued.headers["Cache-Control"] == "no-store"
    body = issued.json
    assert {k: body[k] for k in ("name", "kind", "location")} == {
        "name": "1F-kiosk", "kind": "kiosk", "location": "honcho"}
    token = body["token"]
    # The kiosk sets itself up from the #token= fragment (kiosk.js), never sent to a server.
    assert body["setup_url"].endswith(f"/kiosk/honcho#token={token}")
    png = body["setup_qr"].removeprefix("data:image/png;base64,")
    assert decode_qr(base64.b64decode(png)) == body["setup_url"]
    with admin_app.app_context():
        stored = db.session.get(Device, body["id"])
        assert stored.token_hash != token and token not in stored.token_hash  # only its hash
    listed = client.get("/api/v1/admin/devices", headers=bearer(admin)).json["devices"]
    assert [d["name"] for d in listed] == ["1F-kiosk"] and "token" not in listed[0]
    assert listed[0]["online"] is False and listed[0]["last_seen_at"] is None

    ticket = client.post("/api/v1/tickets", headers=bearer(token),
                         json={"location": "honcho", "service": "info-change"})
    assert ticket.status_code == 201, ticket.json

    revoked = client.delete(f"/api/v1/admin/devices/{body['id']}", headers=bearer(admin))
    assert revoked.status_code == 200 and revoked.json["revoked"] is True
    after = client.post("/api/v1/tickets", headers=bearer(token),
                        json={"location": "honcho", "service": "info-change"})
    assert after.status_code == 401 and after.json["code"] == "unauthorized"
    assert client.get("/kiosk/honcho/device", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/admin/devices", headers=bearer(admin)).json["devices"] == []
    [created] = audit_actions(admin_app, "device.create")
    [gone] = audit_actions(admin_app, "device.revoke")
    assert created.actor == gone.actor == f"user:{admin_id}"
    assert token not in str(created.detail)
    # Revoking again records nothing more.
    assert client.delete(f"/api/v1/admin/devices/{body['id']}", headers=bearer(admin)).status_code == 200
    assert len(audit_actions(admin_app, "device.revoke")) == 1


def test_a_display_sets_itself_up_from_its_address(admin_app):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, "boss", role="admin")
    body = client.post("/api/v1/admin/devices", headers=bearer(admin),
                       json={"name": "lobby-screen", "kind": "display", "location": "awara"}).json
    assert body["setup_url"].endswith(f"/display/awara?token={body['token']}")


@pytest.mark.parametrize("body, fields", [
    ({"name": "", "kind": "kiosk", "location": "honcho"}, {"name"}),
    ({"name": "n" * 61, "kind": "kiosk", "location": "honcho"}, {"name"}),
    ({"name": "taken", "kind": "kiosk", "location": "honcho"}, {"name"}),
    ({"name": "ok", "kind": "printer", "location": "honcho"}, {"kind"}),
    ({"name": "ok", "kind": "display", "location": "nowhere"}, {"location"}),
    ({"name": "", "kind": "", "location": ""}, {"name", "kind", "location"}),
    ({"kind": "kiosk", "location": "honcho"}, {"name"}),
])
def test_a_bad_device_is_refused_field_by_field_and_nothing_changes(admin_app, body, fields):
    client = admin_app.test_client()
    _, admin = make_staff(admin_app, "boss", role="admin")
    assert client.post("/api/v1/admin/devices", headers=bearer(admin),
                       json={"name": "taken", "kind": "kiosk", "location": "honcho"}).status_code == 201
    before = counts(admin_app)
    response = client.post("/api/v1/admin/devices", headers=bearer(admin), json=body)
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) == fields
    assert counts(admin_app) == before


def test_last_seen_moves_at_most_once_in_five_minutes_and_a_kiosk_is_seen_when_it_works(admin_app, clock):
    device_id, token = make_device(admin_app, kind="kiosk")
    first = clock()
    with admin_app.app_context():
        assert accounts.device_for_token(db.session, token, first).last_seen_at == first
        db.session.commit()
        clock.advance(seconds=280)
        assert not accounts.touch_device(db.session, db.session.get(Device, device_id), clock())
        db.session.commit()
        assert db.session.get(Device, device_id).last_seen_at == first
        clock.advance(seconds=30)
        assert accounts.device_for_token(db.session, token, clock()).last_seen_at == first + timedelta(seconds=310)
        db.session.commit()
    clock.advance(minutes=10)
    offer = admin_app.test_client().get("/api/v1/locations/honcho/walk-in-services", headers=bearer(token))
    assert offer.status_code == 200
    with admin_app.app_context():
        assert db.session.get(Device, device_id).last_seen_at == clock()  # the kiosk's own request


def test_a_revoked_display_is_disconnected_at_once_and_cannot_come_back(make_app, backend, live_server, clock):
    app = make_app(backend=backend)
    server = live_server(app)
    client = app.test_client()
    _, admin = make_staff(app, "boss", role="admin")
    body = client.post("/api/v1/admin/devices", headers=bearer(admin),
                       json={"name": "screen-1", "kind": "display", "location": "honcho"}).json
    events = []
    screen = socketio.Client(reconnection=False)
    screen.on("revoked", lambda data: events.append(("revoked", data)), namespace="/display")
    screen.on("snapshot", lambda data: events.append(("snapshot", data)), namespace="/display")
    screen.connect(server.url, namespaces=["/display"], auth={"location": "honcho", "token": body["token"]},
                   transports=["websocket"], wait_timeout=10)
    try:
        listed = client.get("/api/v1/admin/devices", headers=bearer(admin)).json["devices"]
        assert listed[0]["online"] is True
        assert listed[0]["last_seen_at"] == clock().isoformat()  # the connection was a use of the token

        assert client.delete(f"/api/v1/admin/devices/{body['id']}", headers=bearer(admin)).status_code == 200
        for _ in range(50):
            if not screen.connected:
                break
            screen.sleep(0.1)
        assert not screen.connected
        assert ("revoked", {"reason": "revoked"}) in events
        again = socketio.Client(reconnection=False)
        refusals = []
        again.on("connect_error", refusals.append, namespace="/display")
        with pytest.raises(socketio.exceptions.ConnectionError):
            again.connect(server.url, namespaces=["/display"],
                          auth={"location": "honcho", "token": body["token"]},
                          transports=["websocket"], wait_timeout=5)
        again.disconnect()
        # The reason the display page reads to say it needs setting up.
        assert refusals and refusals[0]["message"] == "invalid_token"
        assert client.get("/api/v1/admin/devices", headers=bearer(admin)).json["devices"] == []
    finally:
        screen.disconnect()


# ---------------------------------------------------------------- pages

def test_staff_get_the_403_page_and_strangers_the_login(admin_app):
    make_staff(admin_app, "clerk")
    stranger = admin_app.test_client()
    for path in ("/admin", "/admin/users", "/admin/devices"):
        response = stranger.get(path)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    clerk = admin_app.test_client()
    sign_in(clerk, "clerk")
    for path in ("/admin", "/admin/users", "/admin/devices"):
        assert clerk.get(path).status_code == 403
    csrf = form_token(clerk, "/staff")
    before = counts(admin_app)
    assert clerk.post("/admin/users", data={"csrf_token": csrf, "username": "sneaky", "role": "admin",
                                            "password": "long-enough-1"}).status_code == 403
    assert clerk.post("/admin/devices", data={"csrf_token": csrf, "name": "sneaky", "kind": "kiosk",
                                              "location": "honcho"}).status_code == 403
    assert counts(admin_app) == before


def test_the_home_links_every_back_office_page_in_japanese_or_english(admin_app):
    make_staff(admin_app, "boss", role="admin")
    client = admin_app.test_client()
    sign_in(client, "boss")
    page = client.get("/admin").get_data(as_text=True)
    assert "管理メニュー" in page
    links = set(re.findall(r'href="(/admin/[a-z]+)/?\?lang=ja"', page))
    expected = {"/admin/users", "/admin/devices", "/admin/reports"}
    # The parts built alongside this one (calendar, closures, places and counters, audit
    # log), wherever they live, once they are in the build.
    with admin_app.test_request_context():
        for endpoint in ("admin_calendar.page", "admin_closures.page", "admin_catalogue.page",
                         "admin_audit.page"):
            if endpoint in admin_app.view_functions:
                expected.add(url_for(endpoint).rstrip("/"))
    assert {"/admin/closures", "/admin/audit"} <= expected  # in this build already
    assert links == expected
    english = client.get("/admin?lang=en").get_data(as_text=True)
    assert "Back office" in english and "Devices" in english and 'href="/admin/users?lang=en"' in english


def test_the_users_page_adds_disables_and_resets_with_errors_by_field(admin_app):
    make_staff(admin_app, "boss", role="admin")
    client = admin_app.test_client()
    sign_in(client, "boss")
    before = counts(admin_app)
    bad = post_form(client, "/admin/users", {"username": "two words", "role": "staff", "password": "short"},
                    "/admin/users")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'aria-describedby="username-error"' in html and "ユーザー名に空白は使えません。" in html
    assert 'id="password-error"' in html and "パスワードは10文字以上にしてください。" in html
    assert counts(admin_app) == before

    added = post_form(client, "/admin/users", {"username": "tanaka", "role": "staff",
                                               "password": "first-password", "must_change_password": "y"},
                      "/admin/users")
    assert added.status_code == 303
    listing = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "tanaka さんを追加しました。" in listing and "パスワード変更待ち" in listing
    with admin_app.app_context():
        tanaka = db.session.scalar(select(User).where(User.username == "tanaka"))
        assert tanaka.must_change_password is True

    reset = post_form(client, f"/admin/users/{tanaka.id}/reset-password", {}, "/admin/users")
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    temporary = re.search(r'id="temporary-password">([^<]+)<', reset.get_data(as_text=True)).group(1)
    assert sign_in(admin_app.test_client(), "tanaka", temporary).status_code == 200  # the change form

    disabled = post_form(client, f"/admin/users/{tanaka.id}/disable", {}, "/admin/users")
    assert disabled.status_code == 303
    assert "tanaka さんを無効にしました。" in client.get(disabled.headers["Location"]).get_data(as_text=True)
    with admin_app.app_context():
        boss_id = db.session.scalar(select(User.id).where(User.username == "boss"))
    last = post_form(client, f"/admin/users/{boss_id}/disable", {}, "/admin/users?lang=en")
    assert last.status_code == 409
    assert "The last active administrator cannot be disabled." in last.get_data(as_text=True)
    # No CSRF token: refused, nothing changes.
    assert client.post(f"/admin/users/{tanaka.id}/enable").status_code == 400
    assert len(audit_actions(admin_app, "user.enable")) == 0


def test_the_devices_page_issues_with_a_qr_code_and_revokes(admin_app):
    make_staff(admin_app, "boss", role="admin")
    client = admin_app.test_client()
    sign_in(client, "boss")
    missing = post_form(client, "/admin/devices", {"name": "", "kind": "display", "location": "nowhere"},
                        "/admin/devices")
    assert missing.status_code == 422
    html = missing.get_data(as_text=True)
    assert "端末名を入力してください。" in html and 'id="location-error"' in html

    issued = post_form(client, "/admin/devices", {"name": "lobby-1", "kind": "display", "location": "honcho"},
                       "/admin/devices")
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    html = issued.get_data(as_text=True)
    token = re.search(r'id="device-token">([^<]+)<', html).group(1)
    assert f"/display/honcho?token={token}" in html and 'src="data:image/png;base64,' in html
    assert "記録なし" in html and "未接続" in html  # never seen, not online
    with admin_app.app_context():
        device = db.session.scalar(select(Device).where(Device.name == "lobby-1"))
    listing = client.get("/admin/devices").get_data(as_text=True)
    assert "lobby-1" in listing and token not in listing  # the token is shown once

    revoked = post_form(client, f"/admin/devices/{device.id}/revoke", {}, "/admin/devices")
    assert revoked.status_code == 303
    after = client.get(revoked.headers["Location"]).get_data(as_text=True)
    assert "端末「lobby-1」を失効させました。" in after
    with admin_app.app_context():
        assert accounts.device_for_token(db.session, token) is None

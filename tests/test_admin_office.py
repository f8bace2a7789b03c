"""The back office's places, counters and procedures (issue 15, item 2): the admin API
and the /admin/office page, on SQLite and PostgreSQL. Only administrators get in
(anonymous 401 or the sign-in page, staff and device tokens 403); bad input answers
422 with its fields and changes nothing; a slug or name in use answers 409; every
change leaves one audit entry; and the booking and queue rules see a change at once
(the rules cache is cleared at commit): a new counter is listed and calls, a procedure
made non-reservable leaves the booking site, a renamed counter reaches the screens."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from queue_helpers import PASSWORD, bearer, make_device, make_staff
from queue_app.extensions import db
from queue_app.models import AuditEntry, Counter, Location, Service

API = "/api/v1/admin"


@pytest.fixture
def admin_app(make_app, backend):
    app = make_app(backend=backend)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def admin(admin_app) -> dict:
    """Bearer headers of an administrator."""
    _id, token = make_staff(admin_app, "office-admin", role="admin")
    return bearer(token)


def counts(app) -> tuple[int, ...]:
    """Places, counters, procedures, counter-procedure links and audit entries: what a
    refused request must leave as it was."""
    from queue_app.models.places import counter_services
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(table)) for table in
                     (Location, Counter, Service, counter_services, AuditEntry))


def snapshot(app) -> dict:
    """Every name and setting the office API can change, to compare before and after."""
    with app.app_context():
        return {
            "places": [(p.slug, p.name_ja, p.name_en) for p in db.session.scalars(select(Location))],
            "counters": [(c.id, c.name, c.takes_reservations, c.position, sorted(s.slug for s in c.services))
                         for c in db.session.scalars(select(Counter).order_by(Counter.id))],
            "services": [(s.slug, s.name_ja, s.name_en, s.duration_minutes, s.reservable, s.position,
                          s.bring_ja, s.bring_en) for s in db.session.scalars(select(Service).order_by(Service.id))],
        }


def audit_of(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                     .order_by(AuditEntry.id)).all()
        for entry in entries:
            db.session.expunge(entry)
        return entries


def counter_id(app, location: str, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Counter.id).join(Location).where(
            Location.slug == location, Counter.name == name))


# ---------------------------------------------------------------- who may

CALLS = [
    ("get", f"{API}/locations", None),
    ("post", f"{API}/locations", {"slug": "north", "name": {"ja": "北分室", "en": "North"}}),
    ("patch", f"{API}/locations/honcho", {"name": {"en": "Renamed"}}),
    ("get", f"{API}/counters?location=honcho", None),
    ("post", f"{API}/counters", {"location": "awara", "name": "臨時窓口", "services": ["reissue"]}),
    ("patch", f"{API}/counters/1", {"name": "改名"}),
    ("get", f"{API}/services", None),
    ("post", f"{API}/services", {"slug": "seal", "name": {"ja": "印鑑登録", "en": "Seal"}}),
    ("patch", f"{API}/services/reissue", {"duration_minutes": 30}),
]


def test_only_administrators_may_use_the_office_api(admin_app):
    client = admin_app.test_client()
    _, staff = make_staff(admin_app, "clerk")
    _, kiosk = make_device(admin_app, kind="kiosk")
    _, display = make_device(admin_app, kind="display")
    before = snapshot(admin_app), counts(admin_app)
    for method, path, body in CALLS:
        anonymous = getattr(client, method)(path, json=body)
        assert anonymous.status_code == 401, (path, anonymous.get_json())
        assert anonymous.get_json()["code"] == "unauthorized"
        for token in (staff, kiosk, display):
            refused = getattr(client, method)(path, json=body, headers=bearer(token))
            assert refused.status_code == 403, (path, refused.get_json())
            assert refused.get_json()["code"] == "forbidden"
    assert (snapshot(admin_app), counts(admin_app)) == before


# ---------------------------------------------------------------- places

def test_an_admin_adds_and_renames_a_place(admin_app, admin):
    client = admin_app.test_client()
    made = client.post(f"{API}/locations", json={"slug": "north-branch",
                                                 "name": {"ja": " 北分室 ", "en": "North branch"}}, headers=admin)
    assert made.status_code == 201, made.get_json()
    assert made.get_json() == {"slug": "north-branch", "name": {"ja": "北分室", "en": "North branch"},
                               "counters": []}
    public = client.get("/api/v1/locations").get_json()
    assert {"slug": "north-branch", "name": {"ja": "北分室", "en": "North branch"}} in public

    renamed = client.patch(f"{API}/locations/north-branch", json={"name": {"en": "North Office"}}, headers=admin)
    assert renamed.status_code == 200
    assert renamed.get_json()["name"] == {"ja": "北分室", "en": "North Office"}
    listed = client.get(f"{API}/locations", headers=admin).get_json()["locations"]
    assert [p["slug"] for p in listed] == ["honcho", "awara", "north-branch"]

    created, = audit_of(admin_app, "location.create")
    assert created.actor.startswith("user:") and created.detail["slug"] == "north-branch"
    updated, = audit_of(admin_app, "location.update")
    assert updated.detail["changed"] == {"name_en": ["North branch", "North Office"]}
    assert updated.location_id == created.location_id

    # The same names again change nothing and leave no entry.
    again = client.patch(f"{API}/locations/north-branch", json={"name": {"en": "North Office"}}, headers=admin)
    assert again.status_code == 200 and len(audit_of(admin_app, "location.update")) == 1


# ---------------------------------------------------------------- bad input

BAD = [
    ("post", f"{API}/locations", {"slug": "North Branch", "name": {"ja": "", "en": "x" * 101}}, 422,
     {"slug", "name_ja", "name_en"}),
    ("post", f"{API}/locations", {"name": {"ja": "北"}}, 422, {"slug"}),
    ("post", f"{API}/locations", {"slug": "honcho", "name": {"ja": "北", "en": "North"}}, 409, "slug_taken"),
    ("post", f"{API}/locations", {"slug": "north", "name": {"ja": "市役所 市民課", "en": "North"}}, 409, "name_taken"),
    ("patch", f"{API}/locations/honcho", {"name": {"ja": "  "}}, 422, {"name_ja"}),
    ("patch", f"{API}/locations/nowhere", {"name": {"ja": "どこ"}}, 404, "not_found"),
    ("post", f"{API}/counters", {"location": "nowhere", "name": "", "services": ["card-pickup", "no-such"],
                                 "position": -1}, 422, {"location", "name", "services", "position"}),
    ("post", f"{API}/counters", {"location": "honcho", "name": "窓口1"}, 409, "name_taken"),
    ("post", f"{API}/counters", {"location": "honcho", "name": "x" * 41}, 422, {"name"}),
    ("post", f"{API}/counters", {"location": "honcho", "name": "窓口9", "services": "reissue"}, 422, {"services"}),
    ("patch", f"{API}/counters/1", {"name": "窓口2"}, 409, "name_taken"),
    ("patch", f"{API}/counters/1", {"services": ["card-pickup", "nope"], "position": 3}, 422, {"services"}),
    ("patch", f"{API}/counters/1", {"takes_reservations": "maybe"}, 422, {"takes_reservations"}),
    ("patch", f"{API}/counters/999", {"name": "窓口9"}, 404, "not_found"),
    ("post", f"{API}/services", {"slug": "reissue", "name": {"ja": "新", "en": "New"}}, 409, "slug_taken"),
    ("post", f"{API}/services", {"slug": "new-one", "name": {"ja": "紛失による再発行", "en": "New"}}, 409,
     "name_taken"),
    ("post", f"{API}/services", {"slug": "-bad-", "name": {"ja": "新", "en": "New"}, "duration_minutes": 0,
                                 "bring": {"ja": "x" * 2001}}, 422, {"slug", "duration_minutes", "bring_ja"}),
    ("patch", f"{API}/services/reissue", {"duration_minutes": 241, "position": 10_000}, 422,
     {"duration_minutes", "position"}),
    ("patch", f"{API}/services/reissue", {"duration_minutes": "30"}, 422, {"duration_minutes"}),
    ("patch", f"{API}/services/no-such", {"reservable": True}, 404, "not_found"),
]


@pytest.mark.parametrize("method,path,body,status,expected", BAD,
                         ids=[f"{m} {p} {s}" for m, p, _b, s, _e in BAD])
def test_bad_input_is_refused_and_changes_nothing(admin_app, admin, method, path, body, status, expected):
    client = admin_app.test_client()
    before = snapshot(admin_app), counts(admin_app)
    response = getattr(client, method)(path, json=body, headers=admin)
    assert response.status_code == status, response.get_json()
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    if status == 422:
        assert problem["code"] == "invalid"
        assert set(problem["errors"]) == expected, problem
    else:
        assert problem["code"] == expected
    assert (snapshot(admin_app), counts(admin_app)) == before


# ---------------------------------------------------------------- counters

def test_a_new_counter_is_listed_takes_bookings_and_calls_at_once(admin_app, admin):
    client = admin_app.test_client()
    _, staff = make_staff(admin_app, "clerk")
    # Fill the rules cache first: awara's one counter, and a slot capacity of one.
    before = client.get("/api/v1/locations/awara/counters", headers=bearer(staff)).get_json()
    slots = client.get("/api/v1/availability?location=awara&service=card-pickup&date=2027-01-14").get_json()
    assert {slot["capacity"] for slot in slots["slots"]} == {1}

    made = client.post(f"{API}/counters", json={
        "location": "awara", "name": "臨時窓口", "services": ["reissue", "card-pickup"],
        "takes_reservations": True}, headers=admin)
    assert made.status_code == 201, made.get_json()
    counter = made.get_json()
    assert counter["services"] == ["card-pickup", "reissue"]  # in the catalogue's order
    assert counter["location"] == "awara" and counter["open"] is True
    assert counter["position"] > max(c.get("position", 0) for c in before)

    listed = client.get("/api/v1/locations/awara/counters", headers=bearer(staff)).get_json()
    assert [c["name"] for c in listed] == [c["name"] for c in before] + ["臨時窓口"]
    slots = client.get("/api/v1/availability?location=awara&service=card-pickup&date=2027-01-14").get_json()
    assert {slot["capacity"] for slot in slots["slots"]} == {2}

    # Only the new counter is left to call the walk-in: close the others first.
    for other in before:
        assert client.post(f"/api/v1/counters/{other['id']}/close", headers=bearer(staff)).status_code == 200
    ticket = client.post("/api/v1/tickets", json={"location": "awara", "service": "reissue"},
                         headers=bearer(staff))
    assert ticket.status_code == 201, ticket.get_json()
    called = client.post(f"/api/v1/counters/{counter['id']}/call-next", headers=bearer(staff))
    assert called.status_code == 200, called.get_json()
    assert called.get_json()["ticket"]["id"] == ticket.get_json()["id"]
    assert called.get_json()["ticket"]["counter"] == {"id": counter["id"], "name": "臨時窓口"}

    entry, = audit_of(admin_app, "counter.create")
    assert entry.detail["services"] == ["card-pickup", "reissue"] and entry.detail["takes_reservations"] is True


def test_a_place_offers_a_procedure_once_a_counter_serves_it(admin_app, admin):
    client = admin_app.test_client()
    _, staff = make_staff(admin_app, "clerk")
    service = client.post(f"{API}/services", json={"slug": "seal-registration",
                                                   "name": {"ja": "印鑑登録", "en": "Seal registration"}},
                          headers=admin)
    assert service.status_code == 201
    assert service.get_json()["reservable"] is False and service.get_json()["duration_minutes"] == 15
    refused = client.post("/api/v1/tickets", json={"location": "honcho", "service": "seal-registration"},
                          headers=bearer(staff))
    assert refused.status_code == 409 and refused.get_json()["code"] == "service_not_offered"

    first = counter_id(admin_app, "honcho", "窓口1")
    served = client.get(f"{API}/counters?location=honcho", headers=admin).get_json()["counters"][0]["services"]
    patched = client.patch(f"{API}/counters/{first}", json={"services": served + ["seal-registration"]},
                           headers=admin)
    assert patched.status_code == 200 and "seal-registration" in patched.get_json()["services"]
    issued = client.post("/api/v1/tickets", json={"location": "honcho", "service": "seal-registration"},
                         headers=bearer(staff))
    assert issued.status_code == 201, issued.get_json()

    change, = audit_of(admin_app, "counter.update")
    assert change.detail["changed"]["services"][1][-1] == "seal-registration"


def test_a_counter_serving_nothing_calls_nobody(admin_app, admin):
    client = admin_app.test_client()
    _, staff = make_staff(admin_app, "clerk")
    awara = client.get(f"{API}/counters?location=awara", headers=admin).get_json()["counters"]
    assert len(awara) == 1
    ticket = client.post("/api/v1/tickets", json={"location": "awara", "service": awara[0]["services"][-1]},
                         headers=bearer(staff))
    assert ticket.status_code == 201, ticket.get_json()
    stopped = client.patch(f"{API}/counters/{awara[0]['id']}", json={"services": []}, headers=admin)
    assert stopped.status_code == 200 and stopped.get_json()["services"] == []
    assert client.post(f"/api/v1/counters/{awara[0]['id']}/call-next", headers=bearer(staff)).status_code == 204


def test_a_renamed_counter_reaches_the_lobby_screens(admin_app, admin):
    client = admin_app.test_client()
    screen = admin_app.extensions["socketio"].test_client(admin_app, namespace="/display",
                                                          auth={"location": "honcho"})
    assert screen.is_connected("/display")
    first_seq = screen.get_received("/display")[-1]["args"][0]["seq"]
    first = counter_id(admin_app, "honcho", "窓口1")
    renamed = client.patch(f"{API}/counters/{first}", json={"name": "1番窓口"}, headers=admin)
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "1番窓口"
    events = [e["args"][0] for e in screen.get_received("/display") if e["name"] == "queue"]
    assert len(events) == 1
    assert events[0]["change"] == "counter" and events[0]["seq"] == first_seq + 1
    assert "1番窓口" in [c["name"] for c in events[0]["counters"]]
    assert "窓口1" not in [c["name"] for c in events[0]["counters"]]
    entry, = audit_of(admin_app, "counter.update")
    assert entry.detail == {"counter_id": first, "changed": {"name": ["窓口1", "1番窓口"]}}
    screen.disconnect("/display")


# ---------------------------------------------------------------- procedures

def test_a_procedure_made_non_reservable_leaves_the_booking_site(admin_app, admin):
    client = admin_app.test_client()
    page = client.get("/book/honcho?lang=ja").get_data(as_text=True)
    assert "/book/honcho/cert-renewal" in page
    changed = client.patch(f"{API}/services/cert-renewal", json={
        "reservable": False, "duration_minutes": 20, "name": {"en": "Certificate renewal"},
        "bring": {"ja": "マイナンバーカードと有効期限通知書", "en": "Your card and the expiry notice"}},
        headers=admin)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json() == {
        "slug": "cert-renewal", "name": {"ja": changed.get_json()["name"]["ja"], "en": "Certificate renewal"},
        "duration_minutes": 20, "reservable": False, "position": changed.get_json()["position"],
        "bring": {"ja": "マイナンバーカードと有効期限通知書", "en": "Your card and the expiry notice"}}
    page = client.get("/book/honcho?lang=ja").get_data(as_text=True)
    assert "/book/honcho/cert-renewal" not in page
    assert "/book/honcho/card-pickup" in page
    public = {s["slug"]: s for s in client.get("/api/v1/services").get_json()}
    assert public["cert-renewal"]["reservable"] is False and public["cert-renewal"]["duration_minutes"] == 20
    refused = client.post("/api/v1/reservations", json={
        "location": "honcho", "service": "cert-renewal", "start": "2027-01-14T09:00:00+09:00",
        "name": "山田 花子", "email": "r@example.jp"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "not_reservable"
    entry, = audit_of(admin_app, "service.update")
    assert set(entry.detail["changed"]) == {"reservable", "duration_minutes", "name_en", "bring_ja", "bring_en"}
    assert entry.detail["changed"]["reservable"] == [True, False]


def test_what_to_bring_shows_on_the_booking_site(admin_app, admin):
    client = admin_app.test_client()
    client.patch(f"{API}/services/card-pickup", json={"bring": {"ja": "交付通知書(はがき)を必ずお持ちください",
                                                               "en": "Bring the postcard without fail"}},
                 headers=admin)
    assert "交付通知書(はがき)を必ずお持ちください" in client.get("/book/honcho?lang=ja").get_data(as_text=True)
    assert "Bring the postcard without fail" in client.get("/book/honcho?lang=en").get_data(as_text=True)


# ---------------------------------------------------------------- the page

def form_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
             or re.search(r'name="csrf-token" content="([^"]+)"', page))  # the console's <meta>
    return found.group(1)


def sign_in(client, username: str) -> None:
    response = client.post("/staff/login", data={"csrf_token": form_token(client, "/staff/login"),
                                                 "username": username, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code


@pytest.fixture
def browser(admin_app):
    """A test client signed in as an administrator on the console."""
    make_staff(admin_app, "boss", role="admin")
    client = admin_app.test_client()
    sign_in(client, "boss")
    return client


def post_form(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": form_token(client, "/admin/office"), **data})


def test_the_page_is_for_administrators_only(admin_app):
    anonymous = admin_app.test_client().get("/admin/office")
    assert anonymous.status_code in (302, 303) and "/staff/login" in anonymous.headers["Location"]
    make_staff(admin_app, "clerk")
    clerk = admin_app.test_client()
    sign_in(clerk, "clerk")
    assert clerk.get("/admin/office").status_code == 403
    before = snapshot(admin_app)
    assert clerk.post("/admin/office/counters", data={
        "csrf_token": form_token(clerk, "/staff"), "location": "honcho", "name": "x"}).status_code == 403
    assert snapshot(admin_app) == before


def test_the_page_lists_places_counters_and_procedures_in_both_languages(browser):
    page = browser.get("/admin/office")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "窓口・手続きの設定" in html and "市役所 市民課" in html and 'id="counter-' in html
    assert "マイナンバーカードの受け取り" in html and 'id="new-counter-awara"' in html
    english = browser.get("/admin/office?lang=en").get_data(as_text=True)
    assert "Places, counters and procedures" in english and "Add a counter to" in english
    assert "窓口・手続きの設定" not in english
    # The back office's home links here.
    assert "/admin/office" in browser.get("/admin").get_data(as_text=True)


def test_an_admin_adds_a_counter_on_the_page(admin_app, browser):
    response = post_form(browser, "/admin/office/counters", {
        "location": "awara", "name": "臨時窓口", "services": ["reissue", "pin-reset"],
        "takes_reservations": "y", "position": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#counter-" + str(counter_id(admin_app, "awara", "臨時窓口")))
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "窓口「臨時窓口」を追加しました。" in page
    row = re.search(r'<tr id="counter-\d+" data-counter="臨時窓口">.*?</tr>', page, re.S).group(0)
    assert "紛失による再発行" in row and "暗証番号の再設定" in row
    entry, = audit_of(admin_app, "counter.create")
    assert entry.detail["services"] == ["reissue", "pin-reset"]


def test_a_refused_form_shows_its_errors_and_changes_nothing(admin_app, browser):
    before = snapshot(admin_app), counts(admin_app)
    response = post_form(browser, "/admin/office/counters", {"location": "honcho", "name": "",
                                                             "services": ["reissue"], "position": "abc"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="new-counter-honcho-name-error"' in html and "窓口名を入力してください。" in html
    assert 'aria-describedby="new-counter-honcho-name-error' in html
    assert 'id="new-counter-honcho-position-error"' in html
    # The ticked procedure is still ticked, the rest of the page as it was.
    assert re.search(r'id="new-counter-honcho-svc-reissue"[^>]*checked', html)
    assert not re.search(r'id="new-counter-honcho-svc-pin-reset"[^>]*checked', html)

    taken = post_form(browser, "/admin/office/counters", {"location": "honcho", "name": "窓口2"})
    assert taken.status_code == 409
    assert "この庁舎には同じ名前の窓口があります。" in taken.get_data(as_text=True)

    first = counter_id(admin_app, "honcho", "窓口1")
    renamed = post_form(browser, f"/admin/office/counters/{first}?lang=en", {"name": "窓口3"})
    assert renamed.status_code == 409
    assert "This place already has a counter of this name." in renamed.get_data(as_text=True)
    assert '<details open>' in renamed.get_data(as_text=True)

    no_token = browser.post("/admin/office/locations", data={"slug": "north", "name_ja": "北", "name_en": "N"})
    assert no_token.status_code == 400
    assert (snapshot(admin_app), counts(admin_app)) == before


def test_an_admin_adds_and_edits_a_place_and_a_procedure_on_the_page(admin_app, browser):
    added = post_form(browser, "/admin/office/locations", {"slug": "north", "name_ja": "北分室",
                                                           "name_en": "North branch"})
    assert added.status_code == 303 and added.headers["Location"].endswith("#place-north")
    renamed = post_form(browser, "/admin/office/locations/north", {"name_ja": "北分室(保健センター)",
                                                                   "name_en": "North branch"})
    assert renamed.status_code == 303
    assert "北分室(保健センター)" in browser.get("/admin/office").get_data(as_text=True)

    procedure = post_form(browser, "/admin/office/services", {
        "slug": "seal", "name_ja": "印鑑登録", "name_en": "Seal registration", "duration_minutes": "10",
        "reservable": "y", "bring_ja": "印鑑", "bring_en": "Your seal", "position": ""})
    assert procedure.status_code == 303
    bad = post_form(browser, "/admin/office/services/seal", {
        "name_ja": "印鑑登録", "name_en": "Seal registration", "duration_minutes": "3", "bring_ja": "", "bring_en": ""})
    assert bad.status_code == 422
    assert 'id="service-seal-duration_minutes-error"' in bad.get_data(as_text=True)
    edited = post_form(browser, "/admin/office/services/seal", {
        "name_ja": "印鑑登録", "name_en": "Seal registration", "duration_minutes": "20",
        "bring_ja": "登録する印鑑", "bring_en": "The seal", "position": "3"})
    assert edited.status_code == 303
    with admin_app.app_context():
        seal = db.session.scalar(select(Service).where(Service.slug == "seal"))
        assert (seal.duration_minutes, seal.reservable, seal.bring_ja, seal.position) == (20, False, "登録する印鑑", 3)
    assert [e.action for e in audit_of(admin_app, "service.create") + audit_of(admin_app, "service.update")] == \
        ["service.create", "service.update"]
    assert len(audit_of(admin_app, "location.create")) == len(audit_of(admin_app, "location.update")) == 1

"""The home-visit pages without a browser: the public form /outreach (Japanese first,
English, CSRF, errors next to their fields with nothing lost, the My Number blanked
and never echoed, one open request per contact) and the staff page /staff/outreach
(sign-in required, the requests by state, scheduling and declining with the CSRF token,
"call the applicant" when only a phone was given)."""
from __future__ import annotations

import re

from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import OutboxMessage, OutreachRequest
from queue_helpers import PASSWORD, make_staff
from resident_helpers import csrf_from
from test_outreach import application

FORM = {"kind": "group", "contact_name": "あわら市老人クラブ 鈴木 一郎", "email": "suzuki@example.jp",
        "phone": "", "postcode": "9104192", "address": "あわら市市姫3丁目1-1 公民館", "applicants": "8",
        "date_1": "2027-01-14", "part_1": "pm", "date_2": "2027-01-18", "part_2": "am",
        "date_3": "", "part_3": "am", "date_4": "", "part_4": "am", "date_5": "", "part_5": "am",
        "note": "公民館の和室で受け付けてください。"}


def token_of(html: str) -> str:
    """The CSRF token of a page, whichever order its hidden input writes its attributes in."""
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post(client, data: dict, lang: str | None = None):
    page = client.get("/outreach" + (f"?lang={lang}" if lang else ""))
    assert page.status_code == 200
    return client.post("/outreach" + (f"?lang={lang}" if lang else ""),
                       data={"csrf_token": csrf_from(page.get_data(as_text=True)), **data})


def requests_of(app) -> list[OutreachRequest]:
    with app.app_context():
        rows = db.session.scalars(select(OutreachRequest).order_by(OutreachRequest.id)).all()
        db.session.expunge_all()
        return rows


def test_the_form_speaks_japanese_first_and_english(client):
    page = client.get("/outreach").get_data(as_text=True)
    assert "<h1>出張申請の申込</h1>" in page and 'name="csrf_token"' in page
    assert 'type="date"' in page and 'min="2027-01-14"' in page and 'max="2027-04-14"' in page
    assert "第1希望日" in page and "マイナンバー(12桁の個人番号)" in page
    english = client.get("/outreach?lang=en").get_data(as_text=True)
    assert "<h1>Home visit application (出張申請)</h1>" in english and '<html lang="en">' in english


def test_a_valid_form_is_stored_in_the_page_language(app, client):
    response = post(client, FORM, lang="en")
    assert response.status_code == 303 and "/outreach/received" in response.headers["Location"]
    [stored] = requests_of(app)
    assert (stored.kind, stored.language, stored.applicants, stored.postcode, stored.express) == (
        "group", "en", 8, "910-4192", False)
    assert stored.candidates == [{"date": "2027-01-14", "part": "pm"}, {"date": "2027-01-18", "part": "am"}]
    received = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your application has been sent" in received
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.language)) == "en"


def test_errors_are_next_to_their_fields_and_nothing_is_lost(app, client):
    data = {**FORM, "postcode": "91041", "date_2": "2027-01-16", "email": "", "applicants": "0"}
    response = post(client, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="postcode-error">郵便番号を7桁で入力してください', page)
    assert re.search(r'id="date_2-error">この日は出張申請を実施していません', page)
    assert re.search(r'id="email-error">メールアドレスまたは電話番号のどちらかを入力してください', page)
    assert re.search(r'id="applicants-error">申請される人数を入力してください', page)
    # What was typed is still there.
    assert 'value="あわら市市姫3丁目1-1 公民館"' in page and "公民館の和室で受け付けてください。" in page
    assert 'value="2027-01-14"' in page and 'value="91041"' in page
    assert requests_of(app) == []


def test_a_single_candidate_is_not_enough(app, client):
    response = post(client, {**FORM, "date_2": ""})
    assert response.status_code == 422
    assert re.search(r'id="date_2-error">希望日を2〜5日入力してください', response.get_data(as_text=True))
    assert requests_of(app) == []


def test_a_my_number_is_blanked_and_never_echoed(app, client):
    response = post(client, {**FORM, "note": "個人番号は 1234 5678 9012 です", "contact_name": "１２３４５６７８９０１２",
                             "date_3": "123456789012"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "1234 5678 9012" not in page and "１２３４５６７８９０１２" not in page
    assert re.search(r'id="note-error">マイナンバー\(12桁の個人番号\)は入力しないでください', page)
    assert re.search(r'id="contact_name-error">マイナンバー', page)
    assert re.search(r'id="date_3-error">マイナンバー', page) and "123456789012" not in page
    assert 'value="あわら市市姫3丁目1-1 公民館"' in page
    assert requests_of(app) == []


def test_one_open_request_per_contact_on_the_form(app, client):
    assert post(client, FORM).status_code == 303
    again = post(client, FORM)
    assert again.status_code == 409
    assert "受付中の出張申請があります" in again.get_data(as_text=True)
    assert len(requests_of(app)) == 1


def _sign_in(app, client) -> None:
    username = f"staff-{len(requests_of(app))}-x"
    make_staff(app, username)
    page = client.get("/staff/login").get_data(as_text=True)
    response = client.post("/staff/login", data={"csrf_token": token_of(page), "username": username,
                                                 "password": PASSWORD})
    assert response.status_code == 302


def test_the_staff_page_needs_a_sign_in_and_schedules(app, client):
    assert client.get("/staff/outreach").status_code == 302
    api = app.test_client()
    phone_only = api.post("/api/v1/outreach-requests",
                          json=application(email=None, phone="0776-73-1111")).get_json()["id"]
    _sign_in(app, client)
    listing = client.get("/staff/outreach").get_data(as_text=True)
    assert re.search(r'<a href="/staff/outreach/?">出張申請', listing)  # the console's menu
    assert f'<tr data-id="{phone_only}">' in listing and "新規 (1)" in listing
    assert '<span class="tag call-tag">要電話連絡</span>' in listing
    detail = client.get(f"/staff/outreach/{phone_only}").get_data(as_text=True)
    assert 'id="call-applicant"' in detail and "07767311111"[:-1] in detail
    token = token_of(detail)
    refused = client.post(f"/staff/outreach/{phone_only}/schedule", data={
        "csrf_token": token, "candidate": "2027-01-15|am", "start": "10:00", "staff": ""})
    assert refused.status_code == 422
    assert "訪問日は申込者の候補日から選んでください。" in refused.get_data(as_text=True)
    screened = client.post(f"/staff/outreach/{phone_only}/decline", data={
        "csrf_token": token, "reason": "番号 1234-5678-9012 の方"})
    assert screened.status_code == 422 and "1234-5678-9012" not in screened.get_data(as_text=True)
    assert "マイナンバーは入力しないでください。" in screened.get_data(as_text=True)
    done = client.post(f"/staff/outreach/{phone_only}/schedule", data={
        "csrf_token": token, "candidate": "2027-01-19|pm", "start": "14:00", "staff": "山田・佐藤"})
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "訪問日時を確定しました。" in page and "2027-01-19 14:00" in page
    assert 'id="call-applicant"' in page and "0776731111" in page  # no e-mail: the clerk calls
    [stored] = requests_of(app)
    assert stored.status == "scheduled" and stored.staff == "山田・佐藤"
    # Without the CSRF token nothing happens.
    assert client.post(f"/staff/outreach/{phone_only}/done", data={}).status_code == 400
    assert requests_of(app)[0].status == "scheduled"

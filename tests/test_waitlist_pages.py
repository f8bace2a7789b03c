"""The waitlist on the residents' site: the full day's page offers the list, the form
says what is wrong field by field, the entry page leaves the list, and the offer page
books the held seat (or says kindly that it is gone)."""
from __future__ import annotations

import re

from resident_helpers import csrf_from, manage_args, reservation_row
from waitlist_helpers import NINE, cancel, entries, fill_day, holds, join, offer_token

DAY_PAGE = "/book/honcho/card-pickup/2027-01-24"
JOIN_URL = DAY_PAGE + "/waitlist"


def _join_form(client, lang="ja", **fields):
    page = client.get(f"{DAY_PAGE}?lang={lang}")
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "name": "日曜 待子",
            "email": "sunday@example.jp", **fields}
    return client.post(f"{JOIN_URL}?lang={lang}", data=data)


def test_a_day_with_seats_does_not_offer_the_waitlist(client):
    assert 'id="waitlist"' not in client.get(DAY_PAGE).get_data(as_text=True)


def test_the_full_day_offers_the_waitlist_and_joining_leads_to_the_entry_page(app, client):
    fill_day(app)
    html = client.get(DAY_PAGE).get_data(as_text=True)
    assert 'id="waitlist"' in html and "キャンセル待ち" in html
    response = _join_form(client)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-status="waiting"' in text and "1" in text
    [entry] = entries(app)
    assert (entry.name, entry.email, entry.language) == ("日曜 待子", "sunday@example.jp", "ja")
    # Leave by the page's own button.
    token = re.search(r"token=([^&\"]+)", response.headers["Location"]).group(1)
    left = client.post(f"/waitlist/{entry.id}/leave", data={"csrf_token": csrf_from(text), "token": token})
    assert left.status_code == 303
    assert 'data-status="left"' in client.get(left.headers["Location"]).get_data(as_text=True)


def test_the_join_form_says_what_is_wrong_next_to_each_field(app, client):
    fill_day(app)
    response = _join_form(client, lang="en", name="1234-5678-9012", email="nope")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "My Number" in html and "1234-5678-9012" not in html
    assert 'id="email-error"' in html and 'aria-invalid="true"' in html
    assert entries(app) == []


def test_the_entry_page_of_a_wrong_token_is_not_found(app, client):
    fill_day(app)
    body = join(client).get_json()
    assert client.get(f"/waitlist/{body['id']}?token=wrong").status_code == 404
    assert client.get(f"/waitlist/{body['id']}").status_code == 404


def test_the_offer_page_books_the_held_seat(app, client):
    booked = fill_day(app)
    join(client, email="held@example.jp", name="保留 花子", language="en")
    cancel(client, *booked[0])
    [hold] = holds(app)
    url = f"/waitlist/offers/{hold.id}?token={offer_token(app, hold.id)}&lang=en"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "held for you until" in html and "保留 花子" in html
    assert "held@example.jp" in html and "9:00" in html
    response = client.post(url, data={"csrf_token": csrf_from(html), "name": "保留 花子",
                                      "email": "held@example.jp", "phone": ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    code, _token = manage_args(response.headers["Location"])
    assert reservation_row(app, code).starts_at == NINE
    again = client.get(url).get_data(as_text=True)
    assert 'data-state="taken"' in again


def test_an_offer_that_ran_out_says_so_kindly(app, client, clock):
    booked = fill_day(app)
    join(client)
    cancel(client, *booked[0])
    [hold] = holds(app)
    clock.advance(minutes=31)
    page = client.get(f"/waitlist/offers/{hold.id}?token={offer_token(app, hold.id)}&lang=en")
    assert page.status_code == 200
    assert 'data-state="expired"' in page.get_data(as_text=True)
    assert "run out" in page.get_data(as_text=True)

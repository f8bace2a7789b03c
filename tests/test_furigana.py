"""The optional reading of the name (フリガナ): given on the booking form or in the API,
stored in katakana, shown to the clerk in today's reservations, screened for a My
Number like every field, and purged with the name (test_purge.py)."""
from __future__ import annotations

import pytest

from conftest import book
from queue_helpers import bearer, make_staff
from resident_helpers import book_form, form_url, reservation_row


@pytest.mark.parametrize("given, stored", [
    ("ヤマダ ハナコ", "ヤマダ ハナコ"), ("やまだ　はなこ", "ヤマダ ハナコ"), ("ﾔﾏﾀﾞ ﾊﾅｺ", "ヤマダ ハナコ"),
    ("", None), (None, None)])
def test_the_reading_is_kept_in_katakana(app, client, given, stored):
    answer = book(client, furigana=given)
    assert answer.status_code == 201, answer.get_json()
    assert reservation_row(app, answer.get_json()["code"]).furigana == stored


@pytest.mark.parametrize("given", ["Yamada Hanako", "山田 花子", "ヤマダ3"])
def test_a_reading_that_is_not_kana_is_refused_and_named(client, given):
    answer = book(client, furigana=given)
    assert answer.status_code == 422
    assert "furigana" in answer.get_json()["errors"]


def test_a_my_number_in_the_reading_is_refused(client):
    answer = book(client, furigana="1234 5678 9012")
    assert answer.status_code == 422 and answer.get_json()["code"] == "my_number_rejected"
    assert "furigana" in answer.get_json()["errors"]


def test_the_clerk_sees_the_reading_in_todays_reservations(app, client, clock):
    code = book(client, furigana="やまだ はなこ").get_json()["code"]
    _, token = make_staff(app)
    rows = client.get("/api/v1/locations/honcho/reservations?date=2027-01-14",
                      headers=bearer(token)).get_json()
    [row] = [r for r in rows if r["code"] == code]
    assert row["furigana"] == "ヤマダ ハナコ" and row["name"] == "山田 花子"
    # Public answers never carry it.
    assert "furigana" not in client.get(f"/api/v1/reservations/{code}").get_data(as_text=True)


def test_the_booking_form_takes_the_reading_and_explains_a_wrong_one(app, client):
    assert 'name="furigana"' in client.get(form_url()).get_data(as_text=True)
    wrong = book_form(client, furigana="Yamada")
    assert wrong.status_code == 422
    assert 'id="furigana"' in wrong.get_data(as_text=True) and "aria-invalid" in wrong.get_data(as_text=True)
    done = book_form(client, furigana="やまだ はなこ")
    assert done.status_code == 303, done.status_code
    with app.app_context():
        from sqlalchemy import select

        from queue_app.extensions import db
        from queue_app.models import Reservation

        assert db.session.scalar(select(Reservation.furigana)) == "ヤマダ ハナコ"

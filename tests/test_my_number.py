"""No My Number, in any notation, through any way in (DOMAIN.md: what the system must
never hold). The notations are generated: every grouping people use, every separator
(ASCII and full-width, mixed), full-width digits, a leading "+", inside other text."""
from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import Reservation
from queue_app.services.privacy import contains_my_number, my_number_fields

from conftest import book
from resident_helpers import book_form

DIGITS = "123456789012"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
GROUPINGS = [(12,), (4, 4, 4), (3, 3, 3, 3), (6, 6), (4, 8), (2, 4, 6)]
SEPARATORS = [" ", "-", ".", "/", "_", ",", "・", "ー", "−", "–", "　", "－", "．", "／", "＿", "＋",
              " - ", " / ", ". ", "+"]


def _grouped(digits: str, grouping, separators) -> str:
    parts, at = [], 0
    for size in grouping:
        parts.append(digits[at:at + size])
        at += size
    text = parts[0]
    for part, separator in zip(parts[1:], itertools.cycle(separators)):
        text += separator + part
    return text


def notations():
    """Every grouping × separator, plus mixed separators, full-width digits and a "+"."""
    for grouping, separator in itertools.product(GROUPINGS, SEPARATORS):
        yield _grouped(DIGITS, grouping, [separator])
    for grouping in GROUPINGS[1:]:
        for mixed in itertools.permutations(["-", ".", "/", "_", " "], 2):
            yield _grouped(DIGITS, grouping, mixed)
    for text in ("123456789012", "1234 5678 9012", "1234-5678-9012"):
        yield text.translate(FULL_WIDTH)
        yield "+" + text
        yield "＋" + text.translate(FULL_WIDTH)


NOTATIONS = sorted(set(notations()))
IN_TEXT = ["{}", "山田 {}", "番号は{}です", "{} 山田", "taro.{}@example.jp"]
# Right after other digits ("090-1234-5678 1234 5678 9012") the groups of the My Number
# are told apart from the number before it by their size: 3 digits or more each.
AFTER_DIGITS = ["(+81) 90 {}", "090-1234-5678 {}", "2027/01/14 {}"]


def test_every_notation_is_a_my_number_wherever_it_stands():
    assert len(NOTATIONS) > 150
    missed = [template.format(n) for n in NOTATIONS for template in IN_TEXT
              if not contains_my_number(template.format(n))]
    assert missed == []
    long_groups = [n for n in NOTATIONS if min(map(len, re.findall(r"\d+", unicodedata.normalize("NFKC", n)))) >= 3]
    missed = [template.format(n) for n in long_groups for template in AFTER_DIGITS
              if not contains_my_number(template.format(n))]
    assert len(long_groups) > 100 and missed == []


@pytest.mark.parametrize("text", [
    "+81 90-1234-5678", "+81 3 1234 5678", "+1 415 555 0100", "+123456789012", "＋８１ ９０ １２３４ ５６７８",
])
def test_a_number_in_international_form_is_a_phone_number_in_the_phone_field_only(text):
    assert my_number_fields({"phone": text}) == []
    assert my_number_fields({"name": text, "note": text}) == (
        ["name", "note"] if contains_my_number(text) else [])
    assert contains_my_number("+123456789012") and contains_my_number("+81 90-1234-5678")


def test_a_my_number_after_a_phone_number_in_the_phone_field_is_still_refused():
    assert my_number_fields({"phone": "+81 90-1234-5678 / 1234 5678 9012"}) == ["phone"]
    assert my_number_fields({"phone": "1234.5678.9012"}) == ["phone"]


@pytest.mark.parametrize("text", [
    "090-1234-5678", "03-1234-5678", "0776-73-1221", "12345678901", "1234567890123",
    "2027-01-14T09:00:00+09:00", "2027/01/14 09:00", "2027-01-14 10:30 〜 2027-01-15 11:00",
    "〒910-4192 あわら市市姫3丁目1番1号", "1-2-3 101号室", "山田 花子", "K7QM-A4TX",
])
def test_what_is_not_a_my_number_passes(text):
    assert not contains_my_number(text)


def test_nested_bodies_name_the_fields_that_hold_one():
    body = {"name": "山田", "candidates": [{"note": "1234.5678.9012"}], "1234_5678_9012": "x"}
    assert sorted(my_number_fields(body)) == ["1234_5678_9012", "candidates.0.note"]


# ---------------------------------------------------------------- every way in

API_FIELDS = ["name", "email", "phone", "service", "location", "language"]
SAMPLE = ["+123456789012", "1234.5678.9012", "1234/5678/9012", "1234_5678_9012",
          "１２３４．５６７８／９０１２", "1234-5678.9012", "12,3456,7890,12"]


@pytest.mark.parametrize("field", API_FIELDS)
@pytest.mark.parametrize("notation", SAMPLE)
def test_the_api_refuses_one_in_every_field_and_never_stores_it(app, client, field, notation, caplog):
    value = f"山田 {notation}" if field == "name" else notation
    response = book(client, **{field: value})
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    # In the phone field "+" and digits is a phone number in international form (the
    # contract's one exception): refused as not a Japanese number, never stored either.
    code = "invalid" if field == "phone" and notation.startswith("+") else "my_number_rejected"
    assert body["code"] == code and field in body["errors"]
    text = response.get_data(as_text=True)
    assert notation not in text and "9012" not in text
    assert "9012" not in caplog.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 0


def test_any_other_json_field_is_screened_too(client):
    response = book(client, note="my number is 1234 5678 9012")
    assert response.status_code == 422 and response.get_json()["code"] == "my_number_rejected"


def test_a_phone_in_international_form_books(client):
    response = book(client, email=None, phone="+81 90-1234-5678")
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("notation", SAMPLE)
def test_the_booking_form_refuses_one_and_never_echoes_it(app, client, notation):
    # A "+" number in the phone field is a phone number in international form: kept.
    phone = "" if notation.startswith("+") else notation
    response = book_form(client, name=f"山田 {notation}", phone=phone)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert notation not in page and "9012" not in page
    assert 'id="name-error"' in page and ('id="phone-error"' in page) == bool(phone)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 0

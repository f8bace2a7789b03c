"""The resident's whole journey in a real Chromium: book in Japanese and in English, open
the manage link, move the reservation, cancel it; by keyboard alone where it matters,
and without a single Content-Security-Policy violation."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from queue_app.config import TOKYO
from resident_helpers import reservation_row


@pytest.fixture
def site(app, live_server, page):
    server = live_server(app)
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.set_default_timeout(10_000)
    yield server
    assert violations == []


def _choose_slot(page, place: str, procedure: str, day_label: str, slot: str):
    page.get_by_role("link", name=place, exact=True).click()
    page.get_by_role("link", name=re.compile(re.escape(procedure))).first.click()
    page.get_by_role("link", name=day_label).click()
    page.get_by_role("link", name=re.compile("^" + re.escape(slot))).click()


def test_book_move_and_cancel_in_japanese(app, site, page):
    page.goto(site.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    _choose_slot(page, "市役所 市民課", "マイナンバーカードの受け取り(交付)",
                 "2027年1月14日(木): 空きあり", "9:00–9:15")
    page.get_by_label("お名前").fill("山田 花子")
    page.get_by_label("メールアドレス").fill("hanako@example.jp")
    page.get_by_label("ご本人に代わり、代理人が来庁します").check()
    page.get_by_role("button", name="この内容で予約する").click()

    page.get_by_role("heading", name="予約が完了しました").wait_for()
    code = page.locator("#reservation-code").inner_text()
    assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    row = reservation_row(app, code)
    assert (row.status, row.proxy, row.language) == ("booked", True, "ja")

    page.locator("#manage-link").click()
    page.get_by_role("heading", name="ご予約の内容", exact=True).wait_for()
    page.get_by_role("link", name="別の日時に変更する").click()
    page.get_by_role("link", name="2027年1月15日(金): 空きあり").click()
    page.get_by_role("link", name=re.compile("^10:30–10:45")).click()
    assert page.locator("#new-time").inner_text() == "2027年1月15日(金) 10:30"
    page.get_by_role("button", name="この日時に変更する").click()
    page.get_by_text("ご予約を2027年1月15日(金) 10:30に変更しました。").wait_for()
    assert reservation_row(app, code).starts_at == datetime(2027, 1, 15, 10, 30, tzinfo=TOKYO)

    page.get_by_role("link", name="予約を取り消す").click()
    page.get_by_role("button", name="取り消す").click()
    page.get_by_text("ご予約を取り消しました。").wait_for()
    assert page.locator("#reservation-status").inner_text() == "取消済み"
    assert reservation_row(app, code).status == "cancelled"


def test_book_in_english_by_keyboard_alone(app, site, page):
    page.goto(site.url + "/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    _choose_slot(page, "Citizens' Division, Awara Branch (Health Centre)", "Renewing the electronic certificates",
                 "Wed 13 January 2027: Available", "14:00–14:15")
    assert "The expiry notice" not in page.content()  # what to bring was on the previous page

    # Submit the empty form from the keyboard: the errors take the focus, tied to the fields.
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.press("Enter")
    page.locator("#error-summary").wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    name = page.get_by_label("Name", exact=True)
    assert name.get_attribute("aria-invalid") == "true"
    assert "name-error" in name.get_attribute("aria-describedby")
    assert "Please enter your name" in page.locator("#name-error").inner_text()

    # Tab through the fields and submit with Enter.
    name.focus()
    page.keyboard.type("Maria Santos")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "furigana"  # optional: left empty
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type("maria@example.com")
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Your reservation is complete").wait_for()
    code = page.locator("#reservation-code").inner_text()
    assert "Citizens' Division, Awara Branch" in page.locator("dl.summary").inner_text()
    row = reservation_row(app, code)
    assert (row.name, row.email, row.language) == ("Maria Santos", "maria@example.com", "en")

    # Manage and cancel, still by keyboard.
    page.get_by_role("link", name="Manage this reservation").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your reservation", exact=True).wait_for()
    page.get_by_role("link", name="Cancel this reservation").focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Yes, cancel it").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Your reservation has been cancelled.").wait_for()
    assert reservation_row(app, code).status == "cancelled"


def test_a_my_number_typed_in_the_browser_is_not_sent_back(app, site, page):
    page.goto(site.url + "/book/honcho/card-pickup/2027-01-14/0930?lang=ja")
    page.get_by_label("お名前").fill("123456789012")
    page.get_by_label("電話番号").fill("090-1234-5678")
    page.get_by_role("button", name="この内容で予約する").click()
    page.locator("#name-error").wait_for()
    assert "マイナンバー(12桁の個人番号)は入力しないでください" in page.locator("#name-error").inner_text()
    assert page.get_by_label("お名前").input_value() == ""
    assert page.get_by_label("電話番号").input_value() == "090-1234-5678"
    assert "123456789012" not in page.content()

"""The resident site in a real Chromium: every error of the form at once, each tied to its
field and reachable from the summary; the confirmation of a phone-only reservation that
tells the resident to keep the code, with a print button and a print layout; the
information page linked from every page; the day's slots under morning and afternoon."""
from __future__ import annotations

import pytest

from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error, no CSP refusal)
from resident_helpers import form_url, reservation_row


@pytest.fixture
def site(app, live_server, page):
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 390, "height": 844})
    return live_server(app)


@pytest.mark.parametrize("lang, label", [("ja", "【お名前】"), ("en", "Name: ")])
def test_every_error_of_the_form_at_once(app, site, page, lang, label):
    page.goto(f"{site.url}{form_url(hhmm='1000')}?lang={lang}")
    page.locator("#name").fill("1234-5678-9012")  # a My Number in the name…
    page.locator("#email").fill("not-an-address")  # …hides neither the bad address…
    page.locator("#phone").fill("12")  # …nor the bad phone number
    page.locator("button[type=submit]").click()

    summary = page.locator("#error-summary")
    summary.wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = summary.get_by_role("link")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == ["#name", "#email", "#phone"]
    assert links.first.inner_text().startswith(label)
    for field in ("name", "email", "phone"):
        box = page.locator(f"#{field}")
        assert box.get_attribute("aria-invalid") == "true"
        assert f"{field}-error" in box.get_attribute("aria-describedby").split()
        assert page.locator(f"#{field}-error").inner_text().strip()
    assert page.locator("#name").input_value() == ""  # the My Number is never sent back
    assert page.locator("#email").input_value() == "not-an-address"

    # The summary leads to the field: the link focuses it.
    links.nth(1).click()
    assert page.evaluate("document.activeElement.id") == "email"

    # Corrected in one go, the reservation is made.
    page.locator("#name").fill("山田 花子")
    page.locator("#email").fill("hanako@example.jp")
    page.locator("#phone").fill("090-1234-5678")
    page.locator("button[type=submit]").click()
    code = page.locator("#reservation-code").inner_text()
    assert reservation_row(app, code).email == "hanako@example.jp"


def test_phone_only_confirmation_says_to_keep_the_code_and_prints_it(app, site, page):
    page.goto(f"{site.url}{form_url()}?lang=ja")
    page.get_by_label("お名前").fill("山田 太郎")
    page.get_by_label("電話番号").fill("090-1234-5678")
    page.get_by_role("button", name="この内容で予約する").click()
    page.get_by_role("heading", name="予約が完了しました").wait_for()

    keep = page.locator("#keep-code")
    assert "予約番号とQRコードを控えてください" in keep.inner_text()
    assert "スクリーンショット" in keep.inner_text()
    assert "予約時間の15分後(9:15)まで" in page.locator("#late-rule").inner_text()

    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="このページを印刷する").click()
    assert page.evaluate("window.printed") is True

    # The printed page: no header, footer or buttons; the code and the QR code large.
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".site-footer").is_visible()
    assert not page.locator("#print-page").is_visible()
    assert page.locator("#reservation-code").is_visible()
    assert page.locator("#reservation-code").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 50
    assert page.locator("img.qr").evaluate("e => e.getBoundingClientRect().width") >= 300  # 8 cm


def test_an_e_mail_reservation_has_no_keep_the_code_box(app, site, page):
    page.goto(f"{site.url}{form_url()}?lang=en")
    page.get_by_label("Name", exact=True).fill("Maria Santos")
    page.get_by_label("E-mail address").fill("maria@example.com")
    page.get_by_role("button", name="Reserve this time").click()
    page.get_by_role("heading", name="Your reservation is complete").wait_for()
    assert page.locator("#keep-code").count() == 0
    assert "Check-in closes 15 minutes after your time (at 9:15)" in page.locator("#late-rule").inner_text()


def test_the_information_page_is_a_tap_away_and_slots_are_grouped(app, site, page):
    page.goto(f"{site.url}/book/honcho/card-pickup/2027-01-14")
    assert page.get_by_role("heading", name="午前").is_visible()
    assert page.get_by_role("heading", name="午後").is_visible()
    morning = page.locator("section.slot-group").first.locator("a.slot")
    afternoon = page.locator("section.slot-group").nth(1).locator("a.slot")
    assert (morning.count(), afternoon.count()) == (12, 20)
    assert morning.last.inner_text().startswith("11:45–12:00")

    page.get_by_role("link", name="受付時間・窓口の場所・お問い合わせ").click()
    page.get_by_role("heading", name="受付時間・窓口の場所・お問い合わせ", level=1).wait_for()
    assert page.locator("#city-phone").get_attribute("href") == "tel:0776738014"

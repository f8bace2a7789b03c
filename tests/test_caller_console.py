"""Booking for a caller in a real Chromium: a clerk books a phone caller from the
console (a phone number alone), reads the code out, prints the A6 slip whose QR the
kiosk reads, and later checks the resident in from the console by phone number."""
from __future__ import annotations

import base64
import re

from playwright.sync_api import expect

from conftest import decode_qr
from page_helpers import log_in, staff_user
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error on any page)
from queue_app.services.credentials import read_check_in


def test_a_phone_booking_is_read_out_printed_and_checked_in_from_the_console(app, clock, live_server, page):
    clock.set(2027, 1, 12, 9, 50)
    server, username = live_server(app), staff_user(app)
    log_in(page, server, username)

    form = page.locator("#caller-form")
    form.get_by_label("電話", exact=False).first.check()
    page.locator("#caller-service").select_option("card-pickup")
    expect(page.locator("#caller-time option").first).to_be_attached()
    page.locator("#caller-time").select_option("2027-01-12T10:30:00+09:00")
    page.locator("#caller-name").fill("佐藤 一郎")
    page.locator("#caller-phone").fill("090-1234-5678")
    form.get_by_role("button", name="予約する").click()
    code = page.locator("#booked-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    booked = code.inner_text()
    expect(page.locator("#caller-result")).to_contain_text("予約番号をお伝えください")

    # The slip: A6, with the QR code the kiosk reads.
    with page.expect_popup() as popup:
        page.get_by_role("link", name=re.compile("予約票を印刷する")).click()
    slip = popup.value
    expect(slip.locator(".slip-code strong")).to_have_text(booked)
    src = slip.locator(".slip-qr").get_attribute("src")
    payload = decode_qr(base64.b64decode(src.split(",", 1)[1]))
    assert read_check_in(payload, app.config["SECRET_KEY"]) == booked
    pdf = slip.pdf(prefer_css_page_size=True)  # printed as the page asks: A6, 105 × 148 mm
    width, height = map(float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (105, 148)
    slip.close()

    # At 10:10 the resident comes without the slip: found by phone, checked in.
    clock.set(2027, 1, 12, 10, 10)
    page.locator("#find-text").fill("5678")
    page.get_by_role("button", name="検索").click()
    row = page.locator(f'#find-body tr[data-code="{booked}"]')
    expect(row).to_contain_text("佐藤 一郎")
    row.get_by_role("button", name="受付する").click()
    expect(page.locator("#find-result")).to_contain_text("受付しました。番号札 R-001")
    expect(page.locator(f'#reservations-body tr[data-code="{booked}"]')).to_contain_text("受付済")
    expect(page.locator("#waiting-body")).to_contain_text("R-001")

"""The waitlist end to end in real Chromium: a resident finds the holiday-window Sunday
fully booked, joins its waitlist from the day's page, another resident cancels, the
offer e-mail (received by a real SMTP server) carries a link that opens the offer page,
and the resident books the held seat there: the confirmation page shows the reservation."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from axe_helpers import axe_violations, describe, install_axe
from resident_helpers import body_text, mail_config, send_outbox, smtp  # noqa: F401 (fixture)
from waitlist_helpers import cancel, fill_day, holds


def test_a_resident_on_a_full_sundays_waitlist_gets_the_freed_seat_by_email_and_books_it(
        make_app, live_server, smtp, chromium):
    app = make_app(**mail_config(smtp.port))
    server = live_server(app)
    app.config["PUBLIC_BASE_URL"] = server.url  # the e-mail's links lead to this server
    booked = fill_day(app)
    send_outbox(app)
    smtp.messages.clear()

    context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    install_axe(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # The full Sunday: no time to choose, but the waitlist.
        page.goto(f"{server.url}/book/honcho/card-pickup/2027-01-24")
        expect(page.locator(".notice-full")).to_be_visible()
        expect(page.get_by_role("heading", name="キャンセル待ちに登録する")).to_be_visible()
        assert not (found := axe_violations(page)), describe(found)
        page.locator("#waitlist").get_by_label("お名前").fill("日曜 待子")
        page.locator("#waitlist").get_by_label("メールアドレス").fill("machiko@example.jp")
        page.get_by_role("button", name="キャンセル待ちに登録する").click()
        expect(page.locator("#waitlist-status")).to_contain_text("1番目")
        assert not (found := axe_violations(page)), describe(found)

        # The e-mail that says so, with the link to leave.
        send_outbox(app)
        [(recipients, joined)] = smtp.wait_for(1)
        assert recipients == ["machiko@example.jp"] and "キャンセル待ち" in joined["Subject"]

        # Someone cancels a seat of 10:15: it is held for her, and offered by e-mail.
        smtp.messages.clear()
        cancel(app.test_client(), *booked[10])
        send_outbox(app)
        offer = next(message for recipients, message in smtp.wait_for(2) if recipients == ["machiko@example.jp"])
        link = re.search(re.escape(server.url) + r"/waitlist/offers/\S+", body_text(offer)).group(0)
        page.goto(link)
        expect(page.get_by_role("heading", name="お席を確保しています")).to_be_visible()
        expect(page.locator(".summary")).to_contain_text("10:15")
        expect(page.locator("#held-until")).to_contain_text("10:30")
        expect(page.get_by_label("お名前")).to_have_value("日曜 待子")
        expect(page.get_by_label("メールアドレス")).to_have_value("machiko@example.jp")
        assert not (found := axe_violations(page)), describe(found)
        page.get_by_role("button", name="この内容で予約する").click()

        expect(page.get_by_role("heading", name="予約が完了しました")).to_be_visible()
        expect(page.locator(".summary")).to_contain_text("10:15")
        assert [h.status for h in holds(app)] == ["taken"]
        # The offer link, opened again, says kindly that the seat is taken.
        page.goto(link)
        expect(page.locator("#offer-state")).to_have_attribute("data-state", "taken")
        assert errors == []
    finally:
        context.close()

"""Device revocation end to end in a real Chromium: an administrator issues a display
token on /admin/devices, the lobby display opened with its setup address is live (and
shows as online), the administrator revokes it on the same page, and the display is
disconnected at once and says it needs setting up — also after a reload."""
from __future__ import annotations

import time

from playwright.sync_api import expect

from axe_helpers import axe_violations, describe, install_axe
from page_helpers import PASSWORD, watch_errors
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error or CSP refusal)
from queue_app.extensions import db
from queue_app.services import accounts


def test_an_admin_revokes_a_live_display_from_the_browser(make_app, live_server, page, clock):
    app = make_app()
    with app.app_context():
        accounts.create_user(db.session, "boss", PASSWORD, "admin", clock())
        db.session.commit()
    server = live_server(app)
    install_axe(page.context)

    page.goto(f"{server.url}/staff/login")
    page.get_by_label("ユーザー名").fill("boss")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.goto(f"{server.url}/admin")
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.get_by_role("link", name="受付機・表示端末").click()
    expect(page.get_by_role("heading", name="受付機・表示端末", level=1)).to_be_visible()

    # Issue a display; the form is sent from the keyboard (Enter in the name field).
    page.get_by_label("種類").select_option("display")
    page.get_by_label("窓口").select_option("honcho")
    page.get_by_label("端末名").focus()
    page.keyboard.type("lobby-screen")
    page.keyboard.press("Enter")
    expect(page.locator("#issued")).to_be_visible()
    setup_url = page.locator("#setup-url").inner_text()
    assert setup_url.startswith(f"{server.url}/display/honcho?token=")
    expect(page.get_by_role("img", name="設定用アドレスのQRコード")).to_be_visible()
    assert axe_violations(page) == [], describe(axe_violations(page))

    # The lobby screen opens its setup address: live, and online on the admin's page.
    display = page.context.new_page()
    display_errors = watch_errors(display)
    display.set_viewport_size({"width": 1920, "height": 1080})
    display.goto(setup_url)
    display.wait_for_selector("body.has-data", timeout=10000)
    expect(display.locator("#setup-needed")).to_be_hidden()
    expect(display.locator("#offline")).to_be_hidden()
    page.goto(f"{server.url}/admin/devices")
    row = page.locator("#devices-table tr", has_text="lobby-screen")
    expect(row).to_contain_text("接続中")
    expect(row).not_to_contain_text("記録なし")  # last seen: the connection just now
    expect(row).not_to_contain_text("未接続")

    # Revoke it: the screen drops at once and asks to be set up.
    row.get_by_role("button", name="失効させる: lobby-screen").click()
    revoked_at = time.monotonic()
    expect(page.locator("#admin-message")).to_contain_text("端末「lobby-screen」を失効させました。")
    expect(display.locator("#setup-needed")).to_be_visible(timeout=3000)
    assert time.monotonic() - revoked_at < 3  # at once, not at the next heartbeat
    expect(display.locator("body")).to_have_attribute("data-setup", "needed")
    expect(display.locator("#setup-needed")).to_contain_text("この表示端末は設定が必要です")
    expect(display.locator("#offline")).to_be_hidden()
    assert display.evaluate("() => window.displayFeed.connected()") is False
    expect(page.locator("#devices-table")).to_have_count(0)  # no device left in service

    page.goto(f"{server.url}/admin/users")
    assert axe_violations(page) == [], describe(axe_violations(page))

    # Opened again with the revoked token: refused, and it says so at once.
    display.reload()
    expect(display.locator("#setup-needed")).to_be_visible(timeout=5000)
    expect(display.locator("body")).to_have_attribute("data-setup", "needed")
    assert display_errors == []

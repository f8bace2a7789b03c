"""Places, counters and procedures in a real Chromium: an administrator opens the office
page from the back office's home, adds a counter serving two procedures with the
keyboard-reachable form, and sees it in the place's list; a form sent with a mistake
comes back with the error next to its field (and the staff console's API lists the
new counter at once)."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from page_helpers import PASSWORD
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error or CSP refusal)
from queue_app.extensions import db
from queue_app.services import accounts


def test_an_admin_adds_a_counter_serving_two_procedures_in_the_browser(make_app, live_server, page, clock):
    app = make_app()
    with app.app_context():
        accounts.create_user(db.session, "boss", PASSWORD, "admin", clock())
        db.session.commit()
    server = live_server(app)

    page.goto(f"{server.url}/staff/login")
    page.get_by_label("ユーザー名").fill("boss")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.goto(f"{server.url}/admin")
    page.get_by_role("link", name="窓口・手続きの設定").click()
    expect(page.get_by_role("heading", name="窓口・手続きの設定", level=1)).to_be_visible()

    # A mistake first: no name. The form comes back with the error tied to the field.
    form = page.locator("#new-counter-awara")
    form.get_by_label("紛失による再発行").check()
    form.get_by_role("button", name="窓口を追加する").click()
    form = page.locator("#new-counter-awara")
    name = form.get_by_label("窓口名")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#new-counter-awara-name-error")).to_have_text("窓口名を入力してください。")
    expect(name).to_have_attribute("aria-describedby", "new-counter-awara-name-error new-counter-awara-name-hint")
    expect(form.get_by_label("紛失による再発行")).to_be_checked()  # what was ticked stays ticked

    # Corrected with the keyboard: type the name, tick a second procedure with Space.
    name.fill("臨時窓口")
    form.get_by_label("暗証番号の再設定・ロック解除").focus()
    page.keyboard.press("Space")
    form.get_by_label("予約を受ける(予約枠が1席増えます)").check()
    form.get_by_role("button", name="窓口を追加する").press("Enter")

    expect(page.locator("#admin-message")).to_have_text("窓口「臨時窓口」を追加しました。")
    row = page.locator("#counters-awara tr[data-counter='臨時窓口']")
    expect(row).to_be_visible()
    expect(row.locator("td.served")).to_contain_text("紛失による再発行")
    expect(row.locator("td.served")).to_contain_text("暗証番号の再設定・ロック解除")
    expect(row).to_contain_text("はい")  # takes reservations

    # The console's API knows it at once.
    token = requests.post(f"{server.url}/api/v1/auth/token",
                          json={"username": "boss", "password": PASSWORD}, timeout=10).json()["token"]
    counters = requests.get(f"{server.url}/api/v1/locations/awara/counters",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    added = [c for c in counters if c["name"] == "臨時窓口"]
    assert len(added) == 1 and set(added[0]["services"]) == {"reissue", "pin-reset"}

    # The English page shows the same counter in English words.
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Places, counters and procedures", level=1)).to_be_visible()
    expect(page.locator("#counters-awara tr[data-counter='臨時窓口'] td.served")).to_contain_text("Re-issue after loss, Resetting or unlocking PINs")

"""The calendar page in a real Chromium: an administrator opens it from the back
office's home, reads the month (a national holiday by name, how full a day is), lowers
a procedure's capacity below what is booked and is refused with the list of the
reservations in the way (nothing changed), sets it from a later date instead, and adds
a holiday window that shows on the month."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from axe_helpers import axe_violations, describe, install_axe
from page_helpers import PASSWORD
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error or CSP refusal)
from queue_app.extensions import db
from queue_app.services import accounts
from test_closures import book_for, moment


def test_a_capacity_change_is_refused_with_its_list_then_made_from_a_later_date(make_app, live_server, page,
                                                                                   clock):
    app = make_app()
    with app.app_context():
        accounts.create_user(db.session, "boss", PASSWORD, "admin", clock())
        db.session.commit()
    at_ten = [book_for(app, moment(10, 0)) for _ in range(2)]
    at_eleven = [book_for(app, moment(11, 0)) for _ in range(2)]
    codes = [at_ten[1], at_eleven[1]]  # one seat each: the later booked of each slot is in the way
    server = live_server(app)
    install_axe(page.context)

    page.goto(f"{server.url}/staff/login")
    page.get_by_label("ユーザー名").fill("boss")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.goto(f"{server.url}/admin")
    page.get_by_role("link", name="開庁カレンダー").click()
    expect(page.get_by_role("heading", name="開庁カレンダー", level=1)).to_be_visible()
    expect(page.locator("#month-heading")).to_contain_text("2027年1月")
    expect(page.locator("td[data-date='2027-01-11']")).to_contain_text("成人の日")
    expect(page.locator("td[data-date='2027-01-14'] .day-fill")).to_contain_text("予約 4 / 64 枠")
    expect(page.locator("td[data-date='2027-01-10']")).to_contain_text("休日窓口 09:00–12:00 完全予約制")
    assert axe_violations(page) == [], describe(axe_violations(page))

    form = page.locator("#capacity-form")
    form.get_by_label("手続き").select_option(label="マイナンバーカードの受け取り(交付)")
    form.get_by_label("適用開始日").fill("2027-01-14")
    form.get_by_label("1枠の定員").fill("1")
    form.get_by_role("button", name="定員を保存").click()

    alert = page.locator("#capacity-errors")
    expect(alert).to_contain_text("変更後の設定では受け入れられない予約が2件あります")
    rows = page.locator("#in-the-way tbody tr")
    expect(rows).to_have_count(2)
    assert rows.locator("td.code").all_inner_texts() == codes
    expect(rows.first).to_contain_text("2027-01-14 10:00")
    expect(page.locator("#capacity-form").get_by_label("1枠の定員")).to_have_value("1")  # nothing lost
    assert axe_violations(page) == [], describe(axe_violations(page))
    found = requests.get(f"{server.url}/api/v1/availability?location=honcho&service=card-pickup&date=2027-01-14",
                         timeout=10).json()
    assert found["slots"][0]["remaining"] == 2  # nothing changed

    form = page.locator("#capacity-form")
    form.get_by_label("適用開始日").fill("2027-01-15")
    form.get_by_role("button", name="定員を保存").click()
    expect(page.locator("#calendar-message")).to_have_text("定員を保存しました。")
    expect(page.locator("#capacity-table")).to_contain_text("2027-01-15: 1")
    found = requests.get(f"{server.url}/api/v1/availability?location=honcho&service=card-pickup&date=2027-01-15",
                         timeout=10).json()
    assert found["slots"][0]["remaining"] == 1

    # A holiday window on the third Sunday, for card pickup only.
    form = page.locator("#window-form")
    form.get_by_label("日付", exact=True).fill("2027-01-17")
    form.get_by_label("マイナンバーカードの受け取り(交付)").check()
    form.get_by_role("button", name="窓口を追加").click()
    expect(page.locator("#calendar-message")).to_have_text("窓口を追加しました。")
    expect(page.locator("td[data-date='2027-01-17']")).to_contain_text("休日窓口 09:00–12:00 完全予約制")
    found = requests.get(f"{server.url}/api/v1/availability?location=honcho&service=card-pickup&date=2027-01-17",
                         timeout=10).json()
    assert found["reservation_only"] is True and found["slots"][0]["start"].startswith("2027-01-17T09:00")

    # The same page in English.
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Calendar", level=1)).to_be_visible()
    expect(page.locator("td[data-date='2027-01-17']")).to_contain_text("Holiday window 09:00–12:00 Reservation only")

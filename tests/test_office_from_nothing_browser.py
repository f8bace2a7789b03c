"""An office set up from nothing in a real Chromium, as the README tells: on an empty
database with one administrator (``flask create-user --role admin``), the back office
adds a procedure, a place and its counter, then the place's weekly hours on the
calendar page; residents can then book it and the month shows its seats."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from page_helpers import PASSWORD
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error or CSP refusal)
from queue_app.extensions import db
from queue_app.services import accounts


def test_an_office_is_set_up_from_nothing_in_the_browser(make_app, live_server, page, clock):
    app = make_app(seed=False)
    with app.app_context():
        accounts.create_user(db.session, "boss", PASSWORD, "admin", clock())
        db.session.commit()
    server = live_server(app)
    page.goto(f"{server.url}/staff/login")
    page.get_by_label("ユーザー名").fill("boss")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    # The console of an office without a place says where to set one up.
    expect(page.locator("#no-places")).to_contain_text("窓口・手続きの設定")
    page.locator("#no-places a").click()
    expect(page.get_by_role("heading", name="窓口・手続きの設定", level=1)).to_be_visible()

    form = page.locator("#new-service")
    form.get_by_label("識別名(英数字)").fill("card-pickup")
    form.get_by_label("名称(日本語)").fill("マイナンバーカードの受け取り")
    form.get_by_label("名称(英語)").fill("Picking up your My Number card")
    form.get_by_label("所要時間(分)").fill("15")
    form.get_by_label("通常の開庁時間に予約できる").check()
    form.get_by_role("button", name="手続きを追加する").click()

    form = page.locator("#new-place")
    form.get_by_label("識別名(英数字)").fill("kita")
    form.get_by_label("名称(日本語)").fill("北支所")
    form.get_by_label("名称(英語)").fill("North Branch")
    form.get_by_role("button", name="庁舎を追加する").click()

    form = page.locator("#new-counter-kita")
    form.get_by_label("窓口名").fill("窓口1")
    form.get_by_label("マイナンバーカードの受け取り").check()
    form.get_by_label("予約を受ける(予約枠が1席増えます)").check()
    form.get_by_role("button", name="窓口を追加する").click()
    expect(page.locator("#counters-kita tr[data-counter='窓口1']")).to_be_visible()

    # No hours yet: nothing to book.
    day = requests.get(f"{server.url}/api/v1/availability?location=kita&service=card-pickup&date=2027-01-14",
                       timeout=10).json()
    assert day["open"] is False

    page.goto(f"{server.url}/admin/calendar?location=kita")
    expect(page.locator("td[data-date='2027-01-14']")).to_contain_text("開庁なし")
    form = page.locator("#hours-form")
    form.get_by_label("適用開始日").fill("2027-01-13")
    for weekday in "月火水木金":
        form.get_by_label(f"{weekday} 開庁する", exact=True).check()
        form.get_by_label(f"{weekday} 開庁時刻", exact=True).fill("09:00")
        form.get_by_label(f"{weekday} 閉庁時刻", exact=True).fill("12:00")
        form.get_by_label(f"{weekday} 予約枠の開始", exact=True).fill("09:00")
        form.get_by_label(f"{weekday} 予約枠の終了", exact=True).fill("11:00")
    form.get_by_role("button", name="開庁時間を保存").click()
    expect(page.locator("#calendar-message")).to_have_text("開庁時間を保存しました。")
    expect(page.locator("#hour-plans")).to_contain_text("2027-01-13 から")
    expect(page.locator("td[data-date='2027-01-14'] .day-fill")).to_contain_text("予約 0 / 8 枠")
    expect(page.locator("td[data-date='2027-01-12']")).to_contain_text("開庁なし")  # before the plan

    day = requests.get(f"{server.url}/api/v1/availability?location=kita&service=card-pickup&date=2027-01-14",
                       timeout=10).json()
    assert [s["start"][11:16] for s in day["slots"]] == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15",
                                                       "10:30", "10:45"]
    booked = requests.post(f"{server.url}/api/v1/reservations", json={
        "location": "kita", "service": "card-pickup", "start": "2027-01-14T09:00:00+09:00",
        "name": "山田 花子", "phone": "090-1234-5678"}, timeout=10)
    assert booked.status_code == 201, booked.text
    page.reload()
    expect(page.locator("td[data-date='2027-01-14'] .day-fill")).to_contain_text("予約 1 / 8 枠")

"""The staff console in a real Chromium against a real server: logging in and out
through the CSRF-protected form, calling and finishing a ticket, recalls and the
no-show suggestion, the waiting list in the API's exact order with its prioritise and
transfer buttons, walk-ins issued on someone's behalf, today's reservations, opening
and closing the counter, and live updates over Socket.IO without a reload."""
from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from conftest import book
from page_helpers import (PASSWORD, kiosk_post, kiosk_token, log_in, staff_bearer, staff_user,
                          waiting_numbers)
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error on any page)

SLOT = "2027-01-14T09:00:00+09:00"


def _reserve(client, start: str = SLOT, **overrides) -> dict:
    response = book(client, start=start, **overrides)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _api_queue(server, headers) -> dict:
    response = requests.get(f"{server.url}/api/v1/locations/honcho/queue", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _counter_id(server, headers, name: str) -> int:
    counters = requests.get(f"{server.url}/api/v1/locations/honcho/counters", headers=headers, timeout=10)
    return next(c["id"] for c in counters.json() if c["name"] == name)


def _choose_counter(page, name: str) -> None:
    page.locator("#counter").select_option(label=name)
    expect(page.locator("#counter-state")).to_contain_text("受付中")


def test_login_is_required_and_a_wrong_password_is_refused(app, live_server, page):
    server, username = live_server(app), staff_user(app)
    page.goto(f"{server.url}/staff")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill("not the password")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("alert")).to_contain_text("ユーザー名またはパスワードが正しくありません")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    expect(page.get_by_label("パスワード")).to_be_focused()

    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page).to_have_url(re.compile(r"/staff\?location=honcho&counter=\d+$"))
    expect(page.locator("#live")).to_have_attribute("data-state", "live")

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(r"/staff/login$"))
    page.goto(f"{server.url}/staff")
    expect(page).to_have_url(re.compile(r"/staff/login"))
    # The session is gone for the API too.
    status = page.evaluate("() => fetch('/api/v1/locations/honcho/counters').then(r => r.status)")
    assert status == 401


def test_call_a_checked_in_resident_and_complete(make_app, backend, clock, live_server, page):
    app = make_app(backend)
    reservation = _reserve(app.test_client())
    clock.set(2027, 1, 14, 8, 45)
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)
    checked_in = kiosk_post(server, kiosk, "/check-ins", {"payload": reservation["check_in_payload"]})
    assert checked_in.status_code == 201
    ticket_id = checked_in.json()["ticket"]["id"]

    log_in(page, server, username)
    _choose_counter(page, "窓口1")
    expect(page.locator("#waiting-body tr")).to_have_count(1)
    expect(page.locator("#waiting-body")).to_contain_text("R-001")

    page.get_by_role("button", name="次の方を呼ぶ").click()
    expect(page.locator("#current-number")).to_have_text("R-001")
    expect(page.locator("#message")).to_contain_text("R-001 をお呼びしました")
    expect(page.locator("#waiting-empty")).to_be_visible()
    expect(page.locator("#serving-body")).to_contain_text("R-001")

    page.locator("#current").get_by_role("button", name="対応開始").click()
    expect(page.locator("#current-meta")).to_contain_text("対応中")
    expect(page.locator("#current").get_by_role("button", name="再呼出")).to_be_disabled()
    page.locator("#current").get_by_role("button", name="完了").click()
    expect(page.locator("#current-empty")).to_be_visible()
    expect(page.locator("#message")).to_contain_text("R-001 の対応を完了しました")
    assert requests.get(f"{server.url}/api/v1/tickets/{ticket_id}", timeout=10).json()["status"] == "done"

    # Nobody left: the console says so instead of calling anyone.
    page.get_by_role("button", name="次の方を呼ぶ").click()
    expect(page.locator("#message")).to_contain_text("お呼びできる方はいません")


def test_three_recalls_suggest_a_no_show(app, clock, live_server, page):
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)
    ticket = kiosk_post(server, kiosk, "/tickets", {"location": "honcho", "service": "reissue"}).json()
    log_in(page, server, username)
    _choose_counter(page, "窓口2")
    page.get_by_role("button", name="次の方を呼ぶ").click()
    expect(page.locator("#current-number")).to_have_text("W-001")
    recall = page.locator("#current").get_by_role("button", name="再呼出")
    for count in (1, 2, 3):
        expect(page.locator("#noshow-suggestion")).to_be_hidden()
        recall.click()
        expect(page.locator("#recall-info")).to_contain_text(f"再呼出 {count}回")
    expect(page.locator("#noshow-suggestion")).to_be_visible()
    expect(page.locator("#noshow-suggestion")).to_contain_text("No answer after three calls")
    page.locator("#noshow-suggestion").get_by_role("button", name="不在にする").click()
    confirm = page.locator("#noshow-dialog")
    expect(confirm).to_be_visible()  # one click beside 完了 is not enough: it asks first
    expect(confirm).to_contain_text("W-001 を不在にしますか")
    confirm.get_by_role("button", name="不在にする").click()
    expect(page.locator("#current-empty")).to_be_visible()
    answer = requests.get(f"{server.url}/api/v1/tickets/{ticket['id']}", timeout=10).json()
    assert answer["status"] == "no_show" and answer["recall_count"] == 3


def test_the_waiting_list_is_in_the_apis_order_and_can_be_rearranged(app, client, clock, live_server, page):
    early, late = _reserve(client, SLOT), _reserve(client, "2027-01-14T09:15:00+09:00")
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)

    def walk_in(service):
        return kiosk_post(server, kiosk, "/tickets", {"location": "honcho", "service": service}).json()

    clock.set(2027, 1, 14, 8, 40)
    staff = staff_bearer(server, username)  # staff tokens last a working day: take it today
    first, second = walk_in("reissue"), walk_in("pin-reset")           # W-001, W-002
    clock.set(2027, 1, 14, 8, 50)
    kiosk_post(server, kiosk, "/check-ins", {"payload": late["check_in_payload"]})   # R-001 (09:15)
    clock.set(2027, 1, 14, 8, 55)
    kiosk_post(server, kiosk, "/check-ins", {"payload": early["check_in_payload"]})  # R-002 (09:00)
    third = walk_in("info-change")                                     # W-003
    prioritised = requests.post(f"{server.url}/api/v1/tickets/{second['id']}/prioritise",
                                json={"reason": "高齢の方"}, headers=staff, timeout=10)
    assert prioritised.status_code == 200

    log_in(page, server, username)
    expected = ["W-002", "R-002", "R-001", "W-001", "W-003"]
    assert [t["number"] for t in _api_queue(server, staff)["waiting"]] == expected
    expect(page.locator("#waiting-body tr")).to_have_count(5)
    assert waiting_numbers(page) == expected

    # Prioritise W-003 from its row: it joins the priority band after W-002.
    page.get_by_role("button", name="W-003 優先 Prioritise").click()
    dialog = page.locator("#prioritise-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="優先する").click()  # no reason yet
    expect(dialog.get_by_role("alert")).to_contain_text("理由を入力してください")
    dialog.get_by_label("理由").fill("体調不良")
    dialog.get_by_role("button", name="優先する").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#waiting-body tr").first).to_have_attribute("data-number", "W-002")
    expect(page.locator("#waiting-body tr").nth(1)).to_have_attribute("data-number", "W-003")
    api_waiting = _api_queue(server, staff)["waiting"]
    assert waiting_numbers(page) == [t["number"] for t in api_waiting] == \
        ["W-002", "W-003", "R-002", "R-001", "W-001"]
    assert api_waiting[1]["priority"] == "high" and api_waiting[1]["priority_reason"] == "体調不良"

    # Transfer W-001 to counter 3 from its row: it keeps its place in its band.
    page.get_by_role("button", name="W-001 転送 Transfer").click()
    dialog = page.locator("#transfer-dialog")
    dialog.get_by_label("窓口を指定").select_option(label="窓口3")
    dialog.get_by_role("button", name="転送する").click()
    expect(page.locator("#message")).to_contain_text("W-001 を転送しました")
    moved = next(t for t in _api_queue(server, staff)["waiting"] if t["id"] == first["id"])
    assert moved["target_counter"]["name"] == "窓口3"
    assert waiting_numbers(page)[-1] == "W-001"
    assert third["number"] == "W-003"


def test_the_console_updates_live_without_reloading(app, clock, live_server, page):
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)
    other = staff_bearer(server, staff_user(app))
    log_in(page, server, username)
    _choose_counter(page, "窓口1")
    expect(page.locator("#waiting-empty")).to_be_visible()
    page.evaluate("() => { window.__sameDocument = true; }")

    # A resident takes a number at the kiosk: it appears on the console by itself.
    ticket = kiosk_post(server, kiosk, "/tickets", {"location": "honcho", "service": "reissue"}).json()
    expect(page.locator("#waiting-body tr")).to_have_count(1)
    expect(page.locator("#waiting-body")).to_contain_text(ticket["number"])

    # A colleague at counter 2 calls it: it leaves the waiting list and shows at 窓口2.
    counter2 = _counter_id(server, other, "窓口2")
    called = requests.post(f"{server.url}/api/v1/counters/{counter2}/call-next", headers=other, timeout=10)
    assert called.status_code == 200
    expect(page.locator("#waiting-empty")).to_be_visible()
    expect(page.locator(f'#serving-body tr[data-counter="{counter2}"]')).to_contain_text(ticket["number"])
    expect(page.locator("#current-empty")).to_be_visible()  # not this counter's ticket

    # Another place: the console listens to that place's room instead.
    page.locator("#place").select_option("awara")
    expect(page.locator("#counter")).to_have_value(re.compile(r"\d+"))
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    awara = kiosk_post(server, kiosk_token(app, "awara"), "/tickets",
                       {"location": "awara", "service": "pin-reset"}).json()
    expect(page.locator("#waiting-body tr")).to_have_count(1)
    expect(page.locator("#waiting-body")).to_contain_text(awara["number"])
    assert page.evaluate("() => window.__sameDocument") is True
    assert "location=awara" in page.url


def test_transfer_the_ticket_at_the_counter(app, live_server, page):
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)
    ticket = kiosk_post(server, kiosk, "/tickets", {"location": "honcho", "service": "reissue"}).json()
    log_in(page, server, username)
    _choose_counter(page, "窓口1")
    page.get_by_role("button", name="次の方を呼ぶ").click()
    expect(page.locator("#current-number")).to_have_text(ticket["number"])

    page.locator("#current").get_by_role("button", name="転送").click()
    dialog = page.locator("#transfer-dialog")
    dialog.get_by_role("button", name="転送する").click()  # neither chosen yet
    expect(dialog.get_by_role("alert")).to_contain_text("手続きか窓口を選んでください")
    dialog.get_by_label("手続きを変更").select_option("info-change")
    dialog.get_by_role("button", name="転送する").click()
    expect(page.locator("#current-empty")).to_be_visible()
    expect(page.locator("#waiting-body tr")).to_have_count(1)
    expect(page.locator("#waiting-body")).to_contain_text("券面記載事項の変更")
    answer = requests.get(f"{server.url}/api/v1/tickets/{ticket['id']}", timeout=10).json()
    assert answer["status"] == "waiting" and answer["service"] == "info-change"


def test_walk_in_on_behalf_and_todays_reservations(app, client, clock, live_server, page):
    arrived = _reserve(client, SLOT, name="山田 花子")
    _reserve(client, "2027-01-14T10:00:00+09:00", name="佐藤 太郎", proxy=True)
    clock.set(2027, 1, 14, 8, 45)
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)
    log_in(page, server, username)

    rows = page.locator("#reservations-body tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("山田 花子")
    expect(rows.nth(0)).to_contain_text("未受付")
    expect(rows.nth(1)).to_contain_text("代理")

    # The resident scans at the kiosk: the console shows the check-in live.
    kiosk_post(server, kiosk, "/check-ins", {"payload": arrived["check_in_payload"]})
    expect(rows.nth(0)).to_contain_text("受付済")
    expect(rows.nth(0)).to_contain_text("R-001")
    expect(page.locator("#reservations-summary")).to_have_text("受付済 1 / 2")

    page.get_by_label("手続き", exact=False).first.select_option("pin-reset")
    page.get_by_role("button", name="発券する").click()
    expect(page.locator("#walkin-result")).to_contain_text("番号札 W-001 を発券しました")
    expect(page.locator("#waiting-body")).to_contain_text("W-001")


def test_close_and_open_the_counter(app, live_server, page):
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)
    staff = staff_bearer(server, username)
    kiosk_post(server, kiosk, "/tickets", {"location": "honcho", "service": "reissue"})
    log_in(page, server, username)
    _choose_counter(page, "窓口3")
    counter3 = _counter_id(server, staff, "窓口3")

    page.get_by_label("戻り予定").fill("13:00")  # lunch: the clerk says when they are back
    page.get_by_role("button", name="窓口を休止する").click()
    expect(page.locator("#counter-state")).to_contain_text("休止中(13:00まで)")
    expect(page.locator('#serving-body tr[data-counter="%d"]' % counter3)).to_contain_text("13:00まで")
    expect(page.get_by_role("button", name="次の方を呼ぶ")).to_be_disabled()
    expect(page.locator("#call-next-why")).to_contain_text("窓口を開けると呼び出せます")
    counters = requests.get(f"{server.url}/api/v1/locations/honcho/counters", headers=staff, timeout=10).json()
    closed = next(c for c in counters if c["id"] == counter3)
    assert closed["open"] is False and closed["until"].endswith("T13:00:00+09:00")

    page.get_by_role("button", name="窓口を開ける").click()
    expect(page.locator("#counter-state")).to_contain_text("受付中")
    page.get_by_role("button", name="次の方を呼ぶ").click()
    expect(page.locator("#current-number")).to_have_text("W-001")


def test_a_morning_from_the_keyboard_with_the_lobby_screen_in_step(app, clock, live_server, page, chromium):
    """A clerk works the counter with the keys alone; after every step the console and
    the lobby screen show the same number at the counter (or none)."""
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)
    numbers = [kiosk_post(server, kiosk, "/tickets", {"location": "honcho", "service": "reissue"})
               .json()["number"] for _ in range(3)]
    screen_context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    screen = screen_context.new_page()
    screen.goto(f"{server.url}/display/honcho")
    tile = screen.locator('.counter-tile[data-counter="窓口1"] .counter-number')
    log_in(page, server, username)
    _choose_counter(page, "窓口1")
    page.locator("body").click()  # focus on the page, not on a field

    def in_step(number: str | None) -> None:
        if number is None:
            expect(page.locator("#current-empty")).to_be_visible()
            expect(tile).to_have_text("—")
        else:
            expect(page.locator("#current")).to_be_visible()
            expect(page.locator("#current-number")).to_have_text(number)
            expect(tile).to_have_text(number)

    try:
        page.keyboard.press("n")
        in_step(numbers[0])
        call_next = page.get_by_role("button", name="次の方を呼ぶ")
        expect(call_next).to_be_disabled()  # one resident at a counter at a time
        expect(page.locator("#call-next-why")).to_contain_text(f"{numbers[0]} の対応を終えてから")
        page.keyboard.press("n")  # pressed again by habit: nothing happens
        in_step(numbers[0])

        page.keyboard.press("x")  # no-show asks first
        expect(page.locator("#noshow-dialog")).to_be_visible()
        page.keyboard.press("Enter")
        in_step(None)
        expect(page.locator("#undo-bar")).to_be_visible()
        expect(page.locator("#undo-bar")).to_contain_text(f"{numbers[0]} を不在にしました")

        page.keyboard.press("z")  # it was a mistake: the resident is back
        in_step(numbers[0])
        expect(page.locator("#undo-bar")).to_be_hidden()

        page.keyboard.press("r")
        expect(page.locator("#recall-info")).to_contain_text("再呼出 1回")
        page.keyboard.press("s")
        expect(page.locator("#current-meta")).to_contain_text("対応中")
        page.keyboard.press("c")
        in_step(None)
        expect(call_next).to_be_enabled()

        page.keyboard.press("n")
        in_step(numbers[1])
        page.keyboard.press("c")
        in_step(None)
        page.keyboard.press("z")  # a completion can be undone too
        in_step(numbers[1])
        page.keyboard.press("c")
        in_step(None)
        expect(call_next).to_be_enabled()  # the key does nothing while the button is off
        page.keyboard.press("n")
        in_step(numbers[2])
        headers = staff_bearer(server, username)
        states = {t["number"]: t["status"] for t in _api_queue(server, headers)["serving"]}
        assert states == {numbers[2]: "called"}
    finally:
        screen_context.close()


def test_axe_finds_nothing_serious_on_the_sign_in_page_and_the_console(app, clock, live_server, page):
    from axe_helpers import axe_violations, describe, install_axe

    install_axe(page.context)
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)
    for _ in range(2):
        kiosk_post(server, kiosk, "/tickets", {"location": "honcho", "service": "reissue"})
    page.goto(f"{server.url}/staff/login")
    assert axe_violations(page) == [], describe(axe_violations(page))
    log_in(page, server, username)
    _choose_counter(page, "窓口1")
    page.keyboard.press("n")
    expect(page.locator("#current")).to_be_visible()
    found = axe_violations(page)
    assert found == [], describe(found)
    page.keyboard.press("x")  # the no-show confirmation, open
    expect(page.locator("#noshow-dialog")).to_be_visible()
    found = axe_violations(page)
    assert found == [], describe(found)


def test_after_reception_closes_the_clerk_sees_it_and_may_still_issue_a_number(app, clock, live_server, page):
    """受付終了 shows in the console; issuing without the override is refused with the
    reason, and with it (an urgent case) the number is issued."""
    clock.set(2027, 1, 12, 16, 20)
    server, kiosk, username = live_server(app), kiosk_token(app), staff_user(app)
    log_in(page, server, username)
    expect(page.locator("#reception-state")).to_be_hidden()
    for _ in range(30):
        answer = requests.post(f"{server.url}/api/v1/tickets", json={"location": "honcho", "service": "reissue"},
                               headers={"Authorization": f"Bearer {kiosk}"}, timeout=10)
        if answer.status_code == 409:
            break
    assert answer.json()["code"] == "reception_closed"
    expect(page.locator("#reception-state")).to_be_visible()  # live, from the lobby's events
    expect(page.locator("#reception-state")).to_contain_text("本日の受付は終了しました")

    page.get_by_label("手続き", exact=False).first.select_option("pin-reset")
    override = page.get_by_label("受付終了後でも発券する", exact=False)
    expect(override).to_be_visible()
    override.uncheck()
    page.get_by_role("button", name="発券する").click()
    expect(page.locator("#walkin-result")).to_contain_text("本日の受付は終了しています")
    override.check()
    page.get_by_role("button", name="発券する").click()
    expect(page.locator("#walkin-result")).to_contain_text("を発券しました")
    expect(override).not_to_be_checked()  # one urgent case at a time

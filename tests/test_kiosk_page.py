"""The lobby kiosk in a real Chromium against a real server: scanning a reservation's
QR code (the scanner types into the focused field and presses Enter, or the camera
reads it), every refusal in Japanese and English, walk-in numbers, the ticket's QR code,
the receipt's print layout, the return to the start screen and the device setup."""
from __future__ import annotations

import re
import time

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from conftest import CHROMIUM, book, decode_qr
from queue_app.extensions import db
from queue_app.models import Reservation, Ticket
from page_helpers import kiosk_token, open_kiosk
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error on any page)

SLOT = "2027-01-14T09:00:00+09:00"  # a Thursday; the test clock starts on Tuesday the 12th


def _reservation(client, **overrides) -> dict:
    response = book(client, start=SLOT, **overrides)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _scan(page, text: str) -> None:
    """What a USB/Bluetooth scanner does: type into whatever has focus, then Enter."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _ready(page) -> None:
    expect(page.locator("#screen-start")).to_be_visible()
    expect(page.locator("#scanner")).to_be_focused()


def _wait_for_image(image, seconds: float = 5) -> None:
    """Poll until the <img> has loaded (wait_for_function would need eval, which our CSP forbids)."""
    deadline = time.monotonic() + seconds
    while not image.evaluate("img => img.complete && img.naturalWidth > 0"):
        assert time.monotonic() < deadline, "the image did not load"
        time.sleep(0.05)


def test_scanning_a_reservation_shows_its_ticket(make_app, backend, clock, live_server, page):
    app = make_app(backend)
    client = app.test_client()
    reservation = _reservation(client)
    server, token = live_server(app), kiosk_token(app)
    clock.set(2027, 1, 14, 8, 45)  # inside the check-in window (from 08:30)

    open_kiosk(page, server, token)
    _ready(page)
    assert "token" not in page.url  # the fragment is read once, then gone
    _scan(page, reservation["check_in_payload"])

    expect(page.locator("#screen-ticket")).to_be_visible()
    expect(page.locator("#ticket-number")).to_have_text("R-001")
    expect(page.locator("#ticket-service")).to_contain_text("マイナンバーカードの受け取り")
    expect(page.locator("#ticket-service")).to_contain_text("Picking up your My Number card")
    expect(page.locator("#ticket-wait")).to_have_text(re.compile(r"まもなく|約\d+分"))
    expect(page.locator("#status")).to_contain_text("R-001")
    with app.app_context():
        row = db.session.scalar(select(Reservation).where(Reservation.code == reservation["code"]))
        assert row.status == "checked_in"
        ticket = db.session.scalar(select(Ticket).where(Ticket.reservation_id == row.id))
    # The QR code on the ticket leads to the resident's page for this very ticket.
    qr = page.locator("#ticket-qr")
    expect(qr).to_have_attribute("src", f"/kiosk/qr.png?ticket={ticket.id}")
    _wait_for_image(page.locator("#ticket-qr"))
    png = client.get(f"/kiosk/qr.png?ticket={ticket.id}")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert decode_qr(png.data).endswith(f"/tickets/{ticket.id}")

    # The same code scanned again is the same check-in, said so on screen.
    page.get_by_role("button", name="終わる").click()
    _ready(page)
    _scan(page, reservation["check_in_payload"])
    expect(page.locator("#ticket-number")).to_have_text("R-001")
    expect(page.locator("#ticket-note")).to_contain_text("受付済み")
    expect(page.locator("#ticket-note")).to_contain_text("already checked in")


def test_too_early_is_refused_in_both_languages(app, client, clock, live_server, page):
    reservation = _reservation(client)
    server, token = live_server(app), kiosk_token(app)
    clock.set(2027, 1, 14, 8, 0)  # check-in opens at 08:30

    open_kiosk(page, server, token)
    _ready(page)
    _scan(page, reservation["check_in_payload"])

    refusal = page.locator("#screen-refusal")
    expect(refusal).to_be_visible()
    expect(refusal.locator("h2")).to_contain_text("まだ受付時間前です")
    expect(refusal.locator("h2")).to_contain_text("It is too early to check in")
    expect(page.locator("#refusal-ja")).to_contain_text("8:30から受付できます")
    expect(page.locator("#refusal-en")).to_contain_text("You can check in from 8:30")
    expect(page.locator("#refusal-walkin")).to_be_hidden()
    expect(page.locator("#status")).to_contain_text("It is too early")
    with app.app_context():
        assert db.session.scalar(select(Ticket)) is None


@pytest.mark.parametrize("case", ["wrong_day", "unknown", "cancelled", "wrong_location"])
def test_refusals_say_what_to_do_next(case, app, client, clock, live_server, page):
    reservation = _reservation(client)
    payload = reservation["check_in_payload"]
    location = "honcho"
    clock.set(2027, 1, 14, 8, 45)
    expected = {
        "wrong_day": ("ご予約は本日ではありません", "Your reservation is not for today", "1月14日"),
        "unknown": ("このQRコードでは受付できません", "We cannot check in with this QR code", "窓口職員"),
        "cancelled": ("このご予約は取り消されています", "This reservation has been cancelled", "番号札"),
        "wrong_location": ("別の窓口のご予約です", "This reservation is for another office", "市役所 市民課"),
    }[case]
    if case == "wrong_day":
        clock.set(2027, 1, 13, 9, 0)
    elif case == "unknown":
        payload = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    elif case == "cancelled":
        code, secret = reservation["code"], reservation["token"]
        assert client.delete(f"/api/v1/reservations/{code}?token={secret}").status_code == 200
    else:
        location = "awara"
    server, token = live_server(app), kiosk_token(app, location)

    open_kiosk(page, server, token, location)
    _ready(page)
    _scan(page, payload)

    heading = page.locator("#refusal-heading")
    expect(heading).to_contain_text(expected[0])
    expect(heading).to_contain_text(expected[1])
    expect(page.locator("#refusal-ja")).to_contain_text(expected[2])
    expect(page.locator("#refusal-en")).not_to_be_empty()
    # A cancelled reservation may still take a walk-in number; the others are told where to go.
    expect(page.locator("#refusal-walkin")).to_be_visible() if case == "cancelled" else \
        expect(page.locator("#refusal-walkin")).to_be_hidden()


def test_too_late_offers_a_walk_in_ticket(app, client, clock, live_server, page):
    reservation = _reservation(client)
    server, token = live_server(app), kiosk_token(app)
    clock.set(2027, 1, 14, 9, 20)  # check-in closed at 09:15

    open_kiosk(page, server, token)
    _ready(page)
    _scan(page, reservation["check_in_payload"])

    expect(page.locator("#refusal-heading")).to_contain_text("予約時間を過ぎています")
    expect(page.locator("#refusal-heading")).to_contain_text("Your appointment time has passed")
    expect(page.locator("#refusal-en")).to_contain_text("walk-in number")
    offer = page.locator("#refusal-walkin")
    expect(offer).to_be_visible()
    offer.get_by_role("button", name=re.compile("マイナンバーカードの受け取り")).click()
    expect(page.locator("#ticket-number")).to_have_text("W-001")


def test_a_walk_in_button_gives_a_w_ticket_then_the_start_screen_returns(app, clock, live_server, page):
    server, token = live_server(app), kiosk_token(app)
    open_kiosk(page, server, token, query="?reset=3")
    _ready(page)
    buttons = page.locator("#walkin-buttons .walkin-button")
    expect(buttons).to_have_count(8)  # honcho serves all eight procedures on a weekday
    page.get_by_role("button", name=re.compile("紛失による再発行")).click()

    expect(page.locator("#ticket-number")).to_have_text("W-001")
    expect(page.locator("#ticket-service")).to_contain_text("Re-issue after loss")
    expect(page.locator("#ticket-ahead")).to_have_text(re.compile(r"^0人"))
    # Nobody touches the screen: after the timeout the next resident finds the start.
    expect(page.locator("#screen-start")).to_be_visible(timeout=6000)
    expect(page.locator("#scanner")).to_be_focused()
    page.get_by_role("button", name=re.compile("紛失による再発行")).click()
    expect(page.locator("#ticket-number")).to_have_text("W-002")
    expect(page.locator("#ticket-ahead")).to_have_text(re.compile(r"^1人"))


@pytest.mark.parametrize("when, title", [
    ((2027, 1, 10, 10, 0), "本日は予約制です"),      # 2nd Sunday: the holiday window
    ((2027, 1, 12, 18, 0), "ただいま受付時間外です"),  # Tuesday evening
])
def test_no_walk_in_buttons_when_none_are_offered(when, title, app, clock, live_server, page, client):
    clock.set(*when)
    server, token = live_server(app), kiosk_token(app)
    open_kiosk(page, server, token)
    _ready(page)
    expect(page.locator("#walkin-none")).to_contain_text(title)
    expect(page.locator("#walkin-buttons .walkin-button")).to_have_count(0)


def test_a_scan_reaches_the_kiosk_even_when_a_button_has_focus(app, client, clock, live_server, page):
    reservation = _reservation(client)
    server, token = live_server(app), kiosk_token(app)
    clock.set(2027, 1, 14, 8, 45)
    open_kiosk(page, server, token)
    _ready(page)
    page.locator("#camera-start").focus()  # e.g. a resident touched a button
    _scan(page, reservation["check_in_payload"])
    expect(page.locator("#ticket-number")).to_have_text("R-001")


def test_setup_keeps_the_token_in_the_browser(app, live_server, page):
    server, token = live_server(app), kiosk_token(app)
    other = kiosk_token(app, "awara")
    open_kiosk(page, server, None)
    expect(page.locator("#screen-unconfigured")).to_be_visible()
    expect(page.locator("#screen-unconfigured")).to_contain_text("This kiosk is not set up")
    page.get_by_role("link", name=re.compile("端末の設定")).click()

    field = page.get_by_label("端末トークン")
    field.fill("not-a-token")
    page.get_by_role("button", name=re.compile("保存して受付を始める")).click()
    expect(page.locator("#setup-result")).to_contain_text("not a registered kiosk token")
    field.fill(other)  # a kiosk of another place
    page.get_by_role("button", name=re.compile("保存して受付を始める")).click()
    expect(page.locator("#setup-result")).to_contain_text("another place")
    field.fill(token)
    page.get_by_label(re.compile("レシート用紙の幅")).select_option("58")
    page.get_by_role("button", name=re.compile("保存して受付を始める")).click()

    page.wait_for_url(f"{server.url}/kiosk/honcho")
    _ready(page)
    expect(page.locator("body")).to_have_class(re.compile("paper-58"))
    page.reload()  # kept in localStorage, not in the URL
    _ready(page)


def _pdf_page_size_mm(pdf: bytes) -> tuple[float, float]:
    match = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert match, "no MediaBox in the PDF"
    return float(match[1]) * 25.4 / 72, float(match[2]) * 25.4 / 72


@pytest.mark.parametrize("paper", ["80", "58"])
def test_the_ticket_prints_on_a_receipt_roll(paper, app, live_server, page):
    server, token = live_server(app), kiosk_token(app)
    open_kiosk(page, server, token)
    _ready(page)
    # Printed by hand below (page.pdf): the kiosk's own print would be a second job.
    page.evaluate(f"localStorage.setItem('kiosk.settings', JSON.stringify({{paper: '{paper}', autoprint: false}}))")
    page.reload()
    _ready(page)
    page.get_by_role("button", name=re.compile("暗証番号の再設定")).click()
    expect(page.locator("#ticket-number")).to_have_text("W-001")
    _wait_for_image(page.locator("#ticket-qr"))

    page.emulate_media(media="print")
    expect(page.locator(".kiosk-header")).to_be_hidden()
    expect(page.locator("#ticket-print")).to_be_hidden()
    expect(page.locator("#ticket-number")).to_be_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    width, height = _pdf_page_size_mm(pdf)
    assert abs(width - int(paper)) < 0.5
    assert height <= 150
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # one slip, one page
    # The slip fits the roll's width: nothing wider than the printable area.
    overflow = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    assert overflow is False


def test_the_qr_route_refuses_unknown_tickets(client):
    assert client.get("/kiosk/qr.png?ticket=nope").status_code == 404
    assert client.get("/kiosk/qr.png?ticket=" + "A" * 22).status_code == 404
    assert client.get("/kiosk/qr.png").status_code == 404


def _y4m_of_qr(text: str, path) -> None:
    """A short raw video (YUV4MPEG2, 4:2:0) showing ``text`` as a QR code: Chromium's
    fake camera plays it in a loop, so the kiosk's camera reader sees a real frame."""
    import qrcode

    width, height = 640, 480
    code = qrcode.make(text, box_size=6, border=4).get_image().convert("L")
    side = min(height - 40, code.size[0])
    frame = Image.new("L", (width, height), 255)
    frame.paste(code.resize((side, side), Image.NEAREST), ((width - side) // 2, (height - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(3):
            out.write(b"FRAME\n" + luma + chroma + chroma)


def test_the_camera_reads_a_qr_code(app, client, clock, live_server, chromium, tmp_path):
    reservation = _reservation(client)
    server, token = live_server(app), kiosk_token(app)
    clock.set(2027, 1, 14, 8, 45)
    video = tmp_path / "qr.y4m"
    _y4m_of_qr(reservation["check_in_payload"], video)
    # A second browser of the same Playwright, with a fake camera that films the code.
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
        context.grant_permissions(["camera"], origin=server.url)
        page = context.new_page()
        open_kiosk(page, server, token)
        _ready(page)
        page.get_by_role("button", name=re.compile("カメラで読み取る")).click()
        expect(page.locator("#ticket-number")).to_have_text("R-001", timeout=15000)
        # The camera is released once the code is read.
        assert page.evaluate("window.KioskCamera.active") is False
    finally:
        browser.close()



def test_a_resident_picks_the_second_language_on_the_start_screen(app, client, clock, live_server, page):
    """Japanese stays first; the line under it follows the language picked on the start
    screen, through refusals, the ticket and its QR code, until the resident is done."""
    reservation = _reservation(client)
    server, token = live_server(app), kiosk_token(app)
    clock.set(2027, 1, 14, 8, 0)  # check-in opens at 08:30
    open_kiosk(page, server, token)
    _ready(page)
    english = page.get_by_role("button", name="English", exact=True)
    vietnamese = page.get_by_role("button", name="Tiếng Việt", exact=True)
    expect(english).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#language-buttons button")).to_have_count(6)
    vietnamese.click()
    expect(vietnamese).to_have_attribute("aria-pressed", "true")
    expect(english).to_have_attribute("aria-pressed", "false")
    heading = page.locator("#reserved-heading")
    expect(heading).to_contain_text("ご予約のある方")
    expect(heading).to_contain_text("Người có lịch hẹn")
    expect(heading.locator(".en")).to_have_attribute("lang", "vi")
    expect(page.locator("#scanner")).to_be_focused()  # the scanner still reads straight away

    _scan(page, reservation["check_in_payload"])
    expect(page.locator("#refusal-heading")).to_contain_text("まだ受付時間前です")
    expect(page.locator("#refusal-heading")).to_contain_text("Chưa đến giờ tiếp nhận")
    expect(page.locator("#refusal-ja")).to_contain_text("8:30から受付できます")
    expect(page.locator("#refusal-en")).to_contain_text("Bạn có thể làm thủ tục từ 8:30")
    expect(page.locator("#refusal-en")).to_have_attribute("lang", "vi")
    page.get_by_role("button", name=re.compile("最初の画面に戻る")).click()
    _ready(page)
    expect(vietnamese).to_have_attribute("aria-pressed", "true")  # the same resident, still

    clock.set(2027, 1, 14, 9, 0)
    page.reload()  # (the walk-in list is read again on the start screen)
    _ready(page)
    page.get_by_role("button", name="Tiếng Việt", exact=True).click()
    page.get_by_role("button", name=re.compile("紛失による再発行")).click()
    expect(page.locator("#ticket-number")).to_have_text("W-001")
    expect(page.locator("#ticket-service")).to_contain_text("Re-issue after loss")
    expect(page.locator("#ticket-ahead")).to_have_text(re.compile(r"^0人 / 0 người$"))
    expect(page.locator("#ticket-heading")).to_contain_text("Số thứ tự của bạn")
    expect(page.locator("#ticket-qr")).to_have_attribute("src", re.compile(r"&lang=vi$"))
    page.get_by_role("button", name=re.compile("終わる")).click()
    _ready(page)  # the next resident finds English again
    expect(page.get_by_role("button", name="English", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(heading).to_contain_text("With a reservation")


# A printer that records each print job and reports it done, as Chromium's
# --kiosk-printing does without a dialog.
_PRINTER = """window.__prints = 0;
window.print = () => { window.__prints += 1; setTimeout(() => window.dispatchEvent(new Event("afterprint")), 50); };"""


def test_each_ticket_is_printed_by_default_then_done_is_the_main_button(app, live_server, page):
    page.context.add_init_script(_PRINTER)
    server, token = live_server(app), kiosk_token(app)
    open_kiosk(page, server, token)  # a kiosk set up with no settings at all
    _ready(page)
    page.get_by_role("button", name=re.compile("暗証番号の再設定")).click()
    expect(page.locator("#ticket-number")).to_have_text("W-001")
    printed = page.locator("#ticket-printed")
    expect(printed).to_be_visible()
    expect(printed).to_contain_text("番号札が出ました。お取りください。")
    expect(printed).to_contain_text("Please take it")
    assert page.evaluate("() => window.__prints") == 1
    expect(page.locator("#ticket-done")).not_to_have_class(re.compile("button-secondary"))
    expect(page.locator("#ticket-print")).to_have_class(re.compile("button-secondary"))


def test_without_autoprint_printing_is_the_main_button_until_it_is_done(app, live_server, page):
    page.context.add_init_script(_PRINTER)
    server, token = live_server(app), kiosk_token(app)
    open_kiosk(page, server, token)
    _ready(page)
    page.evaluate("localStorage.setItem('kiosk.settings', JSON.stringify({autoprint: false}))")
    page.reload()
    _ready(page)
    page.get_by_role("button", name=re.compile("暗証番号の再設定")).click()
    expect(page.locator("#ticket-number")).to_have_text("W-001")
    # Nothing printed yet: 印刷 is the filled button, 終わる the quiet one.
    expect(page.locator("#ticket-printed")).to_be_hidden()
    expect(page.locator("#ticket-print")).not_to_have_class(re.compile("button-secondary"))
    expect(page.locator("#ticket-done")).to_have_class(re.compile("button-secondary"))
    assert page.evaluate("() => window.__prints") == 0
    page.locator("#ticket-print").click()
    expect(page.locator("#ticket-printed")).to_be_visible()
    expect(page.locator("#ticket-done")).not_to_have_class(re.compile("button-secondary"))


def test_setup_offers_printing_ticked_by_default(app, live_server, page):
    server = live_server(app)
    page.goto(f"{server.url}/kiosk/honcho/setup")
    expect(page.locator("#setup-autoprint")).to_be_checked()


def test_axe_finds_nothing_serious_on_the_kiosk_in_any_language(app, client, clock, live_server, page):
    """The start screen, a ticket and a refusal, with each second language chosen."""
    from axe_helpers import axe_violations, describe, install_axe

    install_axe(page.context)
    page.context.add_init_script(_PRINTER)
    server, token = live_server(app), kiosk_token(app)
    open_kiosk(page, server, token)
    _ready(page)
    codes = page.locator(".language-button").evaluate_all("bs => bs.map(b => b.dataset.language)")
    assert len(codes) == 6  # the second languages beside Japanese, always shown first
    found = {}
    for code in codes:
        page.locator(f'.language-button[data-language="{code}"]').click()
        if axe_violations(page):
            found[f"{code} start"] = describe(axe_violations(page))
        page.locator("#walkin-buttons .walkin-button").first.click()
        expect(page.locator("#screen-ticket")).to_be_visible()
        expect(page.locator("#ticket-printed")).to_be_visible()
        if axe_violations(page):
            found[f"{code} ticket"] = describe(axe_violations(page))
        page.locator("#ticket-done").click()
        _ready(page)
        page.locator(f'.language-button[data-language="{code}"]').click()
        _scan(page, "not-a-reservation-of-ours")
        expect(page.locator("#screen-refusal")).to_be_visible()
        if axe_violations(page):
            found[f"{code} refusal"] = describe(axe_violations(page))
        page.locator("#refusal-back").click()
        _ready(page)
    assert found == {}, "\n".join(f"{name}:\n{text}" for name, text in found.items())


def test_after_reception_closes_the_kiosk_says_so_kindly_with_the_next_opening(app, clock, live_server, page):
    """受付終了: at 16:20 with a queue the counters cannot finish by 17:15, the button a
    resident presses is refused in both languages with the next morning's opening, and
    the start screen then offers no walk-in number."""
    clock.set(2027, 1, 12, 16, 20)
    server, token = live_server(app), kiosk_token(app)
    client = app.test_client()

    def issue():
        return client.post("/api/v1/tickets", json={"location": "honcho", "service": "reissue"},
                           headers={"Authorization": f"Bearer {token}"})

    for _ in range(8):
        assert issue().status_code == 201
    open_kiosk(page, server, token)
    _ready(page)
    expect(page.locator("#walkin-buttons .walkin-button")).to_have_count(8)  # the offer is read
    assert issue().status_code == 201  # the ninth: now a tenth could not be called in time
    page.get_by_role("button", name=re.compile("紛失による再発行")).click()

    expect(page.locator("#refusal-heading")).to_contain_text("本日の受付は終了しました")
    expect(page.locator("#refusal-heading")).to_contain_text("Reception has closed for today")
    expect(page.locator("#refusal-ja")).to_contain_text("次の受付は1月13日(水) 8:30からです")
    expect(page.locator("#refusal-en")).to_contain_text("Reception opens again on")
    expect(page.locator("#refusal-walkin")).to_be_hidden()

    page.reload()
    _ready(page)
    expect(page.locator("#walkin-none")).to_contain_text("本日の受付は終了しました")
    expect(page.locator("#walkin-none")).to_contain_text("次の受付は1月13日(水) 8:30から")
    expect(page.locator("#walkin-buttons .walkin-button")).to_have_count(0)

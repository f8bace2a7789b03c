"""An emergency closure end to end in real Chromium: the lobby screen is open; the
administrator closes honcho for today from /admin/closures (snow) → the reservations of
the day are cancelled → each resident with an address gets an e-mail, received by a real
SMTP server, in their own language with a link that opens the booking site in that
language → the page shows the affected codes and the call list of the phone-only
resident → the booking site shows the day closed with the notice → the lobby screen
shows the notice at once (no reload)."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import Reservation
from queue_app.services import booking, places
from queue_helpers import PASSWORD, make_staff
from realtime_support import browser_stubs
from resident_helpers import body_text, mail_config, send_outbox, smtp  # noqa: F401 (fixture)


def book_today(app, hour: int, *, email: str | None, phone: str | None, language: str, name: str) -> str:
    start = datetime(2027, 1, 12, hour, 0, tzinfo=TOKYO)
    with app.app_context():
        reservation, _token = booking.book_slot(
            db.session, location=places.get_location(db.session, "honcho"),
            service=booking.get_service(db.session, "card-pickup"), start=start,
            contact=booking.validate_contact(name, email, phone, language),
            now=start - timedelta(days=1), policy=booking.BookingPolicy())
        db.session.commit()
        return reservation.code


def test_an_emergency_closure_made_in_the_browser_reaches_everyone(make_app, live_server, smtp, chromium):
    app = make_app(**mail_config(smtp.port))
    server = live_server(app)
    # The links in the e-mail must lead to this server, which the browser can open.
    app.config["PUBLIC_BASE_URL"] = server.url
    admin = f"admin-{uuid.uuid4().hex[:6]}"
    make_staff(app, admin, role="admin")
    japanese = book_today(app, 11, email="hanako@example.jp", phone=None, language="ja", name="山田 花子")
    vietnamese = book_today(app, 13, email="lan@example.jp", phone=None, language="vi", name="Nguyen Thi Lan")
    phone_only = book_today(app, 14, email=None, phone="080-9876-5432", language="ja", name="鈴木 一郎")

    context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    lobby, office = context.new_page(), context.new_page()
    errors: list[str] = []
    for page in (lobby, office):
        page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # The lobby screen, live before anything happens.
        lobby.set_viewport_size({"width": 1920, "height": 1080})
        lobby.add_init_script(browser_stubs(False))
        lobby.goto(f"{server.url}/display/honcho")
        lobby.wait_for_selector("body.has-data")
        expect(lobby.locator("#closure")).to_be_hidden()

        # The administrator signs in and closes honcho for the whole of today.
        office.goto(f"{server.url}/staff/login")
        office.get_by_label("ユーザー名").fill(admin)
        office.get_by_label("パスワード").fill(PASSWORD)
        office.get_by_role("button", name="ログイン").click()
        office.wait_for_url(re.compile(r"/staff/"))
        office.goto(f"{server.url}/admin/closures")
        expect(office.get_by_role("heading", name="閉庁・窓口休止の設定")).to_be_visible()
        office.get_by_label("窓口").select_option("honcho")
        office.get_by_label("日付").fill("2027-01-12")
        expect(office.get_by_label("終日")).to_be_checked()
        expect(office.get_by_label("開始時刻")).to_be_disabled()  # only for part of the day
        office.get_by_label("理由(日本語)").fill("大雪のため")
        office.get_by_label("理由(英語)").fill("Heavy snow")
        expect(office.locator("#emergency-warning")).to_contain_text("予約はすべて取り消され")
        office.get_by_label("緊急閉庁(降雪・システム障害など)").check()
        office.get_by_role("button", name="閉庁を登録する").click()

        # The page: the cancelled codes, and the call list of the phone-only resident.
        expect(office.locator("#closure-message")).to_have_text("閉庁を登録しました。")
        expect(office.locator("#affected-codes li")).to_have_text([japanese, vietnamese, phone_only])
        rows = office.locator("#call-list-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(phone_only)
        expect(rows.first).to_contain_text("2027-01-12 14:00")
        expect(rows.first).to_contain_text("08098765432")
        expect(office.locator("#print-call-list")).to_be_visible()
        expect(office.locator(".closure-place[data-location='honcho'] tbody tr")).to_contain_text("大雪のため")

        # The lobby screen heard of it at once.
        expect(lobby.locator("#closure")).to_be_visible()
        expect(lobby.locator("#closure-list")).to_contain_text("本日は終日閉庁します(大雪のため)")
        expect(lobby.locator("#closure-list")).to_contain_text("The counters are closed all day today: Heavy snow")

        with app.app_context():
            statuses = set(db.session.scalars(select(Reservation.status)))
        assert statuses == {"cancelled"}

        # The e-mails, one per address, each in the resident's language (the booking
        # confirmations still waiting are not sent after the cancellation).
        assert send_outbox(app) == {"sent": 2, "failed": 0, "skipped": 2}
        received = {recipients[0]: message for recipients, message in smtp.wait_for(2)}
        assert set(received) == {"hanako@example.jp", "lan@example.jp"}
        ja, vi = body_text(received["hanako@example.jp"]), body_text(received["lan@example.jp"])
        assert "理由:大雪のため" in ja and japanese in ja
        assert "Lý do: Heavy snow" in vi and vietnamese in vi
        assert received["lan@example.jp"]["Subject"] == f"Quầy đóng cửa: lịch hẹn của bạn đã bị hủy ({vietnamese})"

        # The Vietnamese resident's link opens the booking site in Vietnamese, where
        # today is closed and the notice says why.
        [link] = re.findall(rf"{re.escape(server.url)}/book/\S+", vi)
        resident = context.new_page()
        resident.goto(link)
        expect(resident.locator("html")).to_have_attribute("lang", "vi")
        expect(resident.locator("#closure-notice")).to_contain_text("quầy đóng cửa cả ngày (Heavy snow)")
        expect(resident.locator('td[data-date="2027-01-12"]')).to_have_attribute("data-status", "closed")
        # And the Japanese resident's, in Japanese.
        [link] = re.findall(rf"{re.escape(server.url)}/book/\S+", ja)
        resident.goto(link)
        expect(resident.locator("#closure-notice")).to_contain_text("2027年1月12日(火) は終日閉庁します(大雪のため)。")
        assert errors == []
    finally:
        context.close()

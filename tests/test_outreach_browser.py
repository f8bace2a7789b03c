"""A home visit end to end in real Chromium: a company's clerk fills in /outreach in
Japanese (a Saturday among the candidates is refused next to its field, nothing typed is
lost), sends it and gets the receipt by e-mail (a real SMTP server); a member of staff
signs in, opens 出張申請 from the console's menu, picks a candidate date, a time and the
staff who go, and confirms: the applicant gets the date and what to prepare. A phone-only
application shows the clerk the number to call."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import OutreachRequest
from queue_helpers import PASSWORD, make_staff
from resident_helpers import SMTPSink, body_text, mail_config, send_outbox


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) that keeps what it receives."""
    sink = SMTPSink().start()
    yield sink
    sink.stop()


def test_apply_in_the_browser_and_staff_schedule_the_visit(make_app, live_server, smtp, chromium):
    app = make_app(**mail_config(smtp.port))
    server = live_server(app)
    username = f"staff-{uuid.uuid4().hex[:6]}"
    make_staff(app, username)
    context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    errors: list[str] = []
    try:
        # The applicant.
        resident = context.new_page()
        resident.on("pageerror", lambda error: errors.append(str(error)))
        resident.goto(f"{server.url}/outreach")
        expect(resident.get_by_role("heading", name="出張申請の申込")).to_be_visible()
        resident.get_by_label("企業・事業所").check()
        resident.get_by_label("申込者(ご担当者)のお名前").fill("株式会社あわら 総務課 山田 花子")
        resident.get_by_label("メールアドレス").fill("soumu@awara-example.co.jp")
        resident.get_by_label("郵便番号").fill("910-4192")
        resident.get_by_label("訪問先の住所").fill("あわら市市姫3丁目1-1 本社3階")
        resident.get_by_label("申請される人数").fill("12")
        resident.get_by_label("特急発行申請を希望する").check()
        resident.get_by_label("第1希望日").fill("2027-01-14")
        resident.get_by_label("午前・午後(第1希望)").select_option("pm")
        resident.get_by_label("第2希望日").fill("2027-01-16")  # a Saturday
        resident.get_by_label("備考(任意)").fill("正面玄関の受付でお声がけください。")
        resident.get_by_role("button", name="申込を送信する").click()

        expect(resident.locator("#error-summary")).to_be_visible()
        expect(resident.locator("#date_2-error")).to_contain_text("この日は出張申請を実施していません")
        expect(resident.get_by_label("訪問先の住所")).to_have_value("あわら市市姫3丁目1-1 本社3階")
        expect(resident.get_by_label("午前・午後(第1希望)")).to_have_value("pm")
        expect(resident.get_by_label("特急発行申請を希望する")).to_be_checked()
        resident.get_by_label("第2希望日").fill("2027-01-18")
        resident.get_by_role("button", name="申込を送信する").click()
        expect(resident.get_by_role("heading", name="出張申請を受け付けました")).to_be_visible()

        with app.app_context():
            stored = db.session.scalars(select(OutreachRequest)).one()
            request_id = stored.id
            assert stored.candidates == [{"date": "2027-01-14", "part": "pm"}, {"date": "2027-01-18", "part": "am"}]
        assert send_outbox(app)["sent"] == 1
        [(recipients, receipt)] = smtp.wait_for(1)
        assert recipients == ["soumu@awara-example.co.jp"]
        assert receipt["Subject"] == f"【出張申請 受付】受付番号 {request_id}"
        assert "特急発行申請:希望する" in body_text(receipt)

        # The member of staff.
        office = context.new_page()
        office.on("pageerror", lambda error: errors.append(str(error)))
        office.goto(f"{server.url}/staff/login")
        office.get_by_label("ユーザー名").fill(username)
        office.get_by_label("パスワード").fill(PASSWORD)
        office.get_by_role("button", name="ログイン").click()
        office.wait_for_url(re.compile(r"/staff/?"))
        office.get_by_role("link", name="出張申請").click()
        expect(office.get_by_role("heading", name="出張申請")).to_be_visible()
        row = office.locator(f'#outreach-list tr[data-id="{request_id}"]')
        expect(row).to_contain_text("株式会社あわら 総務課 山田 花子")
        row.get_by_role("link", name="開く").click()
        expect(office.locator("#address")).to_have_text("あわら市市姫3丁目1-1 本社3階")
        expect(office.locator("#call-applicant")).to_have_count(0)  # there is an e-mail address
        office.get_by_label("2027-01-18 午前").check()
        office.get_by_label("開始時刻").fill("10:30")
        office.get_by_label("訪問する職員").fill("山田・佐藤")
        office.get_by_role("button", name="この日時で確定する").click()
        expect(office.locator("#outreach-message")).to_contain_text("訪問日時を確定しました。")
        expect(office.locator("#request-status")).to_have_text("日程確定")
        expect(office.locator("#visit-start")).to_have_text("2027-01-18 10:30")
        expect(office.locator("#visit-staff")).to_have_text("山田・佐藤")

        assert send_outbox(app)["sent"] == 1
        _recipients, confirmed = smtp.wait_for(2)[1]
        assert confirmed["Subject"] == f"【出張申請 日程確定】受付番号 {request_id}"
        text = body_text(confirmed)
        assert "日時:2027年1月18日(月) 10:30" in text
        assert "・本人確認書類" in text and "・通知カードまたは個人番号通知書" in text

        # The visit took place.
        office.get_by_role("button", name="実施済にする").click()
        expect(office.locator("#request-status")).to_have_text("実施済")
        assert errors == []
    finally:
        context.close()


def test_a_phone_only_application_tells_staff_to_call(make_app, live_server, chromium):
    app = make_app()
    server = live_server(app)
    username = f"staff-{uuid.uuid4().hex[:6]}"
    make_staff(app, username)
    context = chromium.new_context(locale="en-US", timezone_id="Asia/Tokyo")
    try:
        resident = context.new_page()
        resident.goto(f"{server.url}/outreach?lang=en")
        expect(resident.get_by_role("heading", name="Home visit application (出張申請)")).to_be_visible()
        resident.get_by_label("An individual or a family").check()
        resident.get_by_label("Contact person").fill("Maria Silva")
        resident.get_by_label("Phone number").fill("090-1234-5678")
        resident.get_by_label("Postcode").fill("9104192")
        resident.get_by_label("Address of the visit").fill("Awara, Ichihime 3-1-1")
        resident.get_by_label("Number of applicants").fill("3")
        resident.get_by_label("Candidate date 1", exact=True).fill("2027-01-19")
        resident.get_by_label("Candidate date 2", exact=True).fill("2027-01-20")
        resident.get_by_label("Morning or afternoon (candidate 2)").select_option("pm")
        resident.get_by_role("button", name="Send the application").click()
        expect(resident.get_by_role("heading", name="Your application has been sent")).to_be_visible()

        office = context.new_page()
        office.goto(f"{server.url}/staff/login")
        office.get_by_label("ユーザー名").fill(username)
        office.get_by_label("パスワード").fill(PASSWORD)
        office.get_by_role("button", name="ログイン").click()
        office.wait_for_url(re.compile(r"/staff/?"))
        office.goto(f"{server.url}/staff/outreach?lang=en")
        office.get_by_role("link", name="Open").click()
        expect(office.locator("#call-applicant")).to_contain_text("Call the applicant")
        expect(office.locator("#call-applicant")).to_contain_text("09012345678")
        office.get_by_label("Reason").fill("No staff are free on those days.")
        office.get_by_role("button", name="Decline", exact=True).click()
        expect(office.locator("#outreach-message")).to_contain_text("The request is declined.")
        expect(office.locator("#call-applicant")).to_contain_text("09012345678")
        with app.app_context():
            stored = db.session.scalars(select(OutreachRequest)).one()
            assert (stored.status, stored.language, stored.phone) == ("declined", "en", "09012345678")
    finally:
        context.close()


def test_the_form_has_no_serious_accessibility_finding_even_with_errors(make_app, live_server, chromium):
    """axe (serious and critical findings, contrast included) on a phone, in Japanese and
    in English, on the empty form and on the form sent back with its errors."""
    from axe_helpers import axe_violations, describe, install_axe

    server = live_server(make_app())
    context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                   viewport={"width": 360, "height": 740})
    install_axe(context)
    try:
        page = context.new_page()
        for lang in ("ja", "en"):
            page.goto(f"{server.url}/outreach?lang={lang}")
            assert axe_violations(page) == [], describe(axe_violations(page))
            page.locator("button[type=submit]").click()
            expect(page.locator("#error-summary")).to_be_visible()
            assert axe_violations(page) == [], describe(axe_violations(page))
    finally:
        context.close()

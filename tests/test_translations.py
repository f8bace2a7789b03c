"""Every resident-facing language: Japanese, Easy Japanese, English, Chinese (simplified),
Korean, Vietnamese and Portuguese. No string is missing from any catalogue or from the
kiosk's messages, and the booking page, the ticket page and the e-mails speak each one."""
from __future__ import annotations

import gettext
import html
import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from axe_helpers import axe_violations, describe, install_axe
from conftest import book
from page_helpers import kiosk_token
from resident_helpers import book_form, manage_args
from queue_app import i18n, notify
from queue_app.extensions import db
from queue_app.models import OutboxMessage, Reservation

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "queue_app" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")

# code, stored, <html lang>, the places page's heading, the ticket page's second line,
# a piece of the confirmation's subject, its greeting, the visit's date.
LANGUAGES = [
    ("ja", "ja", "ja", "窓口を選択してください", "Your number", "【予約完了】", "山田 花子 様",
     "2027年1月14日(木) 9:00"),
    ("easy-ja", "ez", "ja", "場所（ばしょ）を えらんでください", "あなたの 番号（ばんごう）",
     "【予約（よやく）が できました】", "山田 花子 さま", "2027年1月14日(木) 9:00"),
    ("en", "en", "en", "Choose the place", "Your number", "Your reservation is confirmed",
     "Dear 山田 花子,", "Thu 14 January 2027 9:00"),
    ("zh-Hans", "zh", "zh-Hans", "请选择窗口", "您的号码", "【预约完成】", "尊敬的山田 花子：",
     "2027年1月14日（周四） 9:00"),
    ("ko", "ko", "ko", "창구를 선택해 주십시오", "접수 번호", "[예약 완료]", "山田 花子 님께",
     "2027년 1월 14일 (목) 9:00"),
    ("vi", "vi", "vi", "Vui lòng chọn địa điểm", "Số thứ tự của bạn", "[Xác nhận lịch hẹn]",
     "Kính gửi quý khách 山田 花子,", "Thứ Năm, ngày 14 tháng 1 năm 2027 9:00"),
    ("pt-BR", "pt", "pt-BR", "Escolha o local", "Sua senha", "está confirmada",
     "Prezado(a) 山田 花子,", "quinta-feira, 14 de janeiro de 2027 9:00"),
]


def text_of(response) -> str:
    body = re.sub(r"<script.*?</script>", " ", response.get_data(as_text=True), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# ---------------------------------------------------------------- no string missing

def _used_messages() -> set[str]:
    """Every msgid in the code and templates (babel.cfg's extraction, with _l)."""
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    return {message for _file, _line, message, _comments, _context in
            extract_from_dir(str(ROOT / "queue_app"), method_map, keywords=keywords)
            if isinstance(message, str)}


def test_the_languages_table_matches_the_catalogues():
    assert [language.code for language in i18n.LANGUAGES] == [row[0] for row in LANGUAGES]
    assert len(set(i18n.STORED_CODES)) == len(i18n.LANGUAGES)
    assert all(len(code) == 2 for code in i18n.STORED_CODES)  # reservations.language is String(2)
    for language in i18n.LANGUAGES:
        if language.code != "en":  # English is the msgids themselves
            assert (TRANSLATIONS / language.locale / "LC_MESSAGES" / "messages.po").is_file(), language


@pytest.mark.parametrize("locale", [language.locale for language in i18n.LANGUAGES
                                    if language.code != "en"])
def test_every_catalogue_translates_every_message(locale):
    """Every msgid of messages.pot (and of the code: the .pot is up to date) has a
    non-empty, non-fuzzy translation with the same placeholders, and the committed .mo
    says what the .po says (pybabel compile was run)."""
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = {message.id for message in read_po(handle) if message.id}
    used = _used_messages()
    assert sorted(used - template) == [], "messages.pot is out of date: run pybabel extract"
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(template - set(translated)) == [], f"{locale}: untranslated or fuzzy"
    wrong = [msgid for msgid, text in translated.items() if placeholders(msgid) != placeholders(text)]
    assert wrong == [], f"{locale}: placeholders differ"
    with open(folder / "messages.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert {k: compiled.gettext(k) for k in template} == {k: translated[k] for k in template}


def _kiosk_tables() -> dict:
    """KIOSK_LANGUAGES, KIOSK_TEXT and KIOSK_MESSAGES: plain JSON in kiosk-messages.js."""
    source = (ROOT / "kiosk" / "static" / "kiosk-messages.js").read_text(encoding="utf-8")
    parts = re.split(r"^window\.(KIOSK_\w+) = ", source, flags=re.M)
    return {name: json.loads(body.strip().rstrip(";")) for name, body in zip(parts[1::2], parts[2::2])}


def test_the_kiosk_has_every_message_in_every_language():
    tables = _kiosk_tables()
    assert set(tables) == {"KIOSK_LANGUAGES", "KIOSK_TEXT", "KIOSK_MESSAGES"}
    # Japanese always comes first; every other language of the site is a second language.
    seconds = [language["code"] for language in tables["KIOSK_LANGUAGES"]]
    assert seconds[0] == "en" and sorted(seconds) == sorted(set(i18n.CODES) - {"ja"})
    codes = set(i18n.CODES)
    entries = [(f"text.{key}", value) for key, value in tables["KIOSK_TEXT"].items()]
    for key, message in tables["KIOSK_MESSAGES"].items():
        entries += [(f"{key}.title", message["title"]), (f"{key}.text", message["text"])]
    assert len(entries) >= 60
    for where, value in entries:
        assert set(value) == codes, where
        for code, text in value.items():
            assert text.strip(), (where, code)
            assert placeholders(text) == placeholders(value["en"]), (where, code)
    # The kiosk names every refusal the API can give it.
    assert {"too_early", "too_late", "wrong_day", "wrong_location", "cancelled", "unknown",
            "no_show", "reservation_only", "closed", "error"} <= set(tables["KIOSK_MESSAGES"])


# ---------------------------------------------------------------- the pages and mails

@pytest.mark.parametrize("code, stored, tag, heading", [row[:4] for row in LANGUAGES])
def test_the_booking_pages_speak_each_language(client, code, stored, tag, heading):
    response = client.get(f"/?lang={code}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'<html lang="{tag}">' in body
    assert heading in text_of(response)
    # The choice is remembered; places and procedures are named as the language names them.
    procedures = text_of(client.get("/book/honcho"))
    name = "マイナンバーカードの受け取り" if code in ("ja", "easy-ja") else "Picking up your My Number card"
    assert name in procedures
    # The picker names every language in itself and keeps the page and its query.
    picker = client.get("/book/honcho/card-pickup?month=2027-02").get_data(as_text=True)
    for language in i18n.LANGUAGES:
        link = (f'<a href="/book/honcho/card-pickup?month=2027-02&amp;lang={language.code}" '
                f'lang="{language.tag}" hreflang="{language.tag}"')
        assert link in picker, language.code
        assert f">{language.name}</a>" in picker
    assert picker.count('aria-current="true"') == 1


@pytest.mark.parametrize("value, expected", [
    ("zh", "zh-Hans"), ("zh_Hans", "zh-Hans"), ("ZH-hans", "zh-Hans"), ("pt", "pt-BR"),
    ("pt_BR", "pt-BR"), ("ez", "easy-ja"), ("ja-easy", "easy-ja"), ("ko", "ko"), ("vi", "vi"),
])
def test_lang_accepts_each_spelling(client, value, expected):
    response = client.get(f"/?lang={value}")
    tag = i18n.find_language(expected).tag
    assert f'<html lang="{tag}">' in response.get_data(as_text=True)
    assert f"lang={expected}" in response.get_data(as_text=True)  # the picker's own spelling
    # An unknown value changes nothing.
    assert f'<html lang="{tag}">' in client.get("/?lang=fr").get_data(as_text=True)


@pytest.mark.parametrize("code, tag, second", [(row[0], row[2], row[4]) for row in LANGUAGES])
def test_the_ticket_page_speaks_each_language(app, client, code, tag, second):
    token = kiosk_token(app)
    ticket = client.post("/api/v1/tickets", json={"location": "honcho", "service": "reissue"},
                         headers={"Authorization": f"Bearer {token}"})
    assert ticket.status_code == 201, ticket.get_data(as_text=True)
    page = client.get(f"/tickets/{ticket.get_json()['id']}?lang={code}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f'<html lang="{tag}">' in body
    text = text_of(page)
    assert "受付番号" in text and second in text  # Japanese first, then the resident's language
    language = i18n.find_language("en" if code == "ja" else code)
    assert f'class="second" lang="{language.tag}"' in body
    texts = json.loads(html.unescape(re.search(r'data-texts="([^"]+)"', body).group(1)))
    assert texts["second"]["heading"] == second and texts["ja"]["heading"] == "受付番号"
    assert texts["second"]["lang"] == language.tag
    # The kiosk's QR code carries the language it was chosen in.
    qr = client.get(f"/kiosk/qr.png?ticket={ticket.get_json()['id']}&lang={code}")
    assert qr.status_code == 200 and qr.mimetype == "image/png"


@pytest.mark.parametrize("code, stored, tag, subject, greeting, when",
                         [row[:3] + row[5:] for row in LANGUAGES])
def test_the_confirmation_mail_speaks_each_language(app, client, clock, code, stored, tag, subject,
                                                    greeting, when):
    created = book(client, language=stored)  # the API takes the stored 2-character code
    assert created.status_code == 201, created.get_data(as_text=True)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.language == stored
        email = notify.build_message(db.session, message, app.config, clock())
    assert subject in email["Subject"] and created.get_json()["code"] in email["Subject"]
    assert email["Content-Language"] == tag
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert greeting in body and when in body
    assert f"&lang={code}" in body  # the manage link opens the page in the same language
    place = "市役所 市民課" if code in ("ja", "easy-ja") else "City Hall, Citizens' Division"
    assert place in body


@pytest.mark.parametrize("code, stored", [(row[0], row[1]) for row in LANGUAGES
                                          if row[0] not in ("ja", "en")])
def test_a_booking_keeps_the_language_it_was_made_in(app, client, code, stored):
    response = book_form(client, lang=code, email=f"{stored}@example.jp")
    assert response.status_code == 303, text_of(response)[:300]
    reservation_code, token = manage_args(response.headers["Location"])
    with app.app_context():
        row = db.session.scalar(select(Reservation).where(Reservation.code == reservation_code))
        assert row.language == stored
        assert db.session.scalars(select(OutboxMessage)).one().language == stored
    confirmed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"token={token}&amp;lang={code}" in confirmed


def test_axe_finds_nothing_serious_in_the_new_languages(app, client, chromium, live_server):
    """The places page, the form (with its errors), the manage page and the ticket page in
    each language added to Japanese and English: valid lang attributes (html-lang-valid,
    valid-lang), contrast and names, with the language menu open; and, in larger text on a
    small phone, nothing wider than the screen."""
    server = live_server(app)
    code, token = manage_args(book_form(client).headers["Location"])
    ticket = client.post("/api/v1/tickets", json={"location": "honcho", "service": "reissue"},
                         headers={"Authorization": f"Bearer {kiosk_token(app)}"}).get_json()
    context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                   viewport={"width": 320, "height": 640})
    install_axe(context)
    page = context.new_page()
    found = {}
    try:
        page.goto(f"{server.url}/")
        page.evaluate("localStorage.setItem('textSize', 'large')")  # the harder case
        for language in i18n.LANGUAGES:
            if language.code in ("ja", "en"):  # test_resident_accessibility.py checks these
                continue
            for name, url in (("places", "/"), ("month", "/book/honcho/card-pickup"),
                              ("form", "/book/honcho/card-pickup/2027-01-14/1000"),
                              ("manage", f"/reservations/{code}?token={token}"),
                              ("ticket", f"/tickets/{ticket['id']}")):
                page.goto(f"{server.url}{url}{'&' if '?' in url else '?'}lang={language.code}")
                assert page.locator("html").get_attribute("lang") == language.tag
                if name == "form":
                    page.locator("#email").fill("not-an-address")
                    page.locator("button[type=submit]").click()
                    page.locator("#error-summary").wait_for()
                page.locator(".lang-menu > summary").click()
                violations = axe_violations(page)
                if violations:
                    found[f"{language.code} {name}"] = describe(violations)
                # Longer words than Japanese or English must still fit a phone.
                if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"):
                    found[f"{language.code} {name}"] = "wider than the screen"
    finally:
        context.close()
    assert found == {}

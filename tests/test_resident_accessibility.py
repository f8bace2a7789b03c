"""Every resident page (the ticket page included) in a real Chromium, in every language
of i18n.LANGUAGES: no serious or critical axe finding (contrast included), no text under 16 px, and the "larger text"
switch, remembered across pages, enlarges the type without breaking the layout on a
small phone."""
from __future__ import annotations

import pytest

from axe_helpers import axe_violations, describe, install_axe
from queue_app import i18n
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error, no CSP refusal)
from resident_helpers import book_form, form_url, manage_args
from test_booking_pages import fill_day

PHONE = {"width": 360, "height": 740}
SMALL_PHONE = {"width": 320, "height": 640}

# Every visible piece of text: its element's computed font size (px). Screen-reader-only
# text (clipped to 1 px) and closed menus are not on screen and are left out.
_SMALL_TEXT = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const element = walker.currentNode.parentElement;
    if (!text || !element.checkVisibility({visibilityProperty: true})) continue;
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    const size = parseFloat(getComputedStyle(element).fontSize);
    if (size < 16) found.push(`${element.tagName.toLowerCase()}.${element.className} ${size}px: ${text.slice(0, 40)}`);
  }
  return found;
}"""

_OVERFLOW = """() => {
  const page = document.documentElement;
  const out = [];
  if (page.scrollWidth > page.clientWidth) out.push(`page ${page.scrollWidth} > ${page.clientWidth}`);
  for (const heading of document.querySelectorAll("table.month th")) {
    if (heading.scrollWidth > heading.clientWidth + 1) out.push(`calendar heading ${heading.textContent}`);
  }
  for (const tag of document.querySelectorAll("table.month td > * > *")) {
    const cell = tag.closest("td").getBoundingClientRect(), box = tag.getBoundingClientRect();
    if (box.left < cell.left - 1 || box.right > cell.right + 1) out.push(`calendar cell ${tag.closest("td").dataset.date}: ${tag.className}`);
  }
  return out;
}"""


@pytest.fixture
def page(chromium):
    """A phone-sized page with axe installed (overrides conftest's ``page``)."""
    context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport=PHONE)
    install_axe(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def pages(app, live_server):
    """The server and every resident page (a phone-only reservation for the pages of one)."""
    server = live_server(app)
    code, token = manage_args(book_form(app.test_client(), email="", phone="090-1234-5678").headers["Location"])
    fill_day(app, "honcho", "2027-01-15")
    fill_day(app, "honcho", "2027-01-18", leave=3)
    urls = {
        "places": "/",
        "services": "/book/honcho",
        "month": "/book/honcho/card-pickup",
        "month (reservation-only days)": "/book/honcho/card-application",
        "day": "/book/honcho/card-pickup/2027-01-14",
        "day (today: past slots greyed)": "/book/honcho/card-pickup/2027-01-12",
        "day (fully booked)": "/book/honcho/card-pickup/2027-01-15",
        "form": form_url(hhmm="1000"),
        "confirmation": f"/reservations/{code}/confirmed?token={token}",
        "manage": f"/reservations/{code}?token={token}",
        "move": f"/reservations/{code}/move?token={token}",
        "cancel": f"/reservations/{code}/cancel?token={token}",
        "info": "/info",
        "not found": "/reservations/XXXX-XXXX?token=x",
        "ticket": f"/tickets/{_walk_in(app)}",
    }
    return server, urls


def _walk_in(app) -> str:
    from page_helpers import kiosk_token

    response = app.test_client().post("/api/v1/tickets", json={"location": "honcho", "service": "reissue"},
                                      headers={"Authorization": f"Bearer {kiosk_token(app)}"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def visit(page, server, url: str, lang: str, name: str) -> None:
    page.goto(f"{server.url}{url}{'&' if '?' in url else '?'}lang={lang}")
    if name == "form":  # the form as it looks with every kind of error shown
        page.locator("#name").fill("123456789012")
        page.locator("#email").fill("not-an-address")
        page.locator("#phone").fill("12")
        page.locator("button[type=submit]").click()
        page.locator("#error-summary").wait_for()


def test_axe_really_checks_our_pages(pages, page):
    """The helper works under the pages' CSP and reports what it should."""
    server, _urls = pages
    page.goto(server.url + "/")
    assert axe_violations(page) == []
    page.evaluate("""() => {
      const faint = document.createElement("p");
      faint.textContent = "faint";
      faint.style.color = "#aaa";
      document.querySelector("main").append(faint, document.createElement("img"));
    }""")
    assert {v["id"] for v in axe_violations(page)} == {"color-contrast", "image-alt"}


@pytest.mark.parametrize("lang", i18n.CODES)
def test_axe_finds_nothing_serious_on_any_resident_page(pages, page, lang):
    server, urls = pages
    found = {}
    for name, url in urls.items():
        visit(page, server, url, lang, name)
        violations = axe_violations(page)
        if violations:
            found[name] = describe(violations)
    assert found == {}, "\n".join(f"{name}:\n{text}" for name, text in found.items())


@pytest.mark.parametrize("lang", i18n.CODES)
def test_no_text_under_16_px(pages, page, lang):
    server, urls = pages
    found = {}
    for name, url in urls.items():
        visit(page, server, url, lang, name)
        small = page.evaluate(_SMALL_TEXT)
        if small:
            found[name] = small
    assert found == {}


def test_the_larger_text_switch_is_remembered_and_keeps_the_layout(pages, page):
    server, urls = pages
    page.set_viewport_size(SMALL_PHONE)
    page.goto(server.url + "/")
    switch = page.get_by_role("button", name="文字を大きく")
    assert switch.get_attribute("aria-pressed") == "false"
    root_size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    assert page.evaluate(root_size) == 16

    switch.click()
    assert switch.get_attribute("aria-pressed") == "true"
    assert page.evaluate(root_size) == 20
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)") == 30

    broken = {}
    for lang in ("ja", "en"):  # every page, in both languages, stays large and fits the screen
        for name, url in urls.items():
            visit(page, server, url, lang, name)
            assert page.evaluate(root_size) == 20, (lang, name)
            overflow = page.evaluate(_OVERFLOW)
            if overflow:
                broken[f"{lang} {name}"] = overflow
    assert broken == {}

    page.goto(server.url + "/?lang=ja")
    page.get_by_role("button", name="文字を大きく").click()
    assert page.evaluate(root_size) == 16
    page.reload()
    assert page.evaluate(root_size) == 16
    assert page.get_by_role("button", name="文字を大きく").get_attribute("aria-pressed") == "false"


def test_the_switch_is_named_in_english_too(pages, page):
    server, _urls = pages
    page.goto(server.url + "/info?lang=en")
    page.get_by_role("button", name="Larger text").click()
    page.goto(server.url + "/book/honcho?lang=en")
    assert page.get_by_role("button", name="Larger text").get_attribute("aria-pressed") == "true"

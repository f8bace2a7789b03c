"""The lobby display in real Chromium: a new call on screen within a second,
highlighted, chimed and spoken (Japanese, then English, on-device voices only); the
enable-sound overlay; the last good data kept through a server restart with a
"reconnecting" mark; WCAG AA contrast measured on the rendered page; no names."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.conftest import free_port
from tests.realtime_support import (ServerProcess, add_tickets, api, browser_stubs, call_next,
                                    counter_ids, reservation_ticket, staff_token, staffed_server)


@pytest.fixture
def lobby(make_app, live_server):
    return staffed_server(make_app, live_server)


def open_display(page, url: str, block_audio: bool = False, enable_sound: bool = True):
    """Open honcho's display on a 1920x1080 screen; as a lobby attendant would, click
    the enable-sound overlay if this browser shows it (unless ``enable_sound`` is off)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.add_init_script(browser_stubs(block_audio))
    page.goto(url + "/display/honcho")
    page.wait_for_selector("body.has-data", timeout=5000)
    if enable_sound and page.locator("#sound-overlay").is_visible():
        page.click("#enable-sound")
    return errors


def shows_now(page, number: str, timeout: float) -> None:
    page.wait_for_function("n => document.getElementById('now-number').textContent === n",
                           arg=number, timeout=timeout * 1000)


def test_a_new_call_is_on_screen_within_a_second_then_chimed_and_spoken(page, lobby):
    add_tickets(lobby.app, 3)
    errors = open_display(page, lobby.url)
    expect(page.locator("#sound-overlay")).to_be_hidden()
    expect(page.locator("#waiting-walk_in")).to_have_text("3")

    started = time.monotonic()
    ticket = call_next(lobby.url, lobby.token, lobby.counters["窓口2"])
    shows_now(page, ticket["number"], timeout=1.0)
    assert time.monotonic() - started < 1.0

    expect(page.locator("#now")).to_have_class(re.compile(r"\bis-new\b"))
    expect(page.locator("#now-counter")).to_contain_text("窓口2へお越しください")
    tile = page.locator('.counter-tile[data-counter="窓口2"]')
    expect(tile.locator(".counter-number")).to_have_text(ticket["number"])
    expect(tile).to_have_class(re.compile(r"\bis-new\b"))
    expect(page.locator("#recent li").first).to_contain_text(ticket["number"])
    expect(page.locator("#waiting-walk_in")).to_have_text("2")

    page.wait_for_function("() => window.__spoken.length >= 2", timeout=5000)
    spoken = page.evaluate("() => window.__spoken")
    number = ticket["number"].split("-")[1].lstrip("0")
    assert [s["lang"] for s in spoken] == ["ja-JP", "en-US"]
    assert [s["voice"] for s in spoken] == ["Local ja", "Local en"]  # never a cloud voice
    assert f"{number}番" in spoken[0]["text"] and "窓口2へお越しください" in spoken[0]["text"]
    assert f"Number W {number}" in spoken[1]["text"] and "counter 2" in spoken[1]["text"]
    assert page.evaluate("() => window.__audio.oscillators") == 2  # the two notes of the chime

    # A recall is said again.
    assert api(lobby.url, "POST", f"/tickets/{ticket['id']}/recall", lobby.token).status_code == 200
    page.wait_for_function("() => window.__spoken.length >= 4", timeout=5000)
    again = page.evaluate("() => window.__spoken.slice(2)")
    assert again[0]["text"].startswith("もう一度お呼びします") and again[1]["text"].startswith("Calling again")
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors


def test_sound_waits_for_a_click_on_the_overlay(page, lobby):
    add_tickets(lobby.app, 1)
    open_display(page, lobby.url, block_audio=True, enable_sound=False)
    overlay = page.locator("#sound-overlay")
    expect(overlay).to_be_visible()
    expect(page.locator("#enable-sound")).to_contain_text("音声を有効にする")
    expect(page.locator("#enable-sound")).to_contain_text("Click to enable sound")

    page.click("#enable-sound")
    expect(overlay).to_be_hidden()
    assert page.evaluate("() => window.__audio.resumed") >= 1
    ticket = call_next(lobby.url, lobby.token, lobby.counters["窓口1"])
    shows_now(page, ticket["number"], timeout=1.0)
    page.wait_for_function("() => window.__audio.oscillators === 2", timeout=3000)


def test_the_screen_shows_numbers_and_counters_only(page, lobby):
    ticket = reservation_ticket(lobby.app, lobby.url, name="山田 花子")
    open_display(page, lobby.url)
    called = call_next(lobby.url, lobby.token, lobby.counters["窓口1"])
    assert called["id"] == ticket["id"]
    shows_now(page, ticket["number"], timeout=1.0)
    expect(page.locator("#waiting-reservation")).to_have_text("0")
    html = page.content()
    assert "山田" not in html and "花子" not in html
    assert page.evaluate("() => window.__spoken.map(s => s.text).join(' ')").count("山田") == 0


def test_numbers_are_large_enough_to_read_from_ten_metres(page, lobby):
    add_tickets(lobby.app, 3)
    open_display(page, lobby.url)
    for counter in ("窓口1", "窓口2", "窓口3"):
        call_next(lobby.url, lobby.token, lobby.counters[counter])
    expect(page.locator('.counter-tile[data-counter="窓口3"] .counter-number')).to_have_text("W-903")
    sizes = page.evaluate("""() => ({
      now: parseFloat(getComputedStyle(document.getElementById('now-number')).fontSize),
      counters: [...document.querySelectorAll('.counter-number')].map(e => ({
        size: parseFloat(getComputedStyle(e).fontSize), fits: e.scrollWidth <= e.parentElement.clientWidth})),
    })""")
    # On a 1920x1080, 55-inch screen one pixel is 0.63 mm; a digit is ~0.72 em tall.
    # 40 mm letters read from 10 m (MLIT's signage guideline): >= 88 px of font.
    assert sizes["now"] * 0.72 * 0.63 >= 80
    assert all(c["size"] * 0.72 * 0.63 >= 40 and c["fits"] for c in sizes["counters"]), sizes


def _ratio(fg: tuple, bg: tuple) -> float:
    def luminance(rgb):
        def channel(c):
            c /= 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = (channel(c) for c in rgb[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


CONTRAST_JS = """selectors => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      if (!el.getClientRects().length || !el.textContent.trim()) continue;
      out.push({selector, fg: rgb(getComputedStyle(el).color).slice(0, 3), bg: background(el)});
    }
  }
  return out;
}"""

TEXT = [".place", ".place .en", ".clock-date", ".clock-time", ".board h2", ".board h2 .en",
        ".now-number", ".now-counter", ".counter-name", ".counter-name-en", ".counter-number",
        ".recent-number", ".recent-counter", ".recent-time", ".waiting-list dt", ".waiting-list dt .en",
        ".waiting-list dd", "#status", "#status span", ".overlay-button", ".overlay-button .en",
        ".overlay-note"]


def test_every_text_meets_wcag_aa_contrast(page, lobby):
    add_tickets(lobby.app, 3)
    open_display(page, lobby.url, block_audio=True, enable_sound=False)
    measured = page.evaluate(CONTRAST_JS, TEXT)  # the overlay, before the click
    page.click("#enable-sound")
    call_next(lobby.url, lobby.token, lobby.counters["窓口1"])
    page.wait_for_selector(".now.is-new")
    measured += page.evaluate(CONTRAST_JS, TEXT)  # a highlighted call and idle counters
    page.evaluate("() => { document.getElementById('status').hidden = false; }")
    measured += page.evaluate(CONTRAST_JS, ["#status", "#status span"])
    assert {m["selector"] for m in measured} >= set(TEXT) - {"#status span"}
    failing = [(m["selector"], round(_ratio(m["fg"], m["bg"]), 2)) for m in measured
               if _ratio(m["fg"], m["bg"]) < 4.5]
    assert not failing, failing


def test_an_unknown_place_has_no_display(lobby):
    import requests

    assert requests.get(lobby.url + "/display/nowhere", timeout=5).status_code == 404
    page = requests.get(lobby.url + "/display/honcho", timeout=5)
    assert page.status_code == 200 and "<script>" not in page.text and " style=" not in page.text


def test_the_last_data_stays_through_a_server_restart(page, make_app, clock):
    """Stop the server: the number stays, with the reconnecting mark. Start it again on
    the same port: the page reconnects by itself, catches up, and follows new calls."""
    app = make_app()
    add_tickets(app, 4)
    token, counters = staff_token(app), counter_ids(app)
    server = ServerProcess(free_port(), app.config["SQLALCHEMY_DATABASE_URI"], clock.now).start()
    try:
        open_display(page, server.url)
        first = call_next(server.url, token, counters["窓口1"])
        shows_now(page, first["number"], timeout=1.0)
        expect(page.locator("#status")).to_be_hidden()

        server.stop()
        expect(page.locator("#status")).to_be_visible(timeout=5000)
        expect(page.locator("#status")).to_contain_text("再接続中")
        expect(page.locator("#status")).to_contain_text("Reconnecting")
        expect(page.locator("#now-number")).to_have_text(first["number"])
        expect(page.locator('.counter-tile[data-counter="窓口1"] .counter-number')).to_have_text(first["number"])

        server.start()
        # A call made before the page is back arrives with the fresh snapshot.
        missed = call_next(server.url, token, counters["窓口2"])
        expect(page.locator("#status")).to_be_hidden(timeout=15000)
        shows_now(page, missed["number"], timeout=5.0)
        after = call_next(server.url, token, counters["窓口3"])
        # Follows new calls again (how fast is bench/display_fanout.py's to measure: on a
        # loaded CI machine the reconnected page may still be settling).
        shows_now(page, after["number"], timeout=5.0)
        expect(page.locator("#recent li")).to_have_count(3)
    finally:
        server.stop()


def test_a_gap_in_seq_makes_the_page_resync(page, lobby):
    """An event that never arrived (here: a seq bumped without its event) is noticed
    at the next one; the page asks for a snapshot and ends up with the true picture."""
    from sqlalchemy import select

    from queue_app.events import bump_seq
    from queue_app.extensions import db
    from queue_app.models import Location

    add_tickets(lobby.app, 2)
    open_display(page, lobby.url)
    page.evaluate("""() => {
      const socket = window.displayFeed.socket, emit = socket.emit.bind(socket);
      window.__emitted = [];
      socket.emit = (...args) => { window.__emitted.push(args[0]); return emit(...args); };
    }""")
    with lobby.app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        bump_seq(db.session, place.id)  # a change whose event is lost
        db.session.commit()
    ticket = call_next(lobby.url, lobby.token, lobby.counters["窓口1"])
    page.wait_for_function("() => window.__emitted.includes('resync')", timeout=3000)
    with lobby.app.app_context():
        seq = db.session.scalar(select(Location.seq).where(Location.slug == "honcho"))
    page.wait_for_function("s => window.displayFeed.seq === s && !window.displayFeed.buffer.length",
                           arg=seq, timeout=3000)
    shows_now(page, ticket["number"], timeout=1.0)
    expect(page.locator("#waiting-walk_in")).to_have_text("1")


WATCH_FEED = """() => {
  const socket = window.displayFeed.socket, emit = socket.emit.bind(socket);
  window.__emitted = [];
  window.__snapshots = 0;
  socket.emit = (...args) => { window.__emitted.push(args[0]); return emit(...args); };
  socket.on("snapshot", () => { window.__snapshots++; });
}"""


def test_the_screen_follows_the_lobby_from_events_alone(page, lobby):
    """A walk-in, a call, a finished ticket and a counter closed then opened: the screen
    shows each from its event, and the page never asks for a snapshot."""
    add_tickets(lobby.app, 1)
    open_display(page, lobby.url)
    expect(page.locator("#waiting-walk_in")).to_have_text("1")
    page.evaluate(WATCH_FEED)

    answer = api(lobby.url, "POST", "/tickets", lobby.token, json={"location": "honcho", "service": "reissue"})
    assert answer.status_code == 201, answer.text
    expect(page.locator("#waiting-walk_in")).to_have_text("2")

    ticket = call_next(lobby.url, lobby.token, lobby.counters["窓口1"])
    shows_now(page, ticket["number"], timeout=1.0)
    tile = page.locator('.counter-tile[data-counter="窓口1"]')
    expect(tile.locator(".counter-number")).to_have_text(ticket["number"])
    expect(page.locator("#waiting-walk_in")).to_have_text("1")

    assert api(lobby.url, "POST", f"/tickets/{ticket['id']}/complete", lobby.token).status_code == 200
    expect(tile.locator(".counter-number")).to_have_text("—")  # the counter is free again
    expect(tile).to_have_class(re.compile(r"\bis-idle\b"))
    expect(page.locator("#recent li").first).to_contain_text(ticket["number"])  # still listed

    closing = api(lobby.url, "POST", f"/counters/{lobby.counters['窓口3']}/close", lobby.token, json={})
    assert closing.status_code == 200, closing.text
    expect(page.locator(".counter-tile")).to_have_count(2)
    assert api(lobby.url, "POST", f"/counters/{lobby.counters['窓口3']}/open", lobby.token).status_code == 200
    expect(page.locator(".counter-tile")).to_have_count(3)

    time.sleep(2.0)  # longer than the old 0.3-1.5 s re-read after a `queue` event
    assert page.evaluate("() => window.__emitted") == []
    assert page.evaluate("() => window.__snapshots") == 0

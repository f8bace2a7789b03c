"""The live 窓口混雑状況 page in real Chromium on a phone-sized screen: it follows the
lobby from the place's events (a walk-in, a call) without a reload, and says 受付終了
when reception closes. Numbers and counts only."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from axe_helpers import axe_violations, describe, install_axe
from tests.realtime_support import api, call_next, staffed_server
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error on any page)


@pytest.fixture
def hall(make_app, live_server):
    return staffed_server(make_app, live_server)


def walk_in(hall):
    return api(hall.url, "POST", "/tickets", hall.token, json={"location": "honcho", "service": "reissue"})


def test_the_congestion_page_follows_the_lobby_live(page, hall, clock):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{hall.url}/status/honcho")
    card = page.locator(".status-card")
    expect(card.locator('[data-field="waiting"]')).to_have_text("0")
    expect(card.locator('[data-field="reception"]')).to_contain_text("受付中")
    expect(page.locator("#live")).to_have_attribute("data-live", "on")

    tickets = [walk_in(hall).json() for _ in range(4)]
    expect(card.locator('[data-field="waiting"]')).to_have_text("4")
    called = call_next(hall.url, hall.token, hall.counters["窓口1"])
    assert called["number"] == tickets[0]["number"]
    expect(card.locator('[data-field="serving"]')).to_have_text(called["number"])
    expect(card.locator('[data-field="waiting"]')).to_have_text("3")

    clock.set(2027, 1, 12, 16, 50)  # late in the day: the next walk-in is turned away
    for _ in range(20):
        if walk_in(hall).status_code == 409:
            break
    expect(card.locator('[data-field="reception"]')).to_contain_text("本日の受付は終了しました")
    expect(card.locator('[data-field="next"]')).to_contain_text("1/13 08:30")


def test_axe_finds_nothing_serious_on_the_congestion_pages(page, hall):
    install_axe(page.context)
    for path in ("/status", "/status/honcho"):
        page.goto(hall.url + path)
        serious = axe_violations(page)
        assert not serious, describe(serious)

"""The resident's phone page ``/tickets/{id}`` in real Chromium: the number, the live
place in the queue and the estimated wait, refreshed by the place's events, and an
unmistakable "your turn, counter N" with vibration and a spoken call."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.realtime_support import (api, browser_stubs, call_next, reservation_ticket,
                                    staffed_server)


@pytest.fixture
def hall(make_app, live_server):
    return staffed_server(make_app, live_server)


def walk_in(hall, service: str = "reissue") -> dict:
    answer = api(hall.url, "POST", "/tickets", hall.token, json={"location": "honcho", "service": service})
    assert answer.status_code == 201, answer.text
    return answer.json()


def open_ticket(page, hall, ticket_id: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.add_init_script(browser_stubs(block_audio=True))
    page.goto(f"{hall.url}/tickets/{ticket_id}")


def test_the_page_follows_the_queue_and_says_when_it_is_your_turn(page, hall):
    tickets = [walk_in(hall) for _ in range(3)]
    mine = tickets[2]
    open_ticket(page, hall, mine["id"])
    expect(page.locator("#ticket-number")).to_have_text(mine["number"])
    expect(page.locator("h1")).to_contain_text("受付番号")
    expect(page.locator("#ahead")).to_contain_text("2人")
    expect(page.locator("#ahead")).to_contain_text("2 people")
    expect(page.locator("#wait")).to_contain_text("まもなくお呼びします")  # three counters, idle
    expect(page.locator("#turn")).to_be_hidden()

    page.click("#alerts")  # the resident allows sound and vibration
    expect(page.locator("#alerts-on")).to_be_visible()
    before = page.evaluate("() => window.__vibrations.length")

    # Counters 1 and 2 call the two ahead: the page moves up without a reload.
    call_next(hall.url, hall.token, hall.counters["窓口1"])
    expect(page.locator("#ahead")).to_contain_text("1人")
    call_next(hall.url, hall.token, hall.counters["窓口2"])
    expect(page.locator("#ahead")).to_contain_text("0人")
    assert page.evaluate("() => window.__vibrations.length") == before  # not us yet

    ticket = call_next(hall.url, hall.token, hall.counters["窓口3"])
    assert ticket["id"] == mine["id"]
    turn = page.locator("#turn")
    expect(turn).to_be_visible(timeout=2000)
    expect(turn).to_contain_text("順番が来ました")
    expect(turn).to_contain_text("窓口3へお越しください")
    expect(turn).to_contain_text("Please go to Counter 3")
    assert page.evaluate("() => window.__vibrations.length") == before + 1
    page.wait_for_function("() => window.__spoken.length >= 2")
    spoken = page.evaluate("() => window.__spoken")
    assert [s["lang"] for s in spoken[:2]] == ["ja-JP", "en-US"] and "窓口3" in spoken[0]["text"]
    expect(page).to_have_title(re.compile("お呼び出し"))

    # A recall alerts again; serving and done end the alert.
    assert api(hall.url, "POST", f"/tickets/{mine['id']}/recall", hall.token).status_code == 200
    page.wait_for_function("n => window.__vibrations.length === n", arg=before + 2)
    assert api(hall.url, "POST", f"/tickets/{mine['id']}/start", hall.token).status_code == 200
    expect(turn).to_be_hidden()
    expect(page.locator("#state")).to_contain_text("窓口で手続き中です")
    assert api(hall.url, "POST", f"/tickets/{mine['id']}/complete", hall.token).status_code == 200
    expect(page.locator("#state")).to_contain_text("手続きは終了しました")
    assert page.evaluate("() => window.__vibrations.length") == before + 2


def test_a_call_missed_while_away_is_shown_when_the_page_comes_back(page, hall):
    mine = walk_in(hall)
    call_next(hall.url, hall.token, hall.counters["窓口1"])  # called before the page opened
    open_ticket(page, hall, mine["id"])
    expect(page.locator("#turn")).to_be_visible()
    expect(page.locator("#turn")).to_contain_text("窓口1へお越しください")


def test_no_personal_data_on_the_page(page, hall):
    ticket = reservation_ticket(hall.app, hall.url, name="佐藤 次郎")
    open_ticket(page, hall, ticket["id"])
    expect(page.locator("#ticket-number")).to_have_text(ticket["number"])
    expect(page.locator("#ahead")).to_contain_text("0人")
    assert "佐藤" not in page.content() and "次郎" not in page.content()


def test_an_unknown_ticket_is_not_found(hall):
    assert requests.get(hall.url + "/tickets/not-a-ticket", timeout=5).status_code == 404
    assert requests.get(hall.url + "/tickets/" + "x" * 200, timeout=5).status_code == 404


def test_the_page_follows_its_own_ticket_from_events_alone(page, hall):
    """Another walk-in (issued behind everyone) reads nothing; our call, start and
    completion are shown from their events, without reading the ticket again and
    without a snapshot."""
    mine = walk_in(hall)
    open_ticket(page, hall, mine["id"])
    expect(page.locator("#ahead")).to_contain_text("0人")
    page.wait_for_function("() => window.ticketFeed.seq !== null")
    page.evaluate("""() => {
      const socket = window.ticketFeed.socket, emit = socket.emit.bind(socket);
      const fetch = window.fetch.bind(window);
      window.__emitted = [];
      window.__reads = 0;
      socket.emit = (...args) => { window.__emitted.push(args[0]); return emit(...args); };
      window.fetch = (url, ...rest) => {
        if (String(url).includes("/api/v1/tickets/")) window.__reads++;
        return fetch(url, ...rest);
      };
    }""")

    seq = page.evaluate("() => window.ticketFeed.seq")
    walk_in(hall)
    page.wait_for_function("s => window.ticketFeed.seq === s + 1", arg=seq)
    ticket = call_next(hall.url, hall.token, hall.counters["窓口2"])
    assert ticket["id"] == mine["id"]
    expect(page.locator("#turn")).to_be_visible(timeout=2000)
    expect(page.locator("#turn")).to_contain_text("窓口2へお越しください")
    assert api(hall.url, "POST", f"/tickets/{mine['id']}/start", hall.token).status_code == 200
    expect(page.locator("#state")).to_contain_text("窓口で手続き中です")
    expect(page.locator("#turn")).to_be_hidden()
    assert api(hall.url, "POST", f"/tickets/{mine['id']}/complete", hall.token).status_code == 200
    expect(page.locator("#state")).to_contain_text("手続きは終了しました")
    page.wait_for_timeout(1000)  # past the 0.15-0.75 s spread of a read
    assert page.evaluate("() => window.__reads") == 0
    assert page.evaluate("() => window.__emitted") == []


def test_the_page_speaks_the_residents_language_under_the_japanese(page, hall):
    """?lang= (or the kiosk's choice in the QR code) picks the line under the Japanese;
    the call is spoken in Japanese, and in the resident's language where the phone has
    an on-device voice for it (this one has none for Korean: it stays silent)."""
    tickets = [walk_in(hall) for _ in range(2)]
    mine = tickets[1]
    page.set_viewport_size({"width": 390, "height": 844})
    page.add_init_script(browser_stubs(block_audio=True))
    page.goto(f"{hall.url}/tickets/{mine['id']}?lang=ko")
    assert page.locator("html").get_attribute("lang") == "ko"
    expect(page.locator("h1")).to_contain_text("受付番号")
    expect(page.locator("h1 .second")).to_have_text("접수 번호")
    expect(page.locator("h1 .second")).to_have_attribute("lang", "ko")
    expect(page.locator("#ahead")).to_contain_text("1人")
    expect(page.locator("#ahead")).to_contain_text("1명")
    expect(page.locator("#state")).to_contain_text("번호가 호출될 때까지 기다려 주십시오.")
    expect(page.locator("#live-second")).to_contain_text("업데이트")
    page.click("#alerts")

    call_next(hall.url, hall.token, hall.counters["窓口1"])
    expect(page.locator("#ahead")).to_contain_text("0명")
    ticket = call_next(hall.url, hall.token, hall.counters["窓口2"])
    assert ticket["id"] == mine["id"]
    turn = page.locator("#turn")
    expect(turn).to_be_visible(timeout=2000)
    expect(turn).to_contain_text("窓口2へお越しください")
    expect(turn).to_contain_text("2번 창구로 와 주십시오")
    expect(turn).to_contain_text("차례가 되었습니다")
    page.wait_for_function("() => window.__spoken.length >= 1")
    spoken = page.evaluate("() => window.__spoken")
    assert [s["lang"] for s in spoken] == ["ja-JP"] and "窓口2" in spoken[0]["text"]


def test_the_wait_is_a_range_a_resident_understands(page, hall):
    tickets = [walk_in(hall) for _ in range(4)]  # three counters: the fourth waits a service
    mine = tickets[3]
    assert mine["estimated_wait_minutes"] == 15 and mine["estimated_wait_range"] == [10, 20]
    open_ticket(page, hall, mine["id"])
    expect(page.locator("#wait")).to_contain_text("約10〜20分")
    expect(page.locator("#wait")).to_contain_text("about 10–20 min")

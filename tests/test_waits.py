"""Position and estimated wait of a ticket (services/waits.py): counters that may
call it, the work ahead, observed service times, and the same answer from
``GET /tickets/{id}`` as from the queue."""
from __future__ import annotations

import pytest
from queue_helpers import Desk, at, desk, reserve  # noqa: F401

from queue_app.services import waits


def view(desk, ticket_id: str) -> tuple[int | None, int | None]:
    body = desk.client.get(f"/api/v1/tickets/{ticket_id}").get_json()
    return body["position"], body["estimated_wait_minutes"]


def test_with_idle_counters_the_first_three_wait_nothing(desk):
    tickets = [desk.walk_in(advance=0) for _ in range(7)]
    assert [view(desk, t["id"]) for t in tickets] == [
        (1, 0), (2, 0), (3, 0), (4, 15), (5, 15), (6, 15), (7, 30)]


def test_a_closed_counter_slows_the_queue_and_none_open_means_no_estimate(desk):
    tickets = [desk.walk_in(advance=0) for _ in range(3)]
    desk.post(f"/counters/{desk.counters[2]}/close")
    assert [view(desk, t["id"])[1] for t in tickets] == [0, 0, 15]
    desk.post(f"/counters/{desk.counters[0]}/close")
    desk.post(f"/counters/{desk.counters[1]}/close")
    assert [view(desk, t["id"]) for t in tickets] == [(1, None), (2, None), (3, None)]


def test_observed_service_times_replace_the_default(make_app, clock, backend):
    desk = Desk(make_app(backend), clock)
    for minutes in (4, 8):  # two done tickets, from call to completion
        ticket = desk.walk_in()
        desk.called_number()
        desk.act(ticket["id"], "start")
        desk.clock.advance(minutes=minutes)
        desk.act(ticket["id"], "complete")
    # The newest weighs most (8 × 1, 4 × 0.95), the planned 15 minutes as three older
    # ones (× 0.95²): (8 + 3.8 + 0.9025 × 3 × 15) / (1 + 0.95 + 2.7075) = 11.25 minutes.
    waiting = [desk.walk_in(advance=0) for _ in range(7)]
    assert [view(desk, t["id"])[1] for t in waiting] == [0, 0, 0, 12, 12, 12, 23]
    # Another procedure has no data yet: 15 minutes. Played forward on three counters,
    # the tenth ticket is called when 窓口1 has served three reissues (3 × 11.25).
    other = [desk.walk_in("pin-reset", advance=0) for _ in range(3)]
    assert view(desk, other[0]["id"]) == (8, 23)
    assert view(desk, other[2]["id"]) == (10, 34)


def test_a_week_later_the_service_time_starts_from_the_past_weeks(make_app, clock, backend):
    """Two reissues done last Tuesday (4 and 8 minutes) make the prior 6 minutes, worth
    two completions; today's first (16 minutes) then counts more than that prior, as
    it would not against twenty."""
    desk = Desk(make_app(backend), clock)
    for minutes in (4, 8):
        ticket = desk.walk_in()
        desk.called_number()
        desk.act(ticket["id"], "start")
        desk.clock.advance(minutes=minutes)
        desk.act(ticket["id"], "complete")
    desk.clock.advance(days=7)
    desk.sign_in_again()
    first = [desk.walk_in(advance=0) for _ in range(5)]
    assert [view(desk, t["id"])[1] for t in first] == [0, 0, 0, 6, 6]
    for ticket in first:
        assert desk.act(ticket["id"], "cancel").status_code == 200
    ticket = desk.walk_in()
    desk.called_number()
    desk.clock.advance(minutes=16)
    desk.act(ticket["id"], "complete")
    # (16 + 0.95 × 2 × 6) / (1 + 0.95 × 2) = 9.45 minutes (with twenty: 6.5).
    waiting = [desk.walk_in(advance=0) for _ in range(7)]
    assert [view(desk, t["id"])[1] for t in waiting] == [0, 0, 0, 10, 10, 10, 19]


def test_the_past_weeks_weigh_as_many_completions_as_they_were_measured_from():
    """The planned duration is a guess worth three completions; the past weeks' mean
    is worth the completions it was measured from, at most twenty. Today's newest
    completion weighs 1, the prior 0.95 × its weight."""
    seconds = waits.Today._service_seconds
    assert seconds([], 900.0, None) == 900.0
    assert seconds([600.0], 900.0, None) == pytest.approx((600 + 0.95 * 3 * 900) / (1 + 0.95 * 3))
    assert seconds([900.0], 900.0, (600.0, 2)) == pytest.approx((900 + 0.95 * 2 * 600) / (1 + 0.95 * 2))
    assert seconds([900.0], 900.0, (600.0, 500)) == pytest.approx((900 + 0.95 * 20 * 600) / (1 + 0.95 * 20))


def test_what_is_left_at_busy_counters_counts(desk):
    desk.set_counter_services(1, ["card-application"])
    desk.set_counter_services(2, ["card-application"])
    serving = desk.walk_in()
    desk.called_number(0)
    desk.act(serving["id"], "start")
    desk.clock.advance(minutes=5)
    waiting = desk.walk_in(advance=0)
    # One counter serves reissue, its resident has 10 of 15 minutes left.
    assert view(desk, waiting["id"]) == (1, 10)
    desk.clock.advance(minutes=20)  # running late: the counter may free up any moment
    assert view(desk, waiting["id"]) == (1, 0)


def test_only_tickets_competing_for_the_same_counters_are_ahead(desk):
    desk.set_counter_services(0, ["reissue"])
    desk.set_counter_services(1, ["reissue"])
    desk.set_counter_services(2, ["pin-reset"])
    for _ in range(4):
        desk.walk_in("reissue", advance=0)
    pin = desk.walk_in("pin-reset", advance=0)
    assert view(desk, pin["id"]) == (1, 0)
    last_reissue = desk.walk_in("reissue", advance=0)
    assert view(desk, last_reissue["id"]) == (5, 30)


def test_a_ticket_sent_to_one_counter_waits_for_that_counter(desk):
    desk.set_counter_services(0, ["pin-reset"])
    first = desk.walk_in("pin-reset")
    second = desk.walk_in("reissue")
    third = desk.walk_in("pin-reset")
    desk.act(first["id"], "transfer", {"counter": desk.counters[0]})
    desk.act(third["id"], "transfer", {"counter": desk.counters[0]})
    # W-003 waits behind W-001 (same counter), not behind W-002 (窓口1 does not serve it).
    assert view(desk, third["id"]) == (2, 15)
    assert view(desk, second["id"]) == (1, 0)
    # An untargeted ticket that 窓口1 could call is ahead, but 窓口2 calls it: no longer wait.
    desk.set_counter_services(0, ["pin-reset", "reissue"])
    assert view(desk, third["id"]) == (3, 15)


def test_called_and_finished_tickets(desk):
    ticket = desk.walk_in()
    desk.called_number()
    assert view(desk, ticket["id"]) == (0, 0)
    desk.act(ticket["id"], "start")
    assert view(desk, ticket["id"]) == (0, 0)
    desk.act(ticket["id"], "complete")
    assert view(desk, ticket["id"]) == (None, None)


def test_the_queue_and_the_ticket_agree(desk):
    desk.set_counter_services(2, ["reissue", "pin-reset"])
    desk.clock.set(2027, 1, 12, 9, 50)
    tickets = [desk.walk_in("reissue"), desk.check_in(at(10, 0)), desk.walk_in("pin-reset"),
               desk.walk_in("info-change"), desk.check_in(at(10, 15)), desk.walk_in("reissue")]
    desk.act(tickets[3]["id"], "prioritise", {"reason": "急ぎ"})
    desk.walk_in("reissue")
    # 窓口3 serves neither the prioritised info-change nor pickups: it takes W-001.
    assert desk.called_number(2) == "W-001"
    queue = desk.get("/locations/honcho/queue").get_json()["waiting"]
    assert [t["number"] for t in queue] == ["W-003", "R-001", "R-002", "W-002", "W-004", "W-005"]
    for listed in queue:
        assert (listed["position"], listed["estimated_wait_minutes"]) == view(desk, listed["id"])


def test_a_fault_in_the_estimate_never_fails_the_ticket(desk, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug in the play")

    monkeypatch.setattr("queue_app.services.waits.play", broken)
    ticket = desk.walk_in()
    assert ticket["number"] == "W-001"
    assert (ticket["estimated_wait_minutes"], ticket["estimated_wait_range"]) == (None, None)
    assert desk.get("/locations/honcho/queue").status_code == 200
    assert "the wait estimate failed" in caplog.text


def test_a_check_in_is_told_what_its_ticket_says_afterwards(desk):
    """The check-in's estimate is played from the day as read before its writes: the
    reservation checking in is not counted as a resident still to come ahead of itself,
    so the kiosk's answer and the ticket's page agree."""
    desk.clock.set(2027, 1, 12, 9, 50)
    for counter in range(len(desk.counters)):
        desk.walk_in("card-pickup")
        desk.call(counter)  # every counter busy: the check-in waits for the first free
    for start in (at(10, 15), at(10, 30)):
        reserve(desk.app, start)  # booked and still to come
    ticket = desk.check_in(at(10, 0), advance=8)  # 9:58, after its own expected arrival
    told = (ticket["position"], ticket["estimated_wait_minutes"])
    assert told[1] is not None
    assert told == view(desk, ticket["id"])
    assert ticket["estimated_wait_range"] == desk.get(f"/tickets/{ticket['id']}").get_json()["estimated_wait_range"]

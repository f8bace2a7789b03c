"""The end of the day (issue 14): 受付終了 when a new walk-in could no longer be called
before closing, staff's override, reservations never cut off; counters that say when
they are back and the place's usual day, both read by the estimate; counter-hours."""
from __future__ import annotations

from sqlalchemy import func, select

from queue_app import jobs
from queue_app.extensions import db
from queue_app.models import AuditEntry, CounterSession, TurnedAway
from queue_helpers import Desk, at, audit_actions, bearer, make_staff, reserve  # noqa: F401
from queue_helpers import desk  # noqa: F401
from realtime_support import snapshot_now

WALK_IN = {"location": "honcho", "service": "reissue"}


def _walk_ins_until_refused(desk, limit: int = 40) -> tuple[list[dict], dict]:
    """Walk-ins from the kiosk at the same instant until reception closes: the
    accepted tickets and the refusal."""
    accepted = []
    for _ in range(limit):
        response = desk.post("/tickets", WALK_IN, desk.kiosk)
        if response.status_code != 201:
            assert response.status_code == 409, response.get_json()
            return accepted, response.get_json()
        accepted.append(response.get_json())
    raise AssertionError(f"reception never closed after {limit} walk-ins")


def _turned_away(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(TurnedAway))


def test_late_in_the_day_reception_closes_and_says_when_it_opens_again(desk):
    desk.clock.now = at(16, 20)  # the counters close at 17:15; the cut-off is 15 minutes
    accepted, refusal = _walk_ins_until_refused(desk)

    assert refusal["code"] == "reception_closed"
    assert refusal["next_opening"] == "2027-01-13T08:30:00+09:00"  # Wednesday morning
    assert 6 <= len(accepted) <= 15, len(accepted)  # three counters, 15 minutes each
    last = accepted[-1]
    assert last["estimated_wait_minutes"] <= 55 - 15  # called before the cut-off
    assert last["estimated_wait_range"][0] <= last["estimated_wait_minutes"] <= last["estimated_wait_range"][1]
    assert _turned_away(desk.app) == 1

    offer = desk.get("/locations/honcho/walk-in-services", desk.kiosk).get_json()
    assert (offer["reason"], offer["services"]) == ("reception_closed", [])
    assert offer["next_opening"] == "2027-01-13T08:30:00+09:00"
    queue = desk.get("/locations/honcho/queue").get_json()
    assert (queue["reception"], queue["reception_reason"]) == ("closed", "reception_closed")
    snapshot = snapshot_now(desk.app)
    assert (snapshot["reception"], snapshot["reception_reason"]) == ("closed", "reception_closed")
    assert snapshot["next_opening"] == "2027-01-13T08:30:00+09:00"


def test_staff_may_override_the_cut_off_and_a_kiosk_may_not(desk):
    desk.clock.now = at(16, 20)
    accepted, _ = _walk_ins_until_refused(desk)

    kiosk = desk.post("/tickets", {**WALK_IN, "override": True}, desk.kiosk)
    assert kiosk.status_code == 403 and kiosk.get_json()["code"] == "forbidden"
    staff = desk.post("/tickets", {**WALK_IN, "override": True})
    assert staff.status_code == 201, staff.get_json()
    [entry] = audit_actions(desk.app, staff.get_json()["id"])
    assert entry.action == "ticket.issue" and entry.detail["override"] is True
    without = desk.post("/tickets", WALK_IN)  # staff without override are refused too
    assert without.status_code == 409 and without.get_json()["code"] == "reception_closed"
    assert _turned_away(desk.app) == 2


def test_reservations_are_never_cut_off(desk):
    booked = reserve(desk.app, at(16, 45))
    desk.clock.now = at(16, 20)
    _walk_ins_until_refused(desk)
    desk.clock.now = at(16, 40)
    response = desk.post("/check-ins", {"payload": booked["payload"]}, desk.kiosk)
    assert response.status_code == 201, response.get_json()


def test_the_cut_off_margin_is_the_places_own(desk):
    """With no margin, reception stays open until a walk-in could not be called before
    closing at all: more walk-ins are taken than with the default 15 minutes."""
    _, admin = make_staff(desk.app, role="admin")
    desk.clock.now = at(16, 20)
    default = len(_walk_ins_until_refused(desk)[0])
    usual = desk.get("/locations/honcho/usual-day").get_json()
    response = desk.client.put("/api/v1/locations/honcho/usual-day",
                               json={"hours": usual["hours"], "cutoff_minutes": 0}, headers=bearer(admin))
    assert response.status_code == 200 and response.get_json()["cutoff_minutes"] == 0
    more = len(_walk_ins_until_refused(desk)[0])
    # Three counters call the nine by 16:50; without a margin one more round of three is
    # let in, called at 17:05, still before 17:15.
    assert (default, more) == (9, 3)


def test_in_the_morning_a_long_queue_does_not_close_reception(desk):
    desk.clock.now = at(9, 0)
    for _ in range(25):
        assert desk.post("/tickets", WALK_IN, desk.kiosk).status_code == 201
    assert _turned_away(desk.app) == 0


def test_nobody_is_refused_on_no_evidence_when_no_counter_is_open(desk):
    desk.clock.now = at(16, 50)
    for counter in desk.counters:
        assert desk.post(f"/counters/{counter}/close").status_code == 200
    # No counter will call it, so there is no estimate: the kiosk still gives a number.
    response = desk.post("/tickets", WALK_IN, desk.kiosk)
    assert response.status_code == 201 and response.get_json()["estimated_wait_minutes"] is None


# ---------------------------------------------------------------- counters and the usual day

def test_counters_closed_for_lunch_say_when_they_are_back_and_the_estimate_waits_for_them(desk):
    desk.clock.now = at(12, 0)
    for counter in desk.counters:
        response = desk.post(f"/counters/{counter}/close", {"until": "2027-01-12T13:00:00+09:00"})
        assert response.status_code == 200 and response.get_json()["until"] == "2027-01-12T13:00:00+09:00"
    ticket = desk.walk_in(advance=0)
    assert ticket["estimated_wait_minutes"] == 60  # called when the first clerk is back
    snapshot = snapshot_now(desk.app)
    assert snapshot["counters"][0] == {"name": "窓口1", "open": False, "until": "2027-01-12T13:00:00+09:00"}
    [entry] = [e for e in audit_actions(desk.app) if e.action == "counter.close"][:1]
    assert entry.detail["until"] == "2027-01-12T13:00:00+09:00"


def test_the_usual_day_is_read_by_the_estimate(desk):
    admin_id, admin = make_staff(desk.app, role="admin")
    desk.clock.now = at(11, 0)
    tickets = [desk.walk_in(advance=0) for _ in range(9)]
    before = tickets[-1]["estimated_wait_minutes"]
    # From 11:00 only one counter is staffed (the others go to a meeting): the ninth
    # walk-in, served at three counters in 45 minutes, now waits far longer.
    hours = [{"hour": 8, "counters": 3}, {"hour": 11, "counters": 1}, {"hour": 14, "counters": 3}]
    response = desk.client.put("/api/v1/locations/honcho/usual-day", json={"hours": hours},
                               headers=bearer(admin))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"location": "honcho", "hours": hours, "cutoff_minutes": 15}
    after = desk.client.get(f"/api/v1/tickets/{tickets[-1]['id']}").get_json()["estimated_wait_minutes"]
    assert before == 30 and after == 120, (before, after)
    with desk.app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "location.usual_day"))
        assert entry.actor == f"user:{admin_id}"
        assert entry.detail == {"hours": {"8": 3, "11": 1, "14": 3}}


def test_only_an_administrator_changes_the_usual_day_and_bad_hours_change_nothing(desk):
    _, admin = make_staff(desk.app, role="admin")
    usual = desk.get("/locations/honcho/usual-day").get_json()
    assert usual["hours"][:2] == [{"hour": 8, "counters": 3}, {"hour": 12, "counters": 2}]
    put = "/api/v1/locations/honcho/usual-day"
    staff = desk.client.put(put, json={"hours": []}, headers=bearer(desk.staff))
    assert staff.status_code == 403
    for bad in ({"hours": [{"hour": 25, "counters": 1}]}, {"hours": [{"hour": 9, "counters": -1}]},
                {"hours": [{"hour": 9, "counters": 1}, {"hour": 9, "counters": 2}]}, {"hours": [{"hour": 9}]},
                {"hours": [], "cutoff_minutes": 600}):
        response = desk.client.put(put, json=bad, headers=bearer(admin))
        assert response.status_code == 422 and response.get_json()["code"] == "invalid", bad
    assert desk.client.put("/api/v1/locations/atlantis/usual-day", json={"hours": []},
                           headers=bearer(admin)).status_code == 404
    assert desk.get("/locations/honcho/usual-day").get_json() == usual


# ---------------------------------------------------------------- counter-hours

def _sessions(desk) -> list[tuple]:
    with desk.app.app_context():
        return [(s.counter_id, s.business_date.isoformat(), s.opened_at.strftime("%d %H:%M"),
                 s.closed_at.strftime("%d %H:%M") if s.closed_at else None)
                for s in db.session.scalars(select(CounterSession).order_by(CounterSession.id))
                if s.counter_id in desk.counters]


def test_every_opening_and_closing_is_kept_as_counter_hours_cut_at_closing_time(desk):
    first = desk.counters[0]
    desk.clock.now = at(10, 0)
    with desk.app.app_context():  # the counters were open before today: counted from 08:30
        jobs.roll_counter_hours()
    assert len(_sessions(desk)) == 3
    desk.post(f"/counters/{first}/close", {"until": "2027-01-12T13:00:00+09:00"})
    desk.clock.now = at(13, 0)
    desk.post(f"/counters/{first}/open")
    mine = [s for s in _sessions(desk) if s[0] == first]
    assert mine == [(first, "2027-01-12", "12 08:30", "12 10:00"), (first, "2027-01-12", "12 13:00", None)]

    desk.clock.now = at(9, 0, day=13)  # the next morning, after the 08:30 opening
    with desk.app.app_context():
        assert jobs.roll_counter_hours() == {"closed": 4, "started": 4}  # and awara's one
        assert jobs.roll_counter_hours() == {"closed": 0, "started": 0}  # idempotent
    mine = [s for s in _sessions(desk) if s[0] == first]
    assert mine[1:] == [(first, "2027-01-12", "12 13:00", "12 17:15"),
                        (first, "2027-01-13", "13 08:30", None)]


def test_closing_says_a_time_before_closing_and_closing_twice_says_so(desk):
    counter = desk.counters[0]
    desk.clock.now = at(12, 0)
    for bad in ("2027-01-12T11:00:00+09:00", "2027-01-12T18:00:00+09:00", "2027-01-13T09:00:00+09:00"):
        response = desk.post(f"/counters/{counter}/close", {"until": bad})
        assert response.status_code == 422 and "until" in response.get_json()["errors"], bad
    assert desk.get("/locations/honcho/counters").get_json()[0]["open"] is True  # nothing changed
    assert desk.post(f"/counters/{counter}/close", {"until": "2027-01-12T13:00:00+09:00"}).status_code == 200
    again = desk.post(f"/counters/{counter}/close", {"until": "2027-01-12T13:00:00+09:00"})
    assert again.status_code == 409 and again.get_json()["code"] == "counter_closed"
    later = desk.post(f"/counters/{counter}/close", {"until": "2027-01-12T13:30:00+09:00"})
    assert later.status_code == 200 and later.get_json()["until"] == "2027-01-12T13:30:00+09:00"
    closes = [e for e in audit_actions(desk.app) if e.action == "counter.close"]
    assert [e.detail["until"] for e in closes] == ["2027-01-12T13:00:00+09:00", "2027-01-12T13:30:00+09:00"]

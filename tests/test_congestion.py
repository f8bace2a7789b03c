"""The public congestion (窓口混雑状況) and forecast (混雑予想): what a resident sees
before leaving home, nothing personal, and a forecast that follows the history."""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import BAND_WALK_IN, Location, Service, Ticket
from queue_helpers import at, desk, reserve  # noqa: F401

WALK_IN = {"location": "honcho", "service": "reissue"}


def _status(desk) -> dict:
    response = desk.client.get("/api/v1/locations/honcho/status")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=5"
    return response.get_json()


def test_the_status_says_who_waits_how_long_and_the_numbers_at_the_counters(desk):
    reserve(desk.app, at(10, 30), name="山田 花子")
    quiet = _status(desk)
    assert quiet == {"location": "honcho", "open": True, "reception": "open", "reception_reason": None,
                     "next_opening": None, "waiting": 0, "estimated_wait_minutes": 0, "wait_bucket": "none",
                     "serving": [], "updated_at": "2027-01-12T10:00:00+09:00"}
    tickets = [desk.walk_in(advance=0) for _ in range(8)]
    first = desk.call(0).get_json()["ticket"]
    busy = _status(desk)
    assert busy["waiting"] == 7 and busy["serving"] == [first["number"]] == [tickets[0]["number"]]
    # Eight ahead at three counters (one busy): a ninth walk-in is called in about 45 minutes.
    assert 40 <= busy["estimated_wait_minutes"] <= 50 and busy["wait_bucket"] == "60"
    assert "山田" not in desk.client.get("/api/v1/locations/honcho/status").get_data(as_text=True)


def test_after_closing_time_the_status_says_when_reception_opens(desk):
    desk.clock.now = at(18, 0)
    status = _status(desk)
    assert (status["open"], status["reception"], status["reception_reason"]) == (False, "closed", "closed")
    assert status["next_opening"] == "2027-01-13T08:30:00+09:00"
    assert status["estimated_wait_minutes"] is None and status["wait_bucket"] is None
    assert desk.client.get("/api/v1/locations/atlantis/status").status_code == 404


def _history(app, hours: dict[int, int], weeks: int = 8) -> None:
    """Walk-ins on each of the last ``weeks`` Tuesdays: ``hours`` {hour: how many}."""
    with app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        procedure = db.session.scalar(select(Service).where(Service.slug == "reissue"))
        for week in range(1, weeks + 1):
            day = at(0, 0) - timedelta(weeks=week)
            for hour, count in hours.items():
                for i in range(count):
                    when = day.replace(hour=hour, minute=i * 4)
                    db.session.add(Ticket(
                        id=secrets.token_urlsafe(16), location=place, service=procedure,
                        business_date=day.date(), number=f"W-{hour:02d}{i:02d}", kind="walk_in", status="done",
                        priority="normal", band=BAND_WALK_IN, order_at=when, issued_at=when, recall_count=0))
        db.session.commit()


def _levels(desk, day: str, days: int = 1) -> dict[str, str]:
    response = desk.client.get(f"/api/v1/locations/honcho/forecast?from={day}&days={days}")
    assert response.status_code == 200, response.get_json()
    [entry] = response.get_json()[:1]
    return {h["start"][11:16]: h["level"] for h in entry["hours"]}


def test_the_forecast_follows_the_same_weekday_and_hour_of_past_weeks(desk):
    # Three counters serve 12 an hour: 12 is busy, 7 normal, 4 quiet.
    _history(desk.app, {9: 7, 10: 12, 11: 4})
    tuesday = _levels(desk, "2027-01-19")
    assert (tuesday["09:00"], tuesday["10:00"], tuesday["11:00"], tuesday["14:00"]) == (
        "normal", "busy", "quiet", "quiet")
    assert tuesday["08:30"] == "quiet" and list(tuesday)[0] == "08:30"  # the first band starts at opening
    wednesday = _levels(desk, "2027-01-20")  # no history on Wednesdays
    assert set(wednesday.values()) == {"quiet"}
    # Lunch: two counters serve 8 an hour, so 8 walk-ins at noon are busy.
    _history(desk.app, {12: 8})
    assert _levels(desk, "2027-01-19")["12:00"] == "busy"


def test_reservations_already_booked_make_an_hour_busier(desk):
    before = _levels(desk, "2027-01-14")["14:00"]
    for minute in (0, 15, 30, 45):
        for _ in range(2):  # two counters take reservations: every seat of the hour
            reserve(desk.app, at(14, minute, day=14), service="cert-renewal")
    assert (before, _levels(desk, "2027-01-14")["14:00"]) == ("quiet", "normal")  # 8 of 12


def test_closed_days_have_no_hours_and_bad_requests_are_refused(desk):
    response = desk.client.get("/api/v1/locations/honcho/forecast?from=2027-01-16&days=3")
    days = response.get_json()
    assert [d["date"] for d in days] == ["2027-01-16", "2027-01-17", "2027-01-18"]
    assert days[0]["hours"] == [] and days[2]["hours"]  # Saturday closed, Monday open
    assert len(desk.client.get("/api/v1/locations/honcho/forecast").get_json()) == 30
    for query in ("days=0", "days=61", "from=2026-01-01", "from=2027-13-01", "from=2030-01-01"):
        bad = desk.client.get(f"/api/v1/locations/honcho/forecast?{query}")
        assert bad.status_code == 422 and bad.get_json()["code"] == "invalid", query
    assert desk.client.get("/api/v1/locations/atlantis/forecast").status_code == 404


def test_the_day_page_of_the_booking_site_shows_the_forecast(desk):
    _history(desk.app, {10: 12})
    page = desk.client.get("/book/honcho/card-pickup/2027-01-19?lang=ja").get_data(as_text=True)
    assert "混雑予想" in page
    assert 'class="busy busy-busy" data-start="2027-01-19T10:00:00+09:00"' in page


def test_the_status_pages_are_whole_without_javascript(desk):
    desk.walk_in(advance=0)
    page = desk.client.get("/status/honcho").get_data(as_text=True)
    assert "受付中" in page and 'data-field="waiting">1<' in page and "混雑予想" in page
    assert "過去8週間" in page  # how the forecast is computed, in one sentence
    every = desk.client.get("/status").get_data(as_text=True)
    assert "市役所 市民課" in every and "芦原分室" in every
    assert desk.client.get("/status/atlantis").status_code == 404

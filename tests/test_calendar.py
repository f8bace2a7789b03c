"""The calendar rules of DOMAIN.md, each checked on a real date."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from queue_app.config import TOKYO
from queue_app.extensions import db
from queue_app.models import Closure, Location, Service
from queue_app.services import calendar


def _day(app, slug: str, day: date):
    with app.app_context():
        location = db.session.scalar(select(Location).where(Location.slug == slug))
        return calendar.get_day(db.session, location, day)


def _slots(app, slug: str, service_slug: str, day: date):
    with app.app_context():
        location = db.session.scalar(select(Location).where(Location.slug == slug))
        service = db.session.scalar(select(Service).where(Service.slug == service_slug))
        return calendar.get_day(db.session, location, day).slot_starts(service)


def test_an_ordinary_weekday_opens_0830_to_1715_with_slots_0900_to_1645(app):
    day = _day(app, "honcho", date(2027, 1, 12))
    assert day.open and not day.reservation_only
    regular = day.windows[0]
    assert (regular.starts.time().isoformat(), regular.ends.time().isoformat()) == ("08:30:00", "17:15:00")
    slots = _slots(app, "honcho", "card-pickup", date(2027, 1, 12))
    assert slots[0].isoformat() == "2027-01-12T09:00:00+09:00"
    assert slots[-1].isoformat() == "2027-01-12T16:45:00+09:00"
    assert len(slots) == 32


@pytest.mark.parametrize("day, reason", [
    (date(2027, 2, 11), "national_holiday"),  # 建国記念の日 (Thursday)
    (date(2027, 1, 11), "national_holiday"),  # 成人の日 (second Monday of January)
    (date(2027, 3, 22), "national_holiday"),  # 振替休日: 春分の日 fell on Sunday 21 March
    (date(2026, 12, 29), "new_year"),
    (date(2026, 12, 31), "new_year"),
    (date(2027, 1, 3), "new_year"),
    (date(2027, 1, 16), "no_opening_hours"),  # a Saturday
    (date(2027, 1, 17), "no_opening_hours"),  # the third Sunday: no holiday window
])
def test_closed_days(app, day, reason):
    result = _day(app, "honcho", day)
    assert not result.open
    assert result.closed_reason == reason
    assert _slots(app, "honcho", "card-pickup", day) == []


def test_the_day_after_the_new_year_closure_is_open(app):
    assert _day(app, "honcho", date(2027, 1, 4)).open
    assert _day(app, "honcho", date(2026, 12, 28)).open


def test_the_holiday_window_opens_on_the_2nd_and_4th_sunday_reservation_only(app):
    for sunday in (date(2027, 2, 14), date(2027, 2, 28)):
        day = _day(app, "honcho", sunday)
        assert day.open and day.reservation_only
        assert [w.kind for w in day.windows] == ["holiday"]
        assert not day.windows[0].walk_in
    slots = _slots(app, "honcho", "card-pickup", date(2027, 2, 14))
    assert [s.strftime("%H:%M") for s in (slots[0], slots[-1])] == ["09:00", "11:45"]
    assert len(slots) == 12
    # Card application is walk-in on weekdays but reservable on the holiday window.
    assert len(_slots(app, "honcho", "card-application", date(2027, 2, 14))) == 12
    assert _slots(app, "honcho", "card-application", date(2027, 2, 15)) == []
    # Procedures the window does not list cannot be booked that day.
    assert _slots(app, "honcho", "cert-renewal", date(2027, 2, 14)) == []


@pytest.mark.parametrize("slug, service_slug, day", [
    ("honcho", "card-pickup", date(2027, 1, 12)),  # a weekday
    ("honcho", "card-application", date(2027, 1, 14)),  # Thursday: the extended window too
    ("honcho", "card-application", date(2027, 2, 14)),  # the holiday window
    ("honcho", "cert-renewal", date(2027, 2, 14)),  # not in the holiday window
    ("honcho", "card-pickup", date(2027, 1, 1)),  # closed
])
def test_a_booking_start_is_checked_exactly_as_the_listed_slots(app, slug, service_slug, day):
    """``is_slot_start`` (what a booking asks) agrees with ``slot_starts`` (what the
    availability lists) at every minute of the day."""
    with app.app_context():
        location = db.session.scalar(select(Location).where(Location.slug == slug))
        service = db.session.scalar(select(Service).where(Service.slug == service_slug))
        plan = calendar.get_day(db.session, location, day)
        listed = set(plan.slot_starts(service))
        midnight = calendar.at(day, time(0, 0))
        minutes = [midnight + timedelta(minutes=m) for m in range(24 * 60)]
        assert {m for m in minutes if plan.is_slot_start(service, m)} == listed
        assert not plan.is_slot_start(service, midnight + timedelta(hours=9, seconds=30))


def test_a_first_sunday_and_the_branch_office_have_no_holiday_window(app):
    assert not _day(app, "honcho", date(2027, 2, 7)).open
    assert not _day(app, "awara", date(2027, 2, 14)).open


def test_the_extended_window_is_thursday_evening_at_honcho_only(app):
    thursday = _day(app, "honcho", date(2027, 1, 14))
    assert [w.kind for w in thursday.windows] == ["regular", "extended"]
    extended = thursday.windows[1]
    assert (extended.starts.strftime("%H:%M"), extended.ends.strftime("%H:%M")) == ("17:15", "19:00")
    assert extended.walk_in and extended.slots_from is None  # applications, not bookings
    with app.app_context():
        application = db.session.scalar(select(Service).where(Service.slug == "card-application"))
        pickup = db.session.scalar(select(Service).where(Service.slug == "card-pickup"))
        assert extended.offers(application) and not extended.offers(pickup)
    assert thursday.window_at(datetime(2027, 1, 14, 18, 0, tzinfo=TOKYO)) is extended
    assert _day(app, "honcho", date(2027, 1, 13)).window_at(datetime(2027, 1, 13, 18, 0, tzinfo=TOKYO)) is None
    assert [w.kind for w in _day(app, "awara", date(2027, 1, 14)).windows] == ["regular"]


def test_an_extra_closure_closes_one_place_or_all(app):
    with app.app_context():
        honcho = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        db.session.add(Closure(location_id=honcho.id, on_date=date(2027, 1, 20), reason="system maintenance"))
        db.session.add(Closure(location_id=None, on_date=date(2027, 1, 21), reason="city-wide"))
        db.session.commit()
    assert not _day(app, "honcho", date(2027, 1, 20)).open
    assert _day(app, "awara", date(2027, 1, 20)).open
    assert not _day(app, "awara", date(2027, 1, 21)).open


def test_today_is_the_date_in_tokyo_not_utc():
    # 23:30 UTC on the 12th is 08:30 on the 13th in Tokyo.
    late_utc = datetime(2027, 1, 12, 23, 30, tzinfo=timezone.utc)
    assert calendar.today(late_utc) == date(2027, 1, 13)

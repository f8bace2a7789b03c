"""The calendar and capacities a booking reads are cached per process
(services/rules_cache.py): a change committed here is seen at once, one committed by
another process through the services (which raise the place's calendar version) at
once too, a bare write to the tables within CALENDAR_CACHE_SECONDS, and nothing stale
is kept."""
from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import create_engine, select, text

from queue_app.extensions import db
from queue_app.models import Closure, Counter, Location, Service
from queue_app.services import booking, calendar
from queue_app.services.errors import Invalid
from queue_app.services.rules_cache import RulesCache

from conftest import book

DAY = "2027-01-20"  # a Wednesday, open
START = f"{DAY}T10:00:00+09:00"


def _availability(client, location="honcho", service="card-pickup") -> dict:
    response = client.get("/api/v1/availability", query_string={
        "location": location, "service": service, "date": DAY})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _close_from_another_process(app, raise_version: bool = False) -> None:
    """Write a closure from a connection of its own, as another process would: with
    ``raise_version`` as the services do (calendar.lock_for_change), else bare."""
    _from_another_process(app, *(["INSERT INTO closures (location_id, on_date, reason) "
                                  "SELECT id, :day, 'maintenance' FROM locations WHERE slug = 'honcho'"]
                                 + ([_RAISE_VERSION] if raise_version else [])))


_RAISE_VERSION = "UPDATE locations SET calendar_version = calendar_version + 1 WHERE slug = 'honcho'"


def _from_another_process(app, *statements: str) -> None:
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), {"day": DAY})
    engine.dispose()


def test_a_closure_committed_here_is_seen_by_the_next_request(make_app, backend):
    app = make_app(backend)
    client = app.test_client()
    assert _availability(client)["open"]  # now in the cache
    assert book(client, start=START).status_code == 201
    with app.app_context():
        honcho = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        db.session.add(Closure(location_id=honcho.id, on_date=date(2027, 1, 20), reason="maintenance"))
        db.session.commit()
    after = _availability(client)
    assert not after["open"] and after["slots"] == []
    response = book(client, start=START)
    assert response.status_code == 409 and response.get_json()["code"] == "not_reservable"


def test_a_counter_that_stops_taking_reservations_lowers_the_capacity_at_once(app, client):
    assert {s["capacity"] for s in _availability(client)["slots"]} == {2}
    with app.app_context():
        counter = db.session.scalar(select(Counter).where(Counter.takes_reservations.is_(True)))
        counter.takes_reservations = False
        db.session.commit()
    assert {s["capacity"] for s in _availability(client)["slots"]} == {1}


def test_a_change_from_another_process_is_seen_within_the_cache_time(make_app):
    app = make_app(CALENDAR_CACHE_SECONDS=1)
    client = app.test_client()
    assert _availability(client)["open"]
    _close_from_another_process(app)
    assert _availability(client)["open"], "the cached plan is used until it expires"
    time.sleep(1.1)
    assert not _availability(client)["open"]


def test_a_change_from_another_process_that_raises_the_version_is_seen_at_once(make_app, backend):
    app = make_app(backend)  # the cache keeps its plans 30 s
    client = app.test_client()
    assert _availability(client)["open"]
    _close_from_another_process(app, raise_version=True)
    assert not _availability(client)["open"]


def test_a_change_rolled_back_leaves_nothing_cached_under_its_version(app, client):
    """A change's own reads may cache what it wrote under the version it raised; rolled
    back, that must go, or the next change to commit that number would be read as it."""
    assert _availability(client)["open"]
    with app.app_context():
        honcho = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        calendar.lock_for_change(db.session, honcho.id)
        db.session.add(Closure(location_id=honcho.id, on_date=date(2027, 1, 20), reason="maintenance"))
        calendar.raise_version(db.session, honcho.id)
        assert calendar.get_day(db.session, honcho, date(2027, 1, 20)).closed_reason == "closure"
        db.session.rollback()
    _from_another_process(app, _RAISE_VERSION)  # another change commits the same number
    assert _availability(client)["open"]


def test_without_the_cache_every_request_reads_the_calendar(make_app):
    app = make_app(CALENDAR_CACHE_SECONDS=0)
    client = app.test_client()
    assert _availability(client)["open"]
    _close_from_another_process(app)
    assert not _availability(client)["open"]


def test_a_value_loaded_while_a_change_commits_is_not_kept():
    cache = RulesCache(seconds=60)
    loads = []

    def load_racing_a_commit():
        loads.append(1)
        cache.clear()  # a change committed while this load read the old rows
        return "old"

    assert cache.get("day", load_racing_a_commit) == "old"
    assert cache.get("day", lambda: "new") == "new"
    assert cache.get("day", lambda: "newer") == "new"  # kept from here on
    assert len(loads) == 1


def test_a_procedure_made_unreservable_is_refused_at_once(app, client):
    assert book(client, start=START).status_code == 201  # place and procedure now cached
    with app.app_context():
        pickup = db.session.scalar(select(Service).where(Service.slug == "card-pickup"))
        pickup.reservable = False
        db.session.commit()
    response = book(client, start="2027-01-21T10:00:00+09:00")
    assert response.status_code == 409 and response.get_json()["code"] == "not_reservable"


def test_an_unknown_slug_is_named(app):
    with app.test_request_context():
        with pytest.raises(Invalid) as error:
            booking.get_place_and_service(db.session, "nowhere", "card-pickup")
        assert "location" in error.value.extra["errors"]
        with pytest.raises(Invalid) as error:
            booking.get_place_and_service(db.session, "honcho", "nothing")
        assert "service" in error.value.extra["errors"]


def test_a_change_flushed_before_a_failed_savepoint_still_clears_the_cache(app, client):
    assert _availability(client)["open"]
    with app.app_context():
        honcho = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        db.session.add(Closure(location_id=honcho.id, on_date=date(2027, 1, 20), reason="maintenance"))
        db.session.flush()
        with pytest.raises(RuntimeError):
            with db.session.begin_nested():  # as check-in does for its idempotent insert
                raise RuntimeError("an inner step fails and is rolled back alone")
        db.session.commit()
    assert not _availability(client)["open"]

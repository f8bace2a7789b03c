"""The /display namespace with a real python-socketio client against a real server
(the ``live_server`` fixture: werkzeug, threaded, WebSocket through simple-websocket):
snapshot on connect, refusals, ``called`` on call and recall, ``queue`` on other
changes, ``resync``, nothing for a rolled-back change, snapshots consistent with
their ``seq`` while calls race, and the ``announce-resync`` command."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import socketio
from sqlalchemy import select

from queue_app.events import announce
from queue_app.extensions import db
from queue_app.models import Location, Ticket
from queue_app.services.display import get_serving
from tests.realtime_support import (Recorder, add_tickets, api, call_next, counter_ids,
                                    display_token, quick_websocket_close, staff_token)

SNAPSHOT_KEYS = {"seq", "location", "serving", "recent", "waiting", "counters"}


def db_seq(app, slug="honcho") -> int:
    with app.app_context():
        return db.session.scalar(select(Location.seq).where(Location.slug == slug))


@pytest.fixture(autouse=True)
def _quick_close(monkeypatch):
    quick_websocket_close(monkeypatch)


@pytest.fixture
def server(make_app, live_server, backend):
    """A seeded app on ``backend`` behind a live server, with a staff token."""
    app = make_app(backend)
    live = live_server(app)
    live.token = staff_token(app)
    live.counters = counter_ids(app)
    clients: list[Recorder] = []

    def connect(**kwargs) -> Recorder:
        client = Recorder(live.url, **kwargs).connect()
        clients.append(client)
        return client

    live.connect = connect
    yield live
    for client in clients:
        if client.client.connected:
            client.disconnect()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_snapshot_on_connect_shows_numbers_counters_and_waiting_bands(server):
    add_tickets(server.app, 4)
    called = call_next(server.url, server.token, server.counters["窓口2"])

    client = server.connect()
    snapshot = client.wait_event("snapshot")

    assert set(snapshot) == SNAPSHOT_KEYS
    assert snapshot["location"] == "honcho"
    assert snapshot["seq"] == db_seq(server.app) == 2  # the issue (queue) and the call
    assert snapshot["serving"] == [{"number": called["number"], "counter": "窓口2"}]
    assert [set(row) for row in snapshot["recent"]] == [{"number", "counter", "called_at"}]
    assert snapshot["recent"][0]["number"] == called["number"]
    assert snapshot["recent"][0]["called_at"] == "2027-01-12T10:00:00+09:00"
    assert snapshot["waiting"] == {"priority": 0, "reservation": 0, "walk_in": 3}
    assert snapshot["counters"] == ["窓口1", "窓口2", "窓口3"]
    with server.app.app_context():  # what a queue event may carry as "serving"
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        assert get_serving(db.session, place, server.app.config["CLOCK"]().date()) == snapshot["serving"]


def test_a_place_sees_only_its_own_events(server):
    add_tickets(server.app, 2)
    awara = server.connect(location="awara")
    honcho = server.connect(location="honcho")
    awara_seq = awara.wait_event("snapshot")["seq"]
    honcho.wait_event("snapshot")

    ticket = call_next(server.url, server.token, server.counters["窓口1"])
    honcho.wait_event("called", number=ticket["number"])
    assert awara.named("called") == [] and awara.named("snapshot")[0]["location"] == "awara"
    assert db_seq(server.app, "awara") == awara_seq  # honcho's events do not touch awara's seq


@pytest.mark.parametrize("auth", [None, {}, {"location": ""}, {"location": "nowhere"},
                                  {"location": ["honcho"]}, {"location": "honcho", "token": "forged"}])
def test_connection_is_refused_without_a_known_place_or_with_a_bad_token(server, auth):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, namespaces=["/display"], auth=auth,
                       transports=["websocket"], wait_timeout=5)
    client.disconnect()


def test_a_display_device_may_add_its_token_but_only_at_its_own_place(server):
    token = display_token(server.app, "honcho")
    assert server.connect(location="honcho", token=token).wait_event("snapshot")["location"] == "honcho"
    other = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        other.connect(server.url, namespaces=["/display"], auth={"location": "awara", "token": token},
                      transports=["websocket"], wait_timeout=5)
    other.disconnect()


def test_a_kiosk_token_is_not_a_display_token(server):
    kiosk = display_token(server.app, "honcho", kind="kiosk")
    other = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        other.connect(server.url, namespaces=["/display"], auth={"location": "honcho", "token": kiosk},
                      transports=["websocket"], wait_timeout=5)
    other.disconnect()


def test_a_call_and_a_recall_each_send_called_with_the_next_seq(server):
    add_tickets(server.app, 2)
    client = server.connect()
    seq = client.wait_event("snapshot")["seq"]

    ticket = call_next(server.url, server.token, server.counters["窓口1"])
    called = client.wait_event("called", timeout=1.0)
    assert {k: called[k] for k in ("seq", "number", "counter", "service", "recall")} == {
        "seq": seq + 1, "number": ticket["number"], "counter": "窓口1",
        "service": "info-change", "recall": False}

    assert api(server.url, "POST", f"/tickets/{ticket['id']}/recall", server.token).status_code == 200
    recall = client.wait_event("called", timeout=1.0, recall=True)
    assert recall["seq"] == seq + 2
    assert (recall["number"], recall["counter"]) == (ticket["number"], "窓口1")


def test_other_changes_send_queue_with_the_waiting_counts(server):
    client = server.connect()
    seq = client.wait_event("snapshot")["seq"]

    answer = api(server.url, "POST", "/tickets", server.token,
                 json={"location": "honcho", "service": "reissue"})
    assert answer.status_code == 201, answer.text
    event = client.wait_event("queue", timeout=1.0)
    assert event["seq"] == seq + 1
    assert event["waiting"] == {"priority": 0, "reservation": 0, "walk_in": 1}

    call_next(server.url, server.token, server.counters["窓口3"])
    client.wait_event("called", seq=seq + 2)
    assert api(server.url, "POST", f"/tickets/{answer.json()['id']}/complete",
               server.token).status_code == 200
    done = client.wait_event("queue", seq=seq + 3)
    assert done["waiting"]["walk_in"] == 0


def test_resync_and_reconnect_return_a_fresh_snapshot(server):
    add_tickets(server.app, 3)
    client = server.connect()
    first = client.wait_event("snapshot")

    ticket = call_next(server.url, server.token, server.counters["窓口1"])
    client.wait_event("called", seq=first["seq"] + 1)
    client.clear()
    client.resync()
    fresh = client.wait_event("snapshot")
    assert fresh["seq"] == first["seq"] + 1
    assert fresh["serving"] == [{"number": ticket["number"], "counter": "窓口1"}]
    assert fresh["waiting"]["walk_in"] == 2

    # Away while two more calls are made: coming back brings them all in one snapshot.
    client.disconnect()
    call_next(server.url, server.token, server.counters["窓口2"])
    call_next(server.url, server.token, server.counters["窓口3"])
    again = server.connect()
    back = again.wait_event("snapshot")
    assert back["seq"] == fresh["seq"] + 2
    assert [row["counter"] for row in back["serving"]] == ["窓口1", "窓口2", "窓口3"]
    assert back["waiting"]["walk_in"] == 0


def test_a_rolled_back_change_is_never_announced_and_leaves_no_gap(server):
    client = server.connect()
    seq = client.wait_event("snapshot")["seq"]
    with server.app.app_context():
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        announce(db.session, place, "queue", {"waiting": {}, "marker": "rolled-back"})
        db.session.rollback()
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        announce(db.session, place, "queue", {"waiting": {}, "marker": "committed"})
        db.session.commit()

    event = client.wait_event("queue", marker="committed")
    assert event["seq"] == seq + 1
    assert [e["marker"] for e in client.named("queue")] == ["committed"]


def test_every_snapshot_matches_its_seq_while_calls_race(server):
    """Calls from two counters race resync requests: each snapshot's waiting count must
    equal the tickets minus the calls numbered up to its seq, never one more or less."""
    total = 24
    add_tickets(server.app, total)
    client = server.connect()
    start = client.wait_event("snapshot")
    assert start["waiting"]["walk_in"] == total

    errors: list[BaseException] = []

    def staff(counter: str) -> None:
        try:
            for _ in range(total // 2):
                call_next(server.url, server.token, server.counters[counter])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=staff, args=(name,)) for name in ("窓口1", "窓口2")]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        seen = len(client.named("snapshot"))
        client.resync()
        client.wait_for(lambda n, d: len(client.named("snapshot")) > seen, 5, "a snapshot")
    for worker in workers:
        worker.join()
    assert not errors, errors
    client.resync()
    client.wait_for(lambda n, d: n == "snapshot" and d["seq"] == start["seq"] + total, 5, "last snapshot")

    calls = {d["seq"]: d for d in client.named("called")}
    assert sorted(calls) == list(range(start["seq"] + 1, start["seq"] + total + 1))
    snapshots = client.named("snapshot")
    assert len(snapshots) > 3
    for snap in snapshots:
        made = [call for seq, call in calls.items() if seq <= snap["seq"]]
        assert snap["waiting"]["walk_in"] == total - len(made), snap
        assert {row["number"] for row in snap["recent"]} <= {c["number"] for c in made}, snap
        assert {row["counter"] for row in snap["serving"]} == {c["counter"] for c in made}, snap


def test_announce_resync_command_reaches_the_displays(server):
    add_tickets(server.app, 1, announce=False)
    client = server.connect()
    seq = client.wait_event("snapshot")["seq"]

    result = server.app.test_cli_runner().invoke(args=["announce-resync", "honcho"])
    assert result.exit_code == 0, result.output
    event = client.wait_event("queue", resync=True)
    assert event["seq"] == seq + 1 and event["waiting"]["walk_in"] == 1
    assert f"seq {seq + 1}" in result.output

    missing = server.app.test_cli_runner().invoke(args=["announce-resync", "nowhere"])
    assert missing.exit_code != 0 and "unknown location" in missing.output


def test_snapshot_leaves_out_other_days_and_finished_counters(server, clock):
    """Yesterday's tickets are not on today's screen."""
    numbers = add_tickets(server.app, 1, announce=False)
    with server.app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == numbers[0]))
        ticket.business_date = clock.now.date() - timedelta(days=1)
        db.session.commit()
    snapshot = server.connect().wait_event("snapshot")
    assert snapshot["waiting"] == {"priority": 0, "reservation": 0, "walk_in": 0}

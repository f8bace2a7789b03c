"""The /display namespace with a real python-socketio client against a real server
(the ``live_server`` fixture: werkzeug, threaded, WebSocket through simple-websocket):
snapshot on connect, refusals, ``called`` on call and recall, ``queue`` on other
changes, events that carry the new picture (a correct client never needs a snapshot
for them), ``resync`` bounded per client and snapshots shared per place, nothing for
a rolled-back change, snapshots consistent with their ``seq`` while calls race, two
apps in one process that never see each other's events, and the ``announce-resync``
command."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import socketio
from sqlalchemy import select

from queue_app.events import announce
from queue_app.extensions import db, write_intent
from queue_app.models import Counter, Location, Ticket
from queue_app.services.display import get_lobby
from tests.realtime_support import (LobbyClient, Recorder, add_counters, add_tickets, api, call_next,
                                    counter_ids, display_token, quick_websocket_close,
                                    snapshot_now, staff_token)

SNAPSHOT_KEYS = {"seq", "location", "serving", "recent", "waiting", "counters", "reception",
                 "reception_reason", "next_opening", "closures"}


def db_seq(app, slug="honcho") -> int:
    with app.app_context():
        return db.session.scalar(select(Location.seq).where(Location.slug == slug))


@pytest.fixture(autouse=True)
def _quick_close(monkeypatch):
    quick_websocket_close(monkeypatch)


@pytest.fixture
def serve(make_app, live_server):
    """``serve(backend, **config)``: a seeded app behind a live server, with a staff
    token, its counters' ids and ``connect(**kwargs)`` for recording clients."""
    apps, clients = [], []

    def start(backend: str = "sqlite", **config):
        app = make_app(backend, **config)
        apps.append(app)
        live = live_server(app)
        live.token = staff_token(app)
        live.counters = counter_ids(app)
        live.realtime = app.extensions["realtime"]

        def connect(kind=Recorder, **kwargs) -> Recorder:
            client = kind(live.url, **kwargs).connect()
            clients.append(client)
            return client

        live.connect = connect
        return live

    yield start
    for client in clients:
        if client.client.connected:
            client.disconnect()
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def server(serve, backend):
    """A seeded app on ``backend`` behind a live server, with a staff token."""
    return serve(backend)


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
    assert snapshot["counters"] == [{"name": f"窓口{i}", "open": True, "until": None} for i in (1, 2, 3)]
    assert (snapshot["reception"], snapshot["reception_reason"]) == ("open", None)
    with server.app.app_context():  # what a queue event carries is the snapshot's own
        place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
        now = server.app.config["CLOCK"]()
        lobby = get_lobby(db.session, place, now.date(), now)
        assert lobby == {key: snapshot[key] for key in lobby}
        assert set(lobby) == {"serving", "counters", "recent", "reception", "reception_reason",
                              "next_opening", "closures"}


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


def test_every_snapshot_matches_its_seq_while_calls_race(serve, backend):
    """Calls from two counters race resync requests: each snapshot's waiting count must
    equal the tickets minus the calls numbered up to its seq, never one more or less.
    (No per-client bound here, so every resync is answered at once; the place's kept
    snapshot is on, and must never hand out one that does not match its seq.)"""
    server = serve(backend, DISPLAY_RESYNC_SECONDS=0)
    total = 24
    # One resident at a counter at a time: each call goes to a counter of its own.
    extra = list(add_counters(server.app, total).values())
    add_tickets(server.app, total)
    client = server.connect()
    start = client.wait_event("snapshot")
    assert start["waiting"]["walk_in"] == total

    errors: list[BaseException] = []

    def staff(counters: list[int]) -> None:
        try:
            for counter in counters:
                call_next(server.url, server.token, counter)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=staff, args=(extra[half::2],)) for half in (0, 1)]
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


# ---------------------------------------------------------------- events carry the picture

def _settled(server, client: LobbyClient) -> dict:
    """Wait until the client holds the place's latest seq; its picture then."""
    seq = db_seq(server.app)
    client.wait_for(lambda n, d: client.seq == seq, 5, f"seq {seq}")
    return client.picture()


def _fresh(server) -> dict:
    snapshot = snapshot_now(server.app)
    return {key: snapshot[key] for key in ("serving", "counters", "recent", "waiting")}


def test_a_correct_client_follows_every_change_from_the_events_alone(server):
    """Walk-ins, calls, a recall, start, complete, no-show, transfer, prioritise, a
    counter closed and opened: after each, what a client that applies the events holds
    equals a fresh snapshot, and it never asked for one (nor did the server build one)."""
    client = server.connect(kind=LobbyClient)
    client.wait_event("snapshot")
    built = server.realtime.snapshots.built

    def act(path, **kwargs):
        answer = api(server.url, "POST", path, server.token, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()

    walk_ins = []
    for _ in range(4):
        answer = api(server.url, "POST", "/tickets", server.token,
                     json={"location": "honcho", "service": "reissue"})
        assert answer.status_code == 201, answer.text
        walk_ins.append(answer.json())
        assert _settled(server, client) == _fresh(server)
    issued = client.wait_event("queue", seq=db_seq(server.app))
    assert issued["change"] == "issue" and issued["waiting"]["walk_in"] == 4
    assert issued["ticket"] == {"number": walk_ins[-1]["number"], "status": "waiting"}
    assert "serving" not in issued  # nothing at the counters changed: not sent

    first = call_next(server.url, server.token, server.counters["窓口1"])
    second = call_next(server.url, server.token, server.counters["窓口2"])
    assert _settled(server, client) == _fresh(server)
    act(f"/tickets/{second['id']}/recall")
    assert _settled(server, client) == _fresh(server)
    act(f"/tickets/{first['id']}/start")
    assert _settled(server, client) == _fresh(server)
    act(f"/tickets/{first['id']}/complete")
    done = client.wait_event("queue", change="complete")
    assert done["change"] == "complete" and done["ticket"] == {"number": first["number"], "status": "done"}
    assert done["serving"] == [{"number": second["number"], "counter": "窓口2"}]  # 窓口1 is free
    assert _settled(server, client) == _fresh(server)
    act(f"/tickets/{second['id']}/no-show")
    assert _settled(server, client) == _fresh(server)
    assert client.picture()["serving"] == []

    third = call_next(server.url, server.token, server.counters["窓口3"])
    act(f"/tickets/{third['id']}/transfer", json={"service": "info-change"})  # back in the queue
    assert _settled(server, client) == _fresh(server)
    assert third["number"] not in [row["number"] for row in client.picture()["recent"]]
    act(f"/tickets/{walk_ins[3]['id']}/prioritise", json={"reason": "wheelchair"})
    assert _settled(server, client) == _fresh(server)
    act(f"/counters/{server.counters['窓口3']}/close", json={})
    names = [c["name"] for c in _settled(server, client)["counters"]]
    assert names == ["窓口1", "窓口2"] == [c["name"] for c in _fresh(server)["counters"]]
    act(f"/counters/{server.counters['窓口3']}/open")
    assert _settled(server, client) == _fresh(server)

    assert client.resyncs == 0
    assert len(client.named("snapshot")) == 1
    assert server.realtime.snapshots.built == built


def test_a_resync_flood_gets_one_snapshot_per_interval(serve):
    """A client asking for a snapshot 20 times a second for 2.5 s gets one at once and
    then one per second (the last at the end of its interval, with the latest seq); the
    server builds no more than it sends, and another client is not held back."""
    server = serve(DISPLAY_RESYNC_SECONDS=1.0, DISPLAY_SNAPSHOT_CACHE_SECONDS=0)
    add_tickets(server.app, 3)
    flooder = server.connect()
    flooder.wait_event("snapshot")
    calm = server.connect()
    calm.wait_event("snapshot")
    built = server.realtime.snapshots.built

    started = time.monotonic()
    asked = 0
    mid_flood = threading.Thread(  # a call moves the place on, without pausing the flood
        target=call_next, args=(server.url, server.token, server.counters["窓口1"]))
    while time.monotonic() - started < 2.5:
        flooder.resync()
        asked += 1
        if asked == 25:
            mid_flood.start()
        time.sleep(0.05)
    mid_flood.join(timeout=10)
    time.sleep(1.3)  # the last deferred answer
    answers = flooder.named("snapshot")[1:]
    # A flood however slow the machine: at least 12 asks a second, 12 times what is answered.
    assert asked >= 30
    assert 2 <= len(answers) <= 4, len(answers)  # 2.5 s + the trailing one, 1 s apart
    assert server.realtime.snapshots.built - built == len(answers)
    assert answers[-1]["seq"] == db_seq(server.app)  # the deferred answer is fresh
    calm.resync()
    assert calm.wait_event("snapshot", seq=db_seq(server.app), timeout=1.0)


def test_a_place_snapshot_is_shared_until_its_seq_moves(serve):
    """A crowd connecting at once (a restart) costs one snapshot build per place and
    change, plus one read of seq each; a change makes the next one fresh."""
    server = serve()
    add_tickets(server.app, 2)
    built = server.realtime.snapshots.built
    clients = [server.connect() for _ in range(6)]
    seqs = {client.wait_event("snapshot")["seq"] for client in clients}
    assert seqs == {db_seq(server.app)}
    assert server.realtime.snapshots.built - built == 1
    call_next(server.url, server.token, server.counters["窓口1"])
    late = server.connect().wait_event("snapshot")
    assert late["seq"] == db_seq(server.app) and late["waiting"]["walk_in"] == 1
    assert server.realtime.snapshots.built - built == 2


def test_a_safety_check_is_answered_only_when_something_was_missed(serve):
    """``resync`` with the client's seq (the pages' 60 s safety net): no snapshot while
    that is the place's seq; one as soon as the place moved past it (a lost event)."""
    server = serve(DISPLAY_RESYNC_SECONDS=0)
    client = server.connect()
    seq = client.wait_event("snapshot")["seq"]
    built = server.realtime.snapshots.built
    client.client.emit("resync", {"seq": seq}, namespace="/display")
    time.sleep(0.5)
    assert len(client.named("snapshot")) == 1 and server.realtime.snapshots.built == built

    with server.app.app_context():  # a change whose event never arrived
        from queue_app.events import bump_seq
        bump_seq(db.session, db.session.scalar(select(Location.id).where(Location.slug == "honcho")))
        db.session.commit()
    client.client.emit("resync", {"seq": seq}, namespace="/display")
    assert client.wait_event("snapshot", seq=seq + 1)["seq"] == seq + 1


# ---------------------------------------------------------------- two apps, one process

def test_two_apps_in_one_process_never_see_each_others_events(serve):
    """Each app has its own Socket.IO server and publisher: an event committed in one
    reaches only its own clients, even with both serving at once."""
    first, second = serve(), serve()
    assert first.app.extensions["socketio"] is not second.app.extensions["socketio"]
    one, two = first.connect(), second.connect()
    one.wait_event("snapshot")
    two.wait_event("snapshot")
    published = (first.realtime.publisher.published, second.realtime.publisher.published)

    for live, marker in ((first, "first"), (second, "second")):
        with live.app.app_context():
            place = db.session.scalar(select(Location).where(Location.slug == "honcho"))
            announce(db.session, place, "queue", {"waiting": {}, "marker": marker})
            db.session.commit()
    assert one.wait_event("queue", marker="first")
    assert two.wait_event("queue", marker="second")
    time.sleep(0.3)
    assert [e["marker"] for e in one.named("queue")] == ["first"]
    assert [e["marker"] for e in two.named("queue")] == ["second"]
    assert (first.realtime.publisher.published, second.realtime.publisher.published) == (
        published[0] + 1, published[1] + 1)

    # A call through the first app's API: the second app's client hears nothing.
    add_tickets(first.app, 1, announce=False)
    ticket = call_next(first.url, first.token, first.counters["窓口1"])
    assert one.wait_event("called", number=ticket["number"])
    time.sleep(0.3)
    assert two.named("called") == []


def test_each_app_clears_only_its_own_rules_cache(make_app):
    """The rules cache is cleared by a change committed on its own app's database, not
    another app's, and not by an event's seq bump (which changes no rule)."""
    from queue_app.events import bump_seq

    first, second = make_app(), make_app()
    loads = {"first": 0, "second": 0}

    def warm(app, name):
        def load():
            loads[name] += 1
            return name
        app.extensions["rules_cache"].get("probe", load)

    for app, name in ((first, "first"), (second, "second")):
        warm(app, name)
    with first.app_context():
        counter = db.session.scalar(select(Counter).order_by(Counter.id))
        counter.takes_reservations = not counter.takes_reservations
        db.session.commit()
        bump_seq(db.session, counter.location_id)
        db.session.commit()
    with second.app_context():
        bump_seq(db.session, db.session.scalar(select(Location.id).order_by(Location.id)))
        db.session.commit()
    for app, name in ((first, "first"), (second, "second")):
        warm(app, name)
    assert loads == {"first": 2, "second": 1}
    for app in (first, second):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_events_go_out_only_when_their_own_transaction_commits(app):
    """A savepoint released after an event does not publish it; the outer commit does,
    once; a rollback of the whole transaction drops it; and another session's
    rollback (a display's snapshot read, in its own app context) leaves it alone.
    No listener is left on a class: a fresh session has none."""
    sent = []
    publisher = app.extensions["realtime"].publisher
    publisher.publish = lambda room, name, data: sent.append(data["marker"])

    def place():
        return db.session.scalar(select(Location).where(Location.slug == "honcho"))

    with app.app_context():
        announce(db.session, place(), "queue", {"waiting": {}, "marker": "outer"})
        with db.session.begin_nested():
            announce(db.session, place(), "queue", {"waiting": {}, "marker": "inner"})
        assert sent == []
        db.session.commit()
        assert sent == ["outer", "inner"]

        announce(db.session, place(), "queue", {"waiting": {}, "marker": "dropped"})
        db.session.rollback()
        db.session.commit()
        assert sent == ["outer", "inner"]

        announce(db.session, place(), "queue", {"waiting": {}, "marker": "kept"})
        with app.app_context():  # another session of the same app reads and rolls back
            reading = write_intent.set(False)  # as a snapshot read: no SQLite write lock
            place()
            db.session.rollback()
            db.session.commit()
            write_intent.reset(reading)
        assert sent == ["outer", "inner"]
        db.session.commit()
        assert sent == ["outer", "inner", "kept"]

        fresh = db.session.session_factory()
        assert not any(getattr(fresh.dispatch, name) for name in (
            "after_commit", "after_soft_rollback", "after_flush", "after_begin"))
        fresh.close()

"""The outbox: a mail server that is down never loses or blocks a booking; messages are
retried with exponential back-off, claimed so that two senders never send one twice,
and a crashed sender's claim expires; a re-send after a crash mid-send carries the same
Message-ID and is recorded."""
from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from conftest import book, free_port
from queue_app.extensions import db
from queue_app.models import OutboxMessage
from queue_app.services import outbox
from resident_helpers import SMTPSink, mail_config, outbox_rows, send_outbox, smtp  # noqa: F401


def test_a_down_mail_server_neither_blocks_nor_loses_the_booking(make_app, clock):
    port = free_port()  # nothing listens here yet
    app = make_app(**mail_config(port))
    created = book(app.test_client(), language="ja")
    assert created.status_code == 201

    assert send_outbox(app) == {"sent": 0, "failed": 1, "skipped": 0}
    [row] = outbox_rows(app)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == clock() + timedelta(seconds=60)
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.secret == created.get_json()["token"]  # still needed for the retry

    assert send_outbox(app)["failed"] == 0  # not due yet: no try at all
    assert outbox_rows(app)[0].attempts == 1

    clock.advance(seconds=60)
    assert send_outbox(app)["failed"] == 1
    assert outbox_rows(app)[0].next_attempt_at == clock() + timedelta(seconds=120)  # doubled

    sink = SMTPSink(port).start()
    try:
        clock.advance(seconds=119)
        assert send_outbox(app)["sent"] == 0
        clock.advance(seconds=1)
        assert send_outbox(app) == {"sent": 1, "failed": 0, "skipped": 0}
        assert len(sink.wait_for(1)) == 1
        [row] = outbox_rows(app)
        assert (row.status, row.attempts, row.secret) == ("sent", 3, None)
        clock.advance(hours=1)
        assert send_outbox(app)["sent"] == 0
        assert len(sink.messages) == 1
    finally:
        sink.stop()


def test_a_down_server_is_tried_once_per_run_not_once_per_message(make_app):
    app = make_app(**mail_config(free_port()))
    client = app.test_client()
    for hhmm in ("09:00", "09:15", "09:30"):
        book(client, start=f"2027-01-14T{hhmm}:00+09:00")
    assert send_outbox(app) == {"sent": 0, "failed": 1, "skipped": 0}
    assert [row.attempts for row in outbox_rows(app)] == [1, 0, 0]


def test_a_refused_recipient_does_not_hold_up_the_others(make_app, smtp):
    app = make_app(**mail_config(smtp.port))
    client = app.test_client()
    book(client, email="first@example.jp")
    book(client, email="second@example.jp", start="2027-01-14T09:15:00+09:00")

    smtp.refuse.add("first@example.jp")
    assert send_outbox(app) == {"sent": 1, "failed": 1, "skipped": 0}
    [(recipients, _message)] = smtp.wait_for(1)
    assert recipients == ["second@example.jp"]
    rows = outbox_rows(app)
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1), ("sent", 1)]
    assert rows[0].last_error == "SMTPRecipientsRefused"


def test_a_message_that_cannot_be_built_does_not_block_the_others(make_app, smtp, monkeypatch):
    from queue_app import notify

    app = make_app(**mail_config(smtp.port))
    client = app.test_client()
    book(client, email="broken@example.jp")
    book(client, email="fine@example.jp", start="2027-01-14T09:15:00+09:00")
    build = notify.build_message

    def flaky(session, message, config, now):
        if message.recipient == "broken@example.jp":
            raise KeyError("a template bug")
        return build(session, message, config, now)

    monkeypatch.setattr(notify, "build_message", flaky)
    assert send_outbox(app) == {"sent": 1, "failed": 1, "skipped": 0}
    assert smtp.wait_for(1)[0][0] == ["fine@example.jp"]
    assert [(r.status, r.attempts, r.last_error) for r in outbox_rows(app)] == [
        ("pending", 1, "KeyError"), ("sent", 1, None)]


def test_giving_up_forgets_the_token(make_app, clock):
    app = make_app(**mail_config(free_port()))
    book(app.test_client())
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert send_outbox(app)["failed"] == 1
        [row] = outbox_rows(app)
        assert row.attempts == attempt
        clock.now = row.next_attempt_at
    assert (row.status, row.secret) == ("failed", None)
    assert outbox.retry_delay(outbox.MAX_ATTEMPTS) <= timedelta(hours=6)
    assert send_outbox(app)["failed"] == 0


def test_a_message_is_queued_once_per_dedupe_key(app, clock):
    created = book(app.test_client()).get_json()
    with app.app_context():
        from queue_app.models import Reservation

        reservation = db.session.scalar(db.select(Reservation).where(Reservation.code == created["code"]))
        outbox.enqueue_confirmation(db.session, reservation, "another-token", clock())
        outbox.enqueue_reminder(db.session, reservation, clock())
        outbox.enqueue_reminder(db.session, reservation, clock())
        db.session.commit()
    rows = outbox_rows(app)
    assert [r.dedupe_key for r in rows] == [f"confirmation:{rows[0].reservation_id}",
                                           f"reminder:{rows[0].reservation_id}:2027-01-14"]
    assert rows[0].secret == created["token"]


def test_a_crashed_senders_claim_expires(make_app, smtp, clock):
    app = make_app(**mail_config(smtp.port))
    book(app.test_client())
    with app.app_context():  # another sender claimed it, then died mid-send
        assert outbox.claim(db.session, outbox_rows(app)[0].id, clock())
        db.session.commit()
    assert send_outbox(app)["sent"] == 0
    clock.advance(seconds=outbox.CLAIM_SECONDS + 1)
    assert send_outbox(app)["sent"] == 1
    assert len(smtp.wait_for(1)) == 1


def test_two_senders_at_once_send_each_message_exactly_once(make_app, smtp, backend, clock):
    app = make_app(backend, **mail_config(smtp.port))
    client = app.test_client()
    count = 12
    for i in range(count):
        hhmm = 9 * 60 + 15 * i
        assert book(client, start=f"2027-01-14T{hhmm // 60:02d}:{hhmm % 60:02d}:00+09:00").status_code == 201
    with app.app_context():  # every message due at once
        db.session.execute(update(OutboxMessage).values(next_attempt_at=clock() - timedelta(seconds=1)))
        db.session.commit()

    barrier = threading.Barrier(3)
    reports = []

    def sender():
        barrier.wait()
        reports.append(send_outbox(app))

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r["sent"] for r in reports) == count
    received = smtp.wait_for(count)
    assert len({m["Message-ID"] for _, m in received}) == count == len(received)
    assert {r.status for r in outbox_rows(app)} == {"sent"}
    with app.app_context():
        db.engine.dispose()


class Crash(BaseException):
    """kill -9 of the scheduler: nothing after it runs, no ``except Exception`` sees it."""


def _message_ids(received) -> list[str]:
    return [str(message["Message-ID"]) for _, message in received]


def test_a_normal_send_sends_once_and_commits_its_message_id_before_smtp(make_app, smtp, clock,
                                                                         monkeypatch):
    from queue_app import notify

    app = make_app(**mail_config(smtp.port))
    book(app.test_client())
    seen_by_others = []  # the row as another connection sees it while SMTP is talking
    real_send = notify.Mailer.send

    def send(self, email):
        with db.engine.connect() as conn:
            seen_by_others.append(conn.execute(select(
                OutboxMessage.message_id, OutboxMessage.sending_since)).one())
        real_send(self, email)

    monkeypatch.setattr(notify.Mailer, "send", send)
    assert send_outbox(app) == {"sent": 1, "failed": 0, "skipped": 0}
    [message_id] = _message_ids(smtp.wait_for(1))
    [row] = outbox_rows(app)
    assert re.fullmatch(rf"<confirmation\.{row.reservation_id}\.[0-9a-f]{{16}}@city\.example\.jp>", message_id)
    assert seen_by_others == [(message_id, clock())]  # committed before the conversation
    assert (row.status, row.message_id, row.sending_since, row.interrupted_sends) == (
        "sent", message_id, None, 0)

    clock.advance(hours=1)
    assert send_outbox(app)["sent"] == 0
    assert len(smtp.messages) == 1  # exactly once


def test_a_crash_between_sending_and_marking_sent_resends_under_the_same_message_id(
        make_app, backend, smtp, clock, monkeypatch, caplog):
    app = make_app(backend, **mail_config(smtp.port))
    address = "crash@example.jp"
    book(app.test_client(), email=address)

    def crash(*_args, **_kwargs):
        raise Crash()

    # The server said "250 OK", then the scheduler died before recording it.
    with monkeypatch.context() as patch:
        patch.setattr(outbox, "mark_sent", crash)
        with pytest.raises(Crash):
            send_outbox(app)
    [first] = _message_ids(smtp.wait_for(1))
    [row] = outbox_rows(app)
    assert (row.status, row.attempts, row.message_id, row.sending_since) == (
        "pending", 1, first, clock())

    assert send_outbox(app)["sent"] == 0  # its claim still holds
    clock.advance(seconds=outbox.CLAIM_SECONDS + 1)
    with caplog.at_level(logging.WARNING, logger="queue_app.jobs"):
        assert send_outbox(app) == {"sent": 1, "failed": 0, "skipped": 0}
    received = smtp.wait_for(2)
    assert [recipients for recipients, _ in received] == [[address], [address]]
    assert _message_ids(received) == [first, first]  # recognisably the same message
    [row] = outbox_rows(app)
    assert (row.status, row.attempts, row.message_id, row.sending_since, row.interrupted_sends) == (
        "sent", 2, first, None, 1)
    assert f"outbox message {row.id} (confirmation)" in caplog.text
    assert "possible duplicate" in caplog.text
    assert address not in caplog.text

    clock.advance(hours=1)
    assert send_outbox(app)["sent"] == 0
    assert len(smtp.messages) == 2
    with app.app_context():
        db.engine.dispose()


def test_an_interrupted_send_stays_recorded_when_the_retry_fails(make_app, clock):
    port = free_port()
    app = make_app(**mail_config(port))
    book(app.test_client())
    with app.app_context():  # a sender claimed it, marked it as being sent, then died
        [row] = outbox_rows(app)
        assert outbox.claim(db.session, row.id, clock())
        outbox.mark_sending(db.session, row.id, "<confirmation.1.0123456789abcdef@city.example.jp>", clock())
        db.session.commit()
    clock.advance(seconds=outbox.CLAIM_SECONDS + 1)
    assert send_outbox(app)["failed"] == 1  # the server is down now
    [row] = outbox_rows(app)
    assert (row.interrupted_sends, row.sending_since, row.message_id) == (
        1, None, "<confirmation.1.0123456789abcdef@city.example.jp>")

    sink = SMTPSink(port).start()
    try:
        clock.now = row.next_attempt_at
        assert send_outbox(app)["sent"] == 1
        assert _message_ids(sink.wait_for(1)) == ["<confirmation.1.0123456789abcdef@city.example.jp>"]
        [row] = outbox_rows(app)
        assert (row.status, row.interrupted_sends) == ("sent", 1)
    finally:
        sink.stop()

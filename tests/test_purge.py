"""Personal data (name and its reading, e-mail, phone) is removed PERSONAL_DATA_RETENTION_DAYS after the
visit; the reservation row stays for the statistics, and the outbox forgets the address."""
from __future__ import annotations

from sqlalchemy import func, select

from conftest import book
from queue_app import jobs
from queue_app.extensions import db
from queue_app.models import OutboxMessage, Reservation
from resident_helpers import outbox_rows, reservation_row


def test_personal_data_is_purged_thirty_days_after_the_visit(make_app, backend, clock):
    app = make_app(backend)
    client = app.test_client()
    visited = book(client, start="2027-01-14T09:00:00+09:00", phone="090-1234-5678", proxy=True,
                   furigana="ヤマダ ハナコ").get_json()
    cancelled = book(client, start="2027-01-14T09:15:00+09:00").get_json()
    client.delete(f"/api/v1/reservations/{cancelled['code']}?token={cancelled['token']}")
    later = book(client, start="2027-02-05T09:00:00+09:00").get_json()

    clock.set(2027, 2, 13, 9, 14)  # 30 days after the visit ended at 09:15: not yet
    assert jobs.run_job(app, "purge_personal_data") == 0
    clock.set(2027, 2, 13, 9, 31)
    assert jobs.run_job(app, "purge_personal_data") == 2
    purged_at = clock()
    clock.advance(hours=1)
    assert jobs.run_job(app, "purge_personal_data") == 0  # idempotent

    row = reservation_row(app, visited["code"])
    assert (row.name, row.furigana, row.email, row.phone) == (None, None, None, None)
    assert row.purged_at == purged_at
    # What the statistics need stays.
    assert (row.status, row.proxy, row.language) == ("booked", True, "ja")
    assert row.starts_at.isoformat() == "2027-01-14T09:00:00+09:00"
    assert reservation_row(app, cancelled["code"]).email is None
    assert reservation_row(app, later["code"]).name == "山田 花子"

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 3
    purged_ids = {row.id, reservation_row(app, cancelled["code"]).id}
    for message in outbox_rows(app):
        if message.reservation_id in purged_ids:
            assert (message.recipient, message.secret) == (None, None)
        else:
            assert message.recipient is not None
    with app.app_context():
        db.engine.dispose()


def test_a_purged_reservations_pending_mail_is_skipped(make_app, clock):
    from resident_helpers import send_outbox

    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=9)  # nothing is sent in this test
    book(app.test_client())
    clock.set(2027, 3, 1, 10, 0)
    assert jobs.run_job(app, "purge_personal_data") == 1
    assert send_outbox(app) == {"sent": 0, "failed": 0, "skipped": 1}
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.status)) == "skipped"

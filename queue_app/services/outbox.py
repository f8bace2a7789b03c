"""The outbox: e-mail to residents is written to a table in the booking's own transaction
and sent later by a job, so a mail server that is down never loses or blocks a booking.

Each message is queued once (``dedupe_key`` is unique) and claimed by a conditional
UPDATE before it is sent (``claimed_until``), so two senders never send the same row.
Failures are retried with exponential back-off.

Delivery is at least once: SMTP cannot be made part of our transaction, so a sender that
dies after the server's "250 OK" and before ``mark_sent`` leaves a message that goes out
again once its claim expires. To make that re-send recognisable, the sender commits
``mark_sending`` (``sending_since`` and the Message-ID, chosen once per message and kept
in ``message_id``) before each SMTP conversation; the next sender that claims a message
still marked as being sent records the interrupted send (``interrupted_sends``) and sends
it again under the same Message-ID, so mail systems and the resident's mailer can tell
it is the same message.

The confirmation needs the manage link, whose token is only stored hashed: the clear
token rides in ``secret`` until the message is sent or given up, then it is cleared.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..models import OutboxMessage, Reservation
from .upserts import insert_ignore

# Templates (notify.py renders each one in the resident's language).
CONFIRMATION, REMINDER, CANCELLATION, MOVED = "confirmation", "reminder", "cancellation", "moved"
CLOSURE = "closure"  # an emergency closure cancelled the reservation (services/closures.py)
SMS_REMINDER = "sms_reminder"  # the reminder as a text message, to a phone-only resident (notify.py)

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 6 * 3600
# A sender that crashed mid-send releases its claim after this long.
CLAIM_SECONDS = 300


def _enqueue(session, template: str, key: str, reservation: Reservation, now: datetime,
             secret: str | None = None) -> None:
    if not reservation.email:  # phone-only reservations get no e-mail
        return
    insert_ignore(session, OutboxMessage, {
        "dedupe_key": key, "template": template, "reservation_id": reservation.id,
        "recipient": reservation.email, "language": reservation.language, "secret": secret,
        "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
    }, ["dedupe_key"])


def enqueue_confirmation(session, reservation: Reservation, token: str, now: datetime) -> None:
    """Queue the booking confirmation (with QR code and .ics); carries the token until sent."""
    _enqueue(session, CONFIRMATION, f"confirmation:{reservation.id}", reservation, now, token)


def enqueue_cancellation(session, reservation: Reservation, now: datetime) -> None:
    """Queue the notice that a reservation was cancelled; a pending confirmation loses its token."""
    _release_secrets(session, [reservation.id])
    _enqueue(session, CANCELLATION, f"cancellation:{reservation.id}", reservation, now)


def enqueue_moved(session, reservation: Reservation, now: datetime) -> None:
    """Queue the notice of a reservation's new time (with a new .ics)."""
    key = f"moved:{reservation.id}:{reservation.starts_at:%Y%m%d%H%M}:{int(now.timestamp())}"
    _enqueue(session, MOVED, key, reservation, now)


def enqueue_reminder(session, reservation: Reservation, now: datetime) -> None:
    """Queue the day-before reminder; once per reservation and visit date."""
    key = f"reminder:{reservation.id}:{reservation.starts_at:%Y-%m-%d}"
    _enqueue(session, REMINDER, key, reservation, now)


def enqueue_sms_reminder(session, reservation: Reservation, now: datetime) -> None:
    """Queue the day-before reminder as a text message to a resident who left only a
    phone number; once per reservation and visit date."""
    insert_ignore(session, OutboxMessage, {
        "dedupe_key": f"{SMS_REMINDER}:{reservation.id}:{reservation.starts_at:%Y-%m-%d}",
        "template": SMS_REMINDER, "reservation_id": reservation.id, "recipient": reservation.phone,
        "language": reservation.language, "secret": None, "status": "pending", "attempts": 0,
        "next_attempt_at": now, "created_at": now,
    }, ["dedupe_key"])


def enqueue_closure_notice(session, reservation: Reservation, closure_id: int, now: datetime) -> None:
    """Queue the notice that an emergency closure cancelled a reservation (the reason and
    a link to book again); a pending confirmation loses its token, as in any cancellation.
    The key names the closure (``closure:<closure id>:<reservation id>``): the message is
    written from it (services/closures.py ``closure_of_message``)."""
    _release_secrets(session, [reservation.id])
    _enqueue(session, CLOSURE, f"{CLOSURE}:{closure_id}:{reservation.id}", reservation, now)


def _release_secrets(session, reservation_ids) -> None:
    session.execute(update(OutboxMessage).where(
        OutboxMessage.reservation_id.in_(list(reservation_ids)), OutboxMessage.secret.is_not(None))
        .values(secret=None).execution_options(synchronize_session=False))


def get_due_ids(session, now: datetime, limit: int = 50) -> list[int]:
    """Ids of messages due for a try, oldest first (a hint: each must still be claimed)."""
    return list(session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))


def claim(session, message_id: int, now: datetime) -> bool:
    """Take one message for sending; False when another sender has it or it is done."""
    result = session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def new_message_id(dedupe_key: str, domain: str) -> str:
    """A Message-ID for an outbox row's first send: unique per message (the dedupe key is
    unique in the table; 64 random bits keep it unique across databases, such as a test
    instance sending from the same domain) and kept in ``message_id`` for every re-send."""
    return f"<{dedupe_key.replace(':', '.')}.{secrets.token_hex(8)}@{domain}>"


def record_interrupted_send(session, message: OutboxMessage) -> bool:
    """Called with a freshly claimed message: if an earlier sender marked it as being sent
    and never recorded the outcome (it died mid-send; its claim expired), count that
    interrupted send and return True: sending it again may deliver a duplicate, which
    carries the same Message-ID."""
    if message.sending_since is None:
        return False
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(
        interrupted_sends=OutboxMessage.interrupted_sends + 1, sending_since=None)
        .execution_options(synchronize_session=False))
    return True


def mark_sending(session, message_id: int, header_message_id: str, now: datetime) -> None:
    """The SMTP conversation is about to start (commit this first): remember since when,
    and the Message-ID the e-mail goes out with."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        sending_since=now, message_id=header_message_id)
        .execution_options(synchronize_session=False))


def mark_sent(session, message_id: int, now: datetime) -> None:
    """The message left: forget the token."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        status="sent", sent_at=now, claimed_until=None, sending_since=None, secret=None,
        last_error=None)
        .execution_options(synchronize_session=False))


def mark_skipped(session, message_id: int, reason: str) -> None:
    """Nothing to send any more (cancelled before its confirmation left, data purged…)."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        status="skipped", claimed_until=None, sending_since=None, secret=None, last_error=reason)
        .execution_options(synchronize_session=False))


def retry_delay(attempts: int) -> timedelta:
    """1 min, 2, 4, 8 … after each failure, at most 6 hours."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def mark_failed(session, message_id: int, attempts: int, error: str, now: datetime) -> None:
    """A try failed: retry later with back-off, or give up (and forget the token)."""
    values: dict = {"claimed_until": None, "sending_since": None, "last_error": error[:500],
                    "next_attempt_at": now + retry_delay(attempts)}
    if attempts >= MAX_ATTEMPTS:
        values.update(status="failed", secret=None)
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
                    .execution_options(synchronize_session=False))


def forget_recipients(session, reservation_ids) -> None:
    """Purge: the addresses and tokens of a reservation's messages go with its personal data."""
    session.execute(update(OutboxMessage).where(
        OutboxMessage.reservation_id.in_(list(reservation_ids)))
        .values(recipient=None, secret=None).execution_options(synchronize_session=False))

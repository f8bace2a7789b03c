"""E-mail to residents: the confirmation (QR code and .ics attached), the day-before
reminder, the notices of a move and of a cancellation, the notice of an emergency
closure (services/closures.py: the reason and a link to book again), each in the
resident's language, and the SMTP connection that sends them.

Messages are rendered when the outbox job sends them, from the reservation as it is then
(a reminder for a reservation cancelled meanwhile is skipped). Links use
``PUBLIC_BASE_URL``. Only the confirmation carries the manage link: its token travels in
the outbox row until the message is sent (see services/outbox.py).

Residents who left only a phone number get the day-before reminder as a text message
(``SMS_REMINDER``) through the SMS gateway, the one place an SMS provider plugs in
(``SmsGateway``, chosen by ``SMS_GATEWAY``). Until one is configured the default,
``NoSmsGateway``, sends nothing and says so: the row is recorded as skipped and the
resident stays on the staff's call list (services/call_list.py).
"""
from __future__ import annotations

import importlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol
from email.message import EmailMessage
from email.utils import formataddr, format_datetime as rfc2822_date
from urllib.parse import urlsplit

from flask import render_template
from flask_babel import force_locale, gettext as _

from . import i18n
from .links import base_url, check_in_payload, manage_url, qr_png
from .models import OutboxMessage, Reservation, ReservationStatus
from .services import closures, outbox

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- .ics

def _ics_escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _ics_fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, never splitting a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def ics_calendar(reservation: Reservation, now: datetime, config, url: str | None = None) -> bytes:
    """An iCalendar file with the visit, in the current locale's words. Its UID is the
    same wherever it comes from (mail or download), so calendars update one event."""
    host = urlsplit(base_url(config)).hostname or "localhost"
    place = i18n.localised(reservation.location)
    service = i18n.localised(reservation.service)
    description = _("Reservation code: %(code)s", code=reservation.code)
    bring = i18n.localised(reservation.service, "bring")
    if bring:
        description += "\n" + _("What to bring: %(bring)s", bring=bring)
    if url:
        description += "\n" + _("Manage your reservation: %(url)s", url=url)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//City Hall//Counter reservations//EN",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:reservation-{reservation.code}@{host}",
        f"DTSTAMP:{_utc(now)}",
        # A move must replace the event in the resident's calendar, not add one.
        f"SEQUENCE:{int(now.timestamp()) - int(reservation.created_at.timestamp())}",
        f"DTSTART:{_utc(reservation.starts_at)}",
        f"DTEND:{_utc(reservation.ends_at)}",
        f"SUMMARY:{_ics_escape(service + ' / ' + place)}",
        f"LOCATION:{_ics_escape(place)}",
        f"DESCRIPTION:{_ics_escape(description)}",
    ]
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(_ics_fold(line) for line in lines) + "\r\n").encode()


# ---------------------------------------------------------------- messages

def _skip_reason(message: OutboxMessage, reservation: Reservation | None, now: datetime) -> str | None:
    if reservation is None or not message.recipient or reservation.purged_at is not None:
        return "no recipient any more"
    if message.template == outbox.CONFIRMATION and reservation.status == ReservationStatus.CANCELLED:
        return "cancelled before its confirmation was sent"
    if message.template == outbox.MOVED and reservation.status != ReservationStatus.BOOKED:
        return "no longer booked"
    if message.template in (outbox.REMINDER, outbox.SMS_REMINDER) and (
            reservation.status != ReservationStatus.BOOKED or not now < reservation.starts_at <= now + timedelta(days=2)):
        return "no longer due"
    return None


# Messages that are not about a reservation (a home-visit request, a waitlist entry):
# template → ``build(session, message, config, now) -> EmailMessage | str`` (the e-mail,
# or the reason there is nothing to send). The row names what it is about in its
# ``dedupe_key`` (``<template>:<id>…``), as the closure notice does.
OTHER_MESSAGES: dict = {}


def _register_other_messages() -> None:
    from .notify_outreach import MESSAGES as outreach_messages
    from .notify_waitlist import MESSAGES as waitlist_messages

    OTHER_MESSAGES.update(waitlist_messages)
    OTHER_MESSAGES.update(outreach_messages)


_register_other_messages()


def build_message(session, message: OutboxMessage, config, now: datetime) -> EmailMessage | TextMessage | str:
    """The e-mail (or text message) for an outbox row, or the reason there is nothing to send."""
    if message.template in OTHER_MESSAGES:
        return OTHER_MESSAGES[message.template](session, message, config, now)
    reservation = session.get(Reservation, message.reservation_id) if message.reservation_id else None
    reason = _skip_reason(message, reservation, now)
    if reason:
        return reason
    if message.template == outbox.SMS_REMINDER:
        return _sms_reminder(message, reservation)
    language = i18n.stored_language_of(message.language)
    with force_locale(language.locale):
        url = (manage_url(config, reservation.code, message.secret, language.code)
               if message.secret else None)
        context = {"r": reservation, "manage_url": url, "site_url": base_url(config),
                   "place": i18n.localised(reservation.location),
                   "service": i18n.localised(reservation.service),
                   "bring": i18n.localised(reservation.service, "bring"),
                   "when": i18n.when(reservation.starts_at),
                   "until": i18n.clock_time(reservation.ends_at),
                   "early": config["CHECKIN_EARLY_MINUTES"], "late": config["CHECKIN_LATE_MINUTES"],
                   "checkin_closes": i18n.clock_time(
                       reservation.starts_at + timedelta(minutes=config["CHECKIN_LATE_MINUTES"]))}
        subjects = {
            outbox.CONFIRMATION: _("Your reservation is confirmed (%(code)s)", code=reservation.code),
            outbox.REMINDER: _("Reminder: your visit tomorrow (%(code)s)", code=reservation.code),
            outbox.MOVED: _("Your reservation has been moved (%(code)s)", code=reservation.code),
            outbox.CANCELLATION: _("Your reservation has been cancelled (%(code)s)", code=reservation.code),
            closures.CLOSURE_TEMPLATE: _("Counters closed: your reservation is cancelled (%(code)s)",
                                         code=reservation.code),
        }
        if message.template == closures.CLOSURE_TEMPLATE:
            closure = closures.closure_of_message(session, message)
            context["reason"] = i18n.localised(closure, "reason") if closure is not None else ""
            context["rebook_url"] = closures.rebook_url(base_url(config), reservation, language.code)
        email = EmailMessage()
        email["Subject"] = subjects[message.template]
        email["From"] = formataddr((_("City Hall Citizens' Division"), config["MAIL_DEFAULT_SENDER"]))
        email["To"] = message.recipient
        email["Date"] = rfc2822_date(now)
        # Chosen at the first send and kept in the row (outbox.mark_sending): a re-send
        # after a crash goes out under the same Message-ID, recognisably the same message.
        domain = config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or "localhost"
        email["Message-ID"] = message.message_id or outbox.new_message_id(message.dedupe_key, domain)
        email.set_content(render_template(f"mail/{message.template}.txt", **context))
        if message.template not in (outbox.CANCELLATION, closures.CLOSURE_TEMPLATE):
            email.add_attachment(qr_png(check_in_payload(config, reservation.code)), maintype="image",
                                 subtype="png", filename=f"reservation-{reservation.code}.png")
        if message.template in (outbox.CONFIRMATION, outbox.MOVED):
            email.add_attachment(ics_calendar(reservation, now, config, url), maintype="text",
                                 subtype="calendar", filename=f"reservation-{reservation.code}.ics",
                                 params={"method": "PUBLISH"})
        # After the attachments: making the message multipart moves Content-* headers down.
        email["Content-Language"] = language.tag
    return email


# ---------------------------------------------------------------- SMS

@dataclass(frozen=True)
class TextMessage:
    """A text message to a phone: its number, its words and an id to recognise a re-send."""

    to: str
    text: str
    message_id: str
    reservation_code: str  # for the log: the number is personal data, the code is not

    def __getitem__(self, header: str) -> str:
        # The outbox job records a Message-ID before sending, as for an e-mail.
        if header != "Message-ID":
            raise KeyError(header)
        return self.message_id


class SmsNotSent(Exception):
    """The gateway did not send the message and will not: nothing to retry."""


class SmsGateway(Protocol):
    """Where an SMS provider plugs in: ``send`` hands one message over or raises
    (``SmsNotSent`` when retrying cannot help; anything else is retried with back-off,
    as a mail server's failure is). A provider's class is named in ``SMS_GATEWAY``
    (``package.module:Class``) and built with the app's config."""

    def send(self, message: TextMessage) -> None: ...


class NoSmsGateway:
    """The default while no provider is configured: sends nothing and says so (the
    reservation's code in the log, never the number). The resident is on the call list."""

    def __init__(self, config=None):
        self.config = config

    def send(self, message: TextMessage) -> None:
        log.info("reservation %s: no SMS provider is configured, the reminder was not sent "
                 "(the resident is on the staff's call list)", message.reservation_code)
        raise SmsNotSent("no SMS provider is configured: on the staff's call list")


def sms_gateway(config) -> SmsGateway:
    """The gateway ``SMS_GATEWAY`` names, or ``NoSmsGateway``."""
    name = config.get("SMS_GATEWAY") or ""
    if not name:
        return NoSmsGateway(config)
    module, _sep, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)(config)


def _sms_reminder(message: OutboxMessage, reservation: Reservation) -> TextMessage:
    language = i18n.stored_language_of(message.language)
    with force_locale(language.locale):
        text = _("City Hall Citizens' Division: a reminder of your reservation %(code)s, %(when)s, "
                 "%(service)s at %(place)s. To cancel or change it, please call us.",
                 code=reservation.code, when=i18n.when(reservation.starts_at),
                 service=i18n.localised(reservation.service), place=i18n.localised(reservation.location))
    return TextMessage(message.recipient, text, message.message_id or f"sms-{message.dedupe_key}",
                       reservation.code)


# ---------------------------------------------------------------- SMTP

class Mailer:
    """One SMTP connection, opened on the first message and reused for the batch."""

    def __init__(self, config):
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                            timeout=config.get("MAIL_TIMEOUT", 10))
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        return smtp

    def send(self, email: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(email)
        except OSError as error:  # smtplib's errors are OSErrors too
            if not is_message_error(error):
                self.close()  # the connection is gone or broken: the next message reconnects
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def is_message_error(error: Exception) -> bool:
    """The server refused this message (a recipient, its size…); otherwise the server
    itself is unreachable or broken, and the rest of the batch can wait."""
    return isinstance(error, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                              smtplib.SMTPDataError))


def describe_error(error: Exception) -> str:
    """What went wrong, without the addresses an SMTP reply may quote."""
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__}" + (f" {code}" if code else "")

"""The e-mails of the waitlist (services/waitlist.py), registered in notify.py's
``OTHER_MESSAGES``: ``waitlist_joined`` (you are on the list, with the link to leave it)
and ``waitlist_offer`` (a seat is held for you until …, with the link to book it).

Each is written when the outbox job sends it, in the resident's language, from the entry
or hold its ``dedupe_key`` names; an offer whose hold has already ended is not sent. The
links carry the clear token the outbox row keeps until it is sent (services/outbox.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, format_datetime as rfc2822_date

from flask import render_template
from flask_babel import force_locale, gettext as _

from . import i18n
from .links import base_url, waitlist_offer_path, waitlist_path
from .models import Location, OutboxMessage, SeatHold, WaitlistEntry
from .models.waitlist import ACTIVE_ENTRY_STATUSES, HOLD_OFFERED
from .services import outbox, waitlist


def _id_in_key(message: OutboxMessage) -> int | None:
    template, _sep, rest = message.dedupe_key.partition(":")
    return int(rest) if template == message.template and rest.isdigit() else None


def _email(message: OutboxMessage, config, now: datetime, subject: str, body: str) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = formataddr((_("City Hall Citizens' Division"), config["MAIL_DEFAULT_SENDER"]))
    email["To"] = message.recipient
    email["Date"] = rfc2822_date(now)
    domain = config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or "localhost"
    email["Message-ID"] = message.message_id or outbox.new_message_id(message.dedupe_key, domain)
    email.set_content(body)
    return email


def _context(session, entry: WaitlistEntry, config) -> dict:
    return {"entry": entry, "site_url": base_url(config),
            "place": i18n.localised(session.get(Location, entry.location_id)),
            "service": i18n.localised(entry.service), "day": i18n.day(entry.day)}


def build_joined(session, message: OutboxMessage, config, now: datetime) -> EmailMessage | str:
    """You are on the waitlist of <day>; we write when a seat frees; the link to leave."""
    entry_id = _id_in_key(message)
    entry = session.get(WaitlistEntry, entry_id) if entry_id else None
    if entry is None or entry.purged_at is not None or not message.recipient:
        return "no recipient any more"
    if entry.status not in ACTIVE_ENTRY_STATUSES:
        return "no longer on the waitlist"
    language = i18n.stored_language_of(message.language)
    with force_locale(language.locale):
        context = _context(session, entry, config)
        context["leave_url"] = (f"{base_url(config)}{waitlist_path(entry.id, message.secret)}&lang={language.code}"
                                if message.secret else None)
        email = _email(message, config, now, _("You are on the waitlist for %(day)s", day=context["day"]),
                       render_template("mail/waitlist_joined.txt", **context))
        email["Content-Language"] = language.tag
    return email


def build_offer(session, message: OutboxMessage, config, now: datetime) -> EmailMessage | str:
    """A seat is held for you until <time>: the link to book it (or to let it go)."""
    hold_id = _id_in_key(message)
    hold = session.get(SeatHold, hold_id) if hold_id else None
    if hold is None or not message.recipient or not message.secret:
        return "no recipient any more"
    entry = hold.entry
    if entry.purged_at is not None:
        return "no recipient any more"
    if waitlist.hold_state(hold, now) != HOLD_OFFERED:
        return "the seat is no longer held"
    language = i18n.stored_language_of(message.language)
    with force_locale(language.locale):
        context = _context(session, entry, config)
        context.update(
            offer_url=f"{base_url(config)}{waitlist_offer_path(hold.id, message.secret)}&lang={language.code}",
            when=i18n.when(hold.starts_at),
            until=i18n.clock_time(hold.starts_at + timedelta(minutes=hold.service.duration_minutes)),
            held_until=i18n.when(hold.expires_at), minutes=max(int((hold.expires_at - now).total_seconds() // 60), 1))
        email = _email(message, config, now, _("A seat is free for you: %(when)s", when=context["when"]),
                       render_template("mail/waitlist_offer.txt", **context))
        email["Content-Language"] = language.tag
    return email


MESSAGES = {waitlist.JOINED: build_joined, waitlist.OFFER: build_offer}

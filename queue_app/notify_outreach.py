"""The e-mails of a home-visit request (出張申請), in the applicant's language: the
application was received, the visit is scheduled (with what to prepare, as the city's
page lists it), the request is declined (with the reason).

Registered in ``notify.OTHER_MESSAGES``: the outbox job calls ``build`` for a row whose
template is one of services/outreach.py's ``TEMPLATES``; the row names the request in
its ``dedupe_key`` (``outreach_received:<id>``). Rendered when sent, from the request as
it is then: a scheduled-visit notice that a later change replaced, or a message of a
purged request, is skipped.
"""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, format_datetime as rfc2822_date

from flask import render_template
from flask_babel import force_locale, gettext as _

from . import i18n
from .links import base_url
from .models import OutboxMessage
from .models.outreach import OutreachStatus
from .services import outbox, outreach


def part_name(part: str) -> str:
    """Morning or afternoon, in the current language."""
    return _("Morning") if part == "am" else _("Afternoon")


def _skip_reason(request, message: OutboxMessage) -> str | None:
    if request is None or request.purged_at is not None or not message.recipient:
        return "no recipient any more"
    if message.template == outreach.SCHEDULED:
        if request.status != OutreachStatus.SCHEDULED:
            return "no longer scheduled"
        # Moved again since: only the latest notice goes out.
        stamp = message.dedupe_key.rsplit(":", 1)[-1]
        if request.scheduled_at is not None and stamp != str(int(request.scheduled_at.timestamp())):
            return "replaced by a later schedule"
    return None


def build(session, message: OutboxMessage, config, now: datetime) -> EmailMessage | str:
    """The e-mail for an outbox row of a home-visit request, or why there is none."""
    request = outreach.request_of_message(session, message)
    reason = _skip_reason(request, message)
    if reason:
        return reason
    language = i18n.stored_language_of(message.language)
    with force_locale(language.locale):
        context = {
            "o": request, "site_url": base_url(config),
            "candidates": [(i18n.day(day), part_name(part))
                           for day, part in outreach.candidate_days(request)],
            "when": i18n.when(request.visit_start) if request.visit_start else "",
        }
        subjects = {
            outreach.RECEIVED: _("Your home-visit application has been received (No. %(id)s)",
                                 id=request.id),
            outreach.SCHEDULED: _("Your home visit is scheduled (No. %(id)s)", id=request.id),
            outreach.DECLINED: _("About your home-visit application (No. %(id)s)", id=request.id),
        }
        email = EmailMessage()
        email["Subject"] = subjects[message.template]
        email["From"] = formataddr((_("City Hall Citizens' Division"), config["MAIL_DEFAULT_SENDER"]))
        email["To"] = message.recipient
        email["Date"] = rfc2822_date(now)
        domain = config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or "localhost"
        email["Message-ID"] = message.message_id or outbox.new_message_id(message.dedupe_key, domain)
        email.set_content(render_template(f"mail/{message.template}.txt", **context))
        email["Content-Language"] = language.tag
    return email


MESSAGES = {template: build for template in outreach.TEMPLATES}

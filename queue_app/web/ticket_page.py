"""``/tickets/{id}``: a resident's live place in the queue, on their phone.

The page shows the ticket's number at once; its script then reads
``GET /api/v1/tickets/{id}`` (position, estimated wait, status) and reads it again
whenever the place's ``/display`` room announces a change, and tells the resident,
loudly, when their number is called. The ticket id is the secret: nothing personal
is on the page.

Like the lobby, the page speaks Japanese first and a second language under it: English,
or the language the resident chose (``?lang=``, the picker, or the kiosk's choice carried
by the ticket's QR code). Both come from the catalogues; the script gets them as JSON.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import force_locale, gettext as _

from .. import i18n
from ..extensions import db
from ..models import Ticket

bp = Blueprint("ticket_page", __name__)


def _texts() -> dict[str, str]:
    """The page's words in the current locale; ``{name}`` marks what the script fills in."""
    return {
        "title": _("Ticket %(number)s", number="{number}"),
        "heading": _("Your number"),
        "turn": _("It's your turn"),
        "go_to": _("Please go to %(counter)s", counter="{counter}"),
        "counter": _("Counter %(number)s", number="{number}"),
        "ahead_label": _("People ahead of you"),
        "wait_label": _("Estimated wait"),
        "ahead_one": _("1 person"),
        "ahead_other": _("%(count)s people", count="{count}"),
        "wait_soon": _("You will be called soon"),
        "wait_minutes": _("about %(minutes)s min", minutes="{minutes}"),
        "wait_range": _("about %(low)s–%(high)s min", low="{low}", high="{high}"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Reconnecting…"),
        "updated": _("Updated %(time)s", time="{time}"),
        "alerts": _("Alert me with sound and vibration"),
        "alerts_on": _("You will hear a chime and feel a vibration when you are called."),
        "note": _("Keep this page open and wait in the waiting area. When it is your turn, this "
                  "page and the lobby screen will tell you."),
        "waiting": _("Please wait until your number is called."),
        "serving": _("You are being served at the counter."),
        "done": _("Your visit is complete. Thank you."),
        "no_show": _("You were not at the counter when called, so this ticket has ended. Please "
                     "speak to a member of staff."),
        "cancelled": _("This ticket has been cancelled. Please speak to a member of staff."),
        "call": _("Number %(number)s, please go to %(counter)s.", number="{number}",
                  counter="{counter}"),
        "recall": _("Calling again."),
    }


def texts_in(language: i18n.Language) -> dict[str, str]:
    with force_locale(language.locale):
        return {"lang": language.tag, "speech": language.speech, "code": language.code,
                **_texts()}


def second_language() -> i18n.Language:
    """The language under the Japanese: the resident's own, English for Japanese."""
    current = i18n.language()
    return i18n.find_language("en") if current.code == "ja" else current


@bp.get("/tickets/<ticket_id>")
def ticket(ticket_id: str):
    """The resident's ticket, kept up to date live."""
    if len(ticket_id) > 64:
        abort(404)
    found = db.session.get(Ticket, ticket_id)
    if found is None:
        abort(404)
    second = second_language()
    texts = {"ja": texts_in(i18n.DEFAULT), "second": texts_in(second)}
    with force_locale(second.locale):
        place, service = i18n.localised(found.location), i18n.localised(found.service)
    # Easy Japanese names places and procedures as Japanese does: say them once.
    names = {"place": "" if place == found.location.name_ja else place,
             "service": "" if service == found.service.name_ja else service}
    response = render_template("ticket_page/ticket.html", ticket=found, location=found.location,
                               service=found.service, texts=texts, names=names)
    return response, 200, {"Cache-Control": "no-store"}

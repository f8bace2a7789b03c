"""``/tickets/{id}``: a resident's live place in the queue, on their phone.

The page shows the ticket's number at once; its script then reads
``GET /api/v1/tickets/{id}`` (position, estimated wait, status) and reads it again
whenever the place's ``/display`` room announces a change, and tells the resident,
loudly, when their number is called. The ticket id is the secret: nothing personal
is on the page.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from ..extensions import db
from ..models import Ticket

bp = Blueprint("ticket_page", __name__)


@bp.get("/tickets/<ticket_id>")
def ticket(ticket_id: str):
    """The resident's ticket, kept up to date live."""
    if len(ticket_id) > 64:
        abort(404)
    found = db.session.get(Ticket, ticket_id)
    if found is None:
        abort(404)
    response = render_template("ticket_page/ticket.html", ticket=found,
                               location=found.location, service=found.service)
    return response, 200, {"Cache-Control": "no-store"}

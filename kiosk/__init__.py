"""The lobby kiosk: a touch page where residents scan their reservation's QR code or take
a walk-in number. It has no rules of its own: the page calls the API with the kiosk
device's bearer token (kept in the browser's localStorage, see the setup page).

Routes: ``/kiosk/<location>`` the kiosk, ``/kiosk/<location>/setup`` where staff paste
the device token once, ``/kiosk/<location>/device`` which tells the setup page whether
a token is a kiosk token of this place, and ``/kiosk/qr.png?ticket=`` the QR code of a
ticket's follow-the-queue page.
"""
from __future__ import annotations

import io
import re

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file
from sqlalchemy import select

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk/static")

# Ticket ids are random URL-safe strings (models/tickets.py: String(32)).
_TICKET_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
# How long a ticket or a refusal stays on screen before the start screen returns.
DEFAULT_RESET_SECONDS = 30


def _location_or_404(slug: str):
    from queue_app.extensions import db
    from queue_app.services.errors import UnknownPlace
    from queue_app.services.places import get_location

    try:
        return get_location(db.session, slug)
    except UnknownPlace:
        abort(404)  # a page: the HTML 404, not the API's problem+json


def _reset_seconds() -> int:
    """``?reset=N`` shortens the return-to-start timeout (demos, tests); clamped."""
    raw = request.args.get("reset", "")
    return max(3, min(int(raw), 600)) if raw.isdigit() else DEFAULT_RESET_SECONDS


@bp.get("/kiosk/<location>")
def kiosk_page(location: str):
    """The kiosk's touch screen for one place."""
    from queue_app.extensions import db
    from queue_app.models import Location

    place = _location_or_404(location)
    # Names of every place, so a wrong_location refusal can say where to go.
    places = {p.slug: p.name() for p in db.session.scalars(select(Location))}
    return render_template(
        "kiosk/kiosk.html", place=place, places=places, reset_seconds=_reset_seconds(),
        early_minutes=current_app.config["CHECKIN_EARLY_MINUTES"],
        late_minutes=current_app.config["CHECKIN_LATE_MINUTES"])


@bp.get("/kiosk/<location>/setup")
def setup_page(location: str):
    """Staff paste the kiosk's device token here once; it stays in this browser."""
    place = _location_or_404(location)
    return render_template("kiosk/setup.html", place=place)


@bp.get("/kiosk/<location>/device")
def check_device(location: str):
    """Whether the bearer token is a kiosk token of this place (the setup page asks)."""
    from queue_app.extensions import db
    from queue_app.services.accounts import device_for_token

    place = _location_or_404(location)
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    device = device_for_token(db.session, token) if token else None
    if device is None or device.kind != "kiosk":
        return jsonify(ok=False, reason="unknown_token"), 401
    if device.location_id != place.id:
        return jsonify(ok=False, reason="wrong_location", location=device.location.slug), 403
    return jsonify(ok=True, device=device.name, location=place.slug)


@bp.get("/kiosk/qr.png")
def ticket_qr():
    """A PNG QR code of the ticket's page, for the resident to follow the queue on a phone;
    ``&lang=`` (the second language chosen at the kiosk) opens that page in it."""
    from queue_app.extensions import db
    from queue_app.i18n import find_language
    from queue_app.links import qr_png, ticket_url
    from queue_app.models import Ticket

    ticket_id = request.args.get("ticket", "")
    if not _TICKET_ID.match(ticket_id) or db.session.get(Ticket, ticket_id) is None:
        abort(404)
    language = find_language(request.args.get("lang"))
    png = qr_png(ticket_url(current_app.config, ticket_id, language.code if language else None))
    # The ticket id is the secret of the page; keep the image out of shared caches.
    response = send_file(io.BytesIO(png), mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

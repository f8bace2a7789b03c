"""The lobby display: ``/display/{location}``, a full-screen page that follows the place's
``/display`` Socket.IO room (see queue_app/realtime.py). It holds no rules of its own:
the page shows numbers and counters only, never a name."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/display/static")


@bp.get("/display/<location>")
def screen(location: str):
    """The lobby screen of one place."""
    from queue_app.extensions import db
    from queue_app.services.errors import UnknownPlace
    from queue_app.services.places import get_location

    try:
        place = get_location(db.session, location)
    except UnknownPlace:
        abort(404)  # a page: the HTML 404, not the API's problem+json
    return render_template("display/screen.html", location=place)

"""Pages a clerk prints for residents reached by phone or at the counter (staff only):

- the confirmation slip of a reservation booked at the counter or on the phone
  (窓口・電話予約): A6, with the code, time, place, what to bring and the QR code the
  lobby kiosk reads;
- the call list (電話連絡リスト) of a day: the residents who left only a phone number,
  to remind them or to tell them an emergency closure cancelled their visit
  (services/call_list.py). Tomorrow's by default.
"""
from __future__ import annotations

import base64

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from datetime import date, timedelta

from .. import clock
from ..extensions import db
from ..links import check_in_payload, qr_png
from ..models import Reservation
from ..api.auth import STAFF_ROLES
from ..services import calendar, call_list, office

bp = Blueprint("caller", __name__, url_prefix="/staff")


def _staff_or_refuse():
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    if current_user.role not in STAFF_ROLES:
        abort(403)
    return None


@bp.get("/reservations/<code>/slip")
def slip(code: str):
    refused = _staff_or_refuse()
    if refused is not None:
        return refused
    reservation = db.session.scalar(select(Reservation).where(Reservation.code == code[:20].upper()))
    if reservation is None:
        abort(404)
    qr = base64.b64encode(qr_png(check_in_payload(current_app.config, reservation.code))).decode()
    return render_template("staff/slip.html", r=reservation, qr=qr), 200, {"Cache-Control": "no-store"}


@bp.get("/call-list")
def calls():
    """The day's phone-only residents to call, printable (tomorrow's by default)."""
    refused = _staff_or_refuse()
    if refused is not None:
        return refused
    places = office.get_locations(db.session)
    if not places:
        abort(404)
    location = next((p for p in places if p.slug == request.args.get("location")), places[0])
    tomorrow = calendar.today(clock.now()) + timedelta(days=1)
    try:
        day = date.fromisoformat(request.args.get("date", "")[:10])
    except ValueError:
        day = tomorrow
    rows = call_list.get_call_list(db.session, location, day)
    return render_template("staff/call_list.html", rows=rows, day=day, location=location, places=places,
                           tomorrow=tomorrow, weekday="月火水木金土日"[day.weekday()]), 200, \
        {"Cache-Control": "no-store"}

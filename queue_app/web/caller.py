"""The confirmation slip a clerk prints for a resident booked at the counter or on the
phone (窓口・電話予約): A6, with the reservation's code, time, place, what to bring and
the QR code the lobby kiosk reads. Staff only (it is printed at the counter)."""
from __future__ import annotations

import base64

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..links import check_in_payload, qr_png
from ..models import Reservation
from ..api.auth import STAFF_ROLES

bp = Blueprint("caller", __name__, url_prefix="/staff")


@bp.get("/reservations/<code>/slip")
def slip(code: str):
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.path))
    if current_user.role not in STAFF_ROLES:
        abort(403)
    reservation = db.session.scalar(select(Reservation).where(Reservation.code == code[:20].upper()))
    if reservation is None:
        abort(404)
    qr = base64.b64encode(qr_png(check_in_payload(current_app.config, reservation.code))).decode()
    return render_template("staff/slip.html", r=reservation, qr=qr), 200, {"Cache-Control": "no-store"}

"""Turn models into the contract's JSON shapes."""
from __future__ import annotations

from urllib.parse import quote

from flask import current_app

from ..links import base_url, check_in_payload, manage_path


def reservation_json(reservation, token: str) -> dict:
    """The Reservation object; ``token`` is the caller's (never stored in clear)."""
    code = reservation.code
    base = base_url(current_app.config)
    return {
        "code": code,
        "token": token,
        "status": reservation.status,
        "location": reservation.location.slug,
        "service": reservation.service.slug,
        "start": reservation.starts_at,
        "end": reservation.ends_at,
        "name": reservation.name,
        "email": reservation.email,
        "phone": reservation.phone,
        "language": reservation.language,
        "proxy": reservation.proxy,
        "manage_url": base + manage_path(code, token),
        "qr_url": f"{base}/api/v1/reservations/{code}/qr.png?token={quote(token)}",
        "check_in_payload": check_in_payload(current_app.config, code),
    }

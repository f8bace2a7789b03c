"""Turn models into the contract's JSON shapes."""
from __future__ import annotations

from urllib.parse import quote

from flask import current_app, request

from ..services.credentials import sign_check_in


def base_url() -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def manage_path(code: str, token: str) -> str:
    return f"/reservations/{code}?token={quote(token)}"


def reservation_json(reservation, token: str) -> dict:
    """The Reservation object; ``token`` is the caller's (never stored in clear)."""
    code = reservation.code
    base = base_url()
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
        "check_in_payload": sign_check_in(code, current_app.config["SECRET_KEY"]),
    }

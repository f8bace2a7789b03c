"""Rate-limit keys for booking: per address (Flask-Limiter's default) and per contact.

A contact key is a hash of the normalised e-mail address or phone number, so the
limiter's storage (memory or Redis) holds no personal data.
"""
from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_limiter.util import get_remote_address

from .services.booking import normalise_phone


def booking_limit() -> str:
    return current_app.config["BOOKING_RATE_LIMIT"]


def contact_key() -> str:
    """``contact:<hash>`` of the e-mail (or else the phone) in the JSON body or form."""
    body = request.get_json(silent=True) if request.is_json else request.form
    body = body if isinstance(body, dict) or hasattr(body, "get") else {}
    email = str(body.get("email") or "").strip().lower()
    phone = normalise_phone(str(body.get("phone") or "")) or str(body.get("phone") or "").strip()
    contact = email or phone
    if not contact:
        return "address:" + get_remote_address()
    return "contact:" + hashlib.sha256(contact.encode()).hexdigest()[:32]

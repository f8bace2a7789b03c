"""The addresses and QR codes residents are given: one place for each, used by the API,
the pages, the kiosk and the e-mail alike.

Links use ``PUBLIC_BASE_URL`` when it is set (production, e-mail sent by the scheduler),
else the host of the request being served.
"""
from __future__ import annotations

import io
from urllib.parse import quote

import qrcode
from flask import has_request_context, request

from .services.credentials import sign_check_in

FALLBACK_BASE_URL = "http://localhost:5000"


def base_url(config) -> str:
    """Where residents reach the site: PUBLIC_BASE_URL, else this request's host."""
    if config.get("PUBLIC_BASE_URL"):
        return config["PUBLIC_BASE_URL"].rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return FALLBACK_BASE_URL


def manage_path(code: str, token: str) -> str:
    return f"/reservations/{code}?token={quote(token)}"


def manage_url(config, code: str, token: str, language: str) -> str:
    return f"{base_url(config)}{manage_path(code, token)}&lang={language}"


def ticket_url(config, ticket_id: str, language: str | None = None) -> str:
    """The resident's follow-the-queue page of a ticket (in a language: its ?lang= code)."""
    url = f"{base_url(config)}/tickets/{ticket_id}"
    return f"{url}?lang={quote(language)}" if language else url


def check_in_payload(config, code: str) -> str:
    """The text of a reservation's QR code: its code, signed; nothing personal."""
    return sign_check_in(code, config["SECRET_KEY"])


def qr_png(text: str) -> bytes:
    """The PNG QR code of ``text``: the same image on the page, in the e-mail, at the kiosk."""
    image = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def waitlist_path(entry_id: int, token: str) -> str:
    """A waitlist entry's page: where its resident sees their place and leaves the list."""
    return f"/waitlist/{entry_id}?token={quote(token)}"


def waitlist_offer_path(hold_id: int, token: str) -> str:
    """The page of a seat held for a resident on a waitlist: book it or let it go."""
    return f"/waitlist/offers/{hold_id}?token={quote(token)}"

"""Helpers for the resident-side tests: a real SMTP server (aiosmtpd) started by the
test, booking through the HTML form with its CSRF token, and reading QR codes."""
from __future__ import annotations

import email
import email.policy
import re
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from conftest import decode_qr, free_port, require  # noqa: F401  (decode_qr re-exported)
from queue_app.extensions import db
from queue_app.models import OutboxMessage, Reservation

PUBLIC_BASE_URL = "https://yoyaku.city.example.jp"


class _Collect:
    def __init__(self, sink: "SMTPSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.sink.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


class SMTPSink:
    """A real SMTP server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()
        self.refuse: set[str] = set()  # recipients answered "550 no such mailbox"
        self.controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)
        self.running = False

    def start(self) -> "SMTPSink":
        self.controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        """Poll until ``count`` messages arrived (or fail at the deadline)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


@pytest.fixture
def smtp():
    sink = SMTPSink().start()
    yield sink
    sink.stop()


def mail_config(port: int) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_TIMEOUT": 5,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL}


def send_outbox(app) -> dict:
    from queue_app import jobs

    with app.app_context():
        try:
            return jobs.send_outbox()
        finally:
            db.session.remove()


def outbox_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return rows


def reservation_row(app, code: str) -> Reservation:
    with app.app_context():
        row = db.session.scalar(select(Reservation).where(Reservation.code == code))
        db.session.expunge_all()
        return row


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def form_url(location="honcho", service="card-pickup", day="2027-01-14", hhmm="0900") -> str:
    return f"/book/{location}/{service}/{day}/{hhmm}"


def post_form(client, url: str, data: dict, lang: str | None = None, **kwargs):
    """GET the form page (for its CSRF token), then POST ``data`` to it."""
    page = client.get(url + (f"?lang={lang}" if lang else ""))
    assert page.status_code == 200, page.status_code
    body = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
    return client.post(url, data=body, **kwargs)


def book_form(client, lang: str | None = None, url: str | None = None, **fields):
    """Book through the HTML form; returns the response (a 303 on success)."""
    data = {"name": "山田 花子", "email": "hanako@example.jp", "phone": ""}
    data.update(fields)
    return post_form(client, url or form_url(), data, lang)


def manage_args(location_header: str) -> tuple[str, str]:
    """(code, token) from the confirmation redirect."""
    match = re.search(r"/reservations/([A-Z0-9-]+)/confirmed\?token=([^&]+)", location_header)
    assert match, location_header
    return match.group(1), match.group(2)


def attachments(message) -> dict[str, tuple[str, bytes]]:
    """filename -> (content type, bytes)."""
    return {part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
            for part in message.iter_attachments()}


def body_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()

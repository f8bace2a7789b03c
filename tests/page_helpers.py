"""Helpers for the browser tests of the kiosk and the staff console: a kiosk device, a
staff user, logging in through the real form, and reading the API as staff."""
from __future__ import annotations

import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from queue_app.extensions import db
from queue_app.services import accounts

PASSWORD = "correct horse battery"


def kiosk_token(app, location: str = "honcho") -> str:
    """A new kiosk device of ``location``; its bearer token."""
    with app.app_context():
        _device, token = accounts.create_device(
            db.session, f"kiosk-{uuid.uuid4().hex[:6]}", "kiosk", location, app.config["CLOCK"]())
        db.session.commit()
        return token


def staff_user(app, username: str | None = None) -> str:
    """A staff user with ``PASSWORD``; its username."""
    username = username or f"staff-{uuid.uuid4().hex[:6]}"
    with app.app_context():
        accounts.create_user(db.session, username, PASSWORD, "staff", app.config["CLOCK"]())
        db.session.commit()
    return username


def staff_bearer(server, username: str) -> dict:
    """Authorization headers of a staff token, obtained through POST /auth/token."""
    response = requests.post(f"{server.url}/api/v1/auth/token",
                             json={"username": username, "password": PASSWORD}, timeout=10)
    assert response.status_code in (200, 201), response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def kiosk_post(server, token: str, path: str, body: dict) -> requests.Response:
    return requests.post(f"{server.url}/api/v1{path}", json=body,
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)


def open_kiosk(page: Page, server, token: str | None, location: str = "honcho", query: str = "") -> None:
    """The kiosk page, set up once through its ``#token=`` fragment."""
    fragment = f"#token={token}" if token else ""
    page.goto(f"{server.url}/kiosk/{location}{query}{fragment}")


def log_in(page: Page, server, username: str, query: str = "?location=honcho") -> None:
    """Log in through the real form and land on the console."""
    page.goto(f"{server.url}/staff{query}")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator("#live")).to_have_attribute("data-state", "live", timeout=10000)


def waiting_numbers(page: Page) -> list[str]:
    return page.locator("#waiting-body tr").evaluate_all("rows => rows.map(r => r.dataset.number)")


# Chromium's own notes on the network, not script errors: an HTTP 4xx answer the page
# expects (a refusal), and a WebSocket the server closed while a frame of its was still
# on the way (the server drops a revoked display's socket; seen once in CI, 2026-12-03).
BROWSER_NOTES = ("Failed to load resource",)
TRANSPORT_NOTES = ("failed: Data frame received after close",)


def watch_errors(page: Page) -> list[str]:
    """Collect uncaught script errors and CSP refusals of ``page`` (``BROWSER_NOTES`` and
    ``TRANSPORT_NOTES`` are not errors of ours)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: errors.append(f"console: {message.text}")
            if message.type == "error" and not _browser_note(message.text) else None)
    return errors


def _browser_note(text: str) -> bool:
    return text.startswith(BROWSER_NOTES) or (text.startswith("WebSocket connection to")
                                              and text.endswith(TRANSPORT_NOTES))


@pytest.fixture(autouse=True)
def no_script_errors(request):
    """Every page of a test module importing this runs without a script error or a CSP
    refusal."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    errors = watch_errors(page)
    yield
    assert errors == [], errors

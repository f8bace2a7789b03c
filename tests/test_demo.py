"""The demo at any hour: a clock pinned with CLOCK_START (never in production), the
command that finds when the counters are next open, and a mail catcher whose log a
person can read."""
from __future__ import annotations

import importlib.util
import smtplib
import time
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from conftest import free_port
from queue_app import create_app
from queue_app.config import TOKYO, ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _load_demo_mail():
    spec = importlib.util.spec_from_file_location("demo_mail", ROOT / "scripts" / "demo_mail.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_clock_start_pins_the_clock_which_then_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("CLOCK_START", "2027-01-12T10:00:00+09:00")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                      "SCHEDULER_ENABLED": False})
    first = app.config["CLOCK"]()
    assert first.tzinfo is not None and first.utcoffset() == TOKYO.utcoffset(first)
    assert datetime(2027, 1, 12, 10, 0, tzinfo=TOKYO) <= first < datetime(2027, 1, 12, 10, 1, tzinfo=TOKYO)
    time.sleep(0.05)
    assert app.config["CLOCK"]() > first  # it runs at real speed from there


@pytest.mark.parametrize("value, message", [
    ("2027-01-12T10:00:00", "needs its offset"), ("next tuesday", "ISO 8601")])
def test_a_clock_start_that_is_not_a_full_time_is_refused(monkeypatch, tmp_path, value, message):
    monkeypatch.setenv("CLOCK_START", value)
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_clock_start_is_refused_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("CLOCK_START", "2027-01-12T10:00:00+09:00")
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConfigError, match="refused with APP_ENV=production"):
        create_app({"SCHEDULER_ENABLED": False})


@pytest.mark.parametrize("now, printed", [
    ((2027, 1, 9, 12, 0), "2027-01-12T09:00:00+09:00"),   # Saturday; Monday the 11th is 成人の日
    ((2027, 1, 12, 16, 50), "2027-01-13T09:00:00+09:00"),  # Tuesday, too near closing
    ((2027, 1, 12, 10, 0), ""),                            # open now: the real clock will do
])
def test_demo_time_names_the_next_opening(make_app, clock, now, printed):
    clock.set(*now)
    result = make_app().test_cli_runner().invoke(args=["demo-time"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == printed


def test_the_mail_catcher_writes_mail_a_person_can_read(tmp_path):
    demo_mail = _load_demo_mail()
    log = tmp_path / "demo-mail.log"
    port = free_port()
    controller = Controller(demo_mail.WriteToLog(log), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message = EmailMessage()
        message["From"], message["To"] = "noreply@city.example.jp", "resident@example.jp"
        message["Subject"] = "【予約完了】マイナンバーカード窓口のご予約"
        message.set_content("山田 花子 様\n\nご予約を承りました。予約番号: ABCD-2345\n", charset="utf-8",
                            cte="base64")
        message.add_attachment(b"BEGIN:VCALENDAR", maintype="text", subtype="calendar",
                               filename="reservation.ics")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()
    text = log.read_text(encoding="utf-8")
    assert "Subject: 【予約完了】マイナンバーカード窓口のご予約" in text
    assert "ご予約を承りました。予約番号: ABCD-2345" in text
    assert "Attachments: reservation.ics" in text
    assert "base64" not in text.lower()

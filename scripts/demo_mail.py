"""The demo's mail catcher: an SMTP server on 127.0.0.1 that writes every message it
receives to a log as a person reads it (headers, then the decoded text; attachments by
name), instead of the raw base64 that aiosmtpd's Debugging handler prints.

Usage:  .venv/bin/python scripts/demo_mail.py PORT LOGFILE   (runs until stopped)
"""
from __future__ import annotations

import email
import email.policy
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

from aiosmtpd.controller import Controller


def readable(raw: bytes) -> str:
    """One message as text: who, what, when, the plain-text body, the attachments."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    lines = [f"──────── received {datetime.now().isoformat(timespec='seconds')}"]
    for header in ("From", "To", "Subject", "Date"):
        if message[header]:
            lines.append(f"{header}: {message[header]}")
    body = message.get_body(preferencelist=("plain",))
    lines += ["", body.get_content().rstrip() if body is not None else "(no text part)"]
    names = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    if names:
        lines += ["", "Attachments: " + ", ".join(names)]
    return "\n".join(lines) + "\n\n"


class WriteToLog:
    def __init__(self, path: Path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.path.open("a", encoding="utf-8") as log:
            log.write(readable(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


def main() -> None:
    port, path = int(sys.argv[1]), Path(sys.argv[2])
    path.parent.mkdir(parents=True, exist_ok=True)
    controller = Controller(WriteToLog(path), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

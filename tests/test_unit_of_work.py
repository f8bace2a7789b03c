"""The request owns its transaction: a view that returns is committed once, a view that
raises leaves nothing behind, and no route commits by itself."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import AuditEntry
from queue_app.services.errors import Invalid

ROOT = Path(__file__).resolve().parent.parent


def _entry(now) -> AuditEntry:
    return AuditEntry(at=now, actor="test", action="unit-of-work", detail={})


def _entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "unit-of-work"))


def test_a_view_that_returns_is_committed_and_one_that_raises_is_rolled_back(make_app, clock):
    app = make_app(WTF_CSRF_ENABLED=False)

    @app.post("/_test/keep")
    def keep():
        db.session.add(_entry(clock()))
        return "kept"

    @app.post("/_test/fail")
    def fail():
        db.session.add(_entry(clock()))
        db.session.flush()  # written to the database, not yet committed
        raise Invalid("no")

    client = app.test_client()
    assert client.post("/_test/keep").status_code == 200
    assert client.post("/_test/fail").status_code == 422
    assert _entries(app) == 1


def test_no_route_commits_by_itself():
    offenders = []
    for folder in ("queue_app/api", "queue_app/web", "kiosk", "display"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"\.commit\(\)", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []

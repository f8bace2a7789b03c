"""The audit log of the counters: who did what to which ticket or counter, and when.

Entries name the actor (``user:3``, ``device:2``), the action and the ticket, never a
resident: ``detail`` holds numbers, states, procedures and counters only, so the log
can be kept as long as the city needs without keeping personal data.
"""
from __future__ import annotations

from datetime import datetime

from ..models import AuditEntry


def record(session, *, actor: str, action: str, now: datetime, location_id: int | None = None,
           ticket_id: str | None = None, reservation_code: str | None = None,
           detail: dict | None = None) -> AuditEntry:
    """Add one audit entry to the caller's transaction (it commits with the change)."""
    entry = AuditEntry(at=now, actor=actor, action=action, location_id=location_id,
                       ticket_id=ticket_id, reservation_code=reservation_code,
                       detail=dict(detail or {}))
    session.add(entry)
    return entry

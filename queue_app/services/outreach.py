"""Home-visit applications (出張申請): every rule of a request, from the application to
the purge of its personal data.

- ``validate_application`` (services/outreach_checks.py, re-exported here) checks what
  an applicant sent; the form and the API share it.
- ``submit_request`` stores it (one open request per contact: a partial unique index,
  checked first for a friendly answer) and queues the e-mail that says it was received.
- ``schedule_visit``, ``complete_visit`` and ``decline_request`` are the only moves of a
  request's state (``models/outreach.OUTREACH_MOVES``); each is audited (the request's
  id, its kind, how many applicants and the state: nothing personal) and the applicant
  is e-mailed in their language when they gave an address (else the staff page says to
  call them).
- ``get_visits`` lists the scheduled visits for the back-office calendar, without
  personal data; ``purge_personal_data`` clears names, addresses and contacts
  ``retention_days`` after a request was done or declined, as for reservations.

Nothing here commits: the request or the job does, once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..config import TOKYO
from ..models import OutboxMessage
from ..models.outreach import OPEN_OUTREACH, OUTREACH_MOVES, OutreachRequest, OutreachStatus
from . import audit
from .errors import Invalid, InvalidTransition, NotFound, OutreachPending
from .outreach_checks import (ADDRESS_MAX, CHANNELS, HORIZON_DAYS, KINDS, MAX_APPLICANTS, MAX_CANDIDATES,
                              MESSAGES, MIN_CANDIDATES, NAME_MAX, NOTE_MAX, PART_HOURS, PARTS, REASON_MAX,
                              STAFF_MAX, Application, day_problem, first_day, get_open_days, last_day,
                              normalise_postcode, refuse_my_number, text_of, validate_application)
from .upserts import insert_ignore

__all__ = [
    "ADDRESS_MAX", "CHANNELS", "HORIZON_DAYS", "KINDS", "MAX_APPLICANTS", "MAX_CANDIDATES", "MESSAGES",
    "MIN_CANDIDATES", "NAME_MAX", "NOTE_MAX", "PARTS", "REASON_MAX", "STAFF_MAX", "TEMPLATES",
    "Application", "Visit", "candidate_days", "complete_visit", "count_by_status", "day_problem",
    "decline_request", "first_day", "get_open_days", "get_request", "get_requests", "get_visits",
    "last_day", "normalise_postcode", "purge_personal_data", "request_of_message", "schedule_visit",
    "submit_request", "validate_application",
]

# E-mail templates (notify.OTHER_MESSAGES; queue_app/notify_outreach.py renders them).
RECEIVED, SCHEDULED, DECLINED = "outreach_received", "outreach_scheduled", "outreach_declined"
TEMPLATES = (RECEIVED, SCHEDULED, DECLINED)


@dataclass(frozen=True)
class Visit:
    """A scheduled (or done) visit for the back-office calendar: nothing personal."""

    id: int
    date: date
    start: datetime
    kind: str
    applicants: int
    express: bool
    status: str


# ---------------------------------------------------------------- submitting

def _find_open(session, email: str | None, phone: str | None) -> OutreachRequest | None:
    matches = []
    if email:
        matches.append(OutreachRequest.email == email)
    if phone:
        matches.append(OutreachRequest.phone == phone)
    return session.scalar(select(OutreachRequest).where(
        OutreachRequest.status.in_(OPEN_OUTREACH), or_(*matches)).limit(1))


def submit_request(session, application: Application, now: datetime,
                   actor: str = "resident") -> OutreachRequest:
    """Store a checked application as a ``new`` request, audit it and queue the e-mail
    that says it was received. ``OutreachPending`` while this contact already has a
    request being handled (new or scheduled)."""
    pending = ("This e-mail address or phone number already has a home-visit request being "
               "handled: the division will contact you about it.")
    if _find_open(session, application.email, application.phone) is not None:
        raise OutreachPending(pending)
    request = OutreachRequest(
        status=OutreachStatus.NEW, kind=application.kind, channel=application.channel,
        contact_name=application.contact_name, email=application.email, phone=application.phone,
        postcode=application.postcode, address=application.address, note=application.note,
        applicants=application.applicants, express=application.express,
        language=application.language,
        candidates=[{"date": day.isoformat(), "part": part} for day, part in application.candidates],
        created_at=now)
    try:
        with session.begin_nested():  # two submissions at once: the index decides
            session.add(request)
            session.flush()
    except IntegrityError:
        raise OutreachPending(pending) from None
    _audit(session, request, "outreach.submit", actor, now, channel=application.channel,
           candidates=len(application.candidates))
    _enqueue(session, RECEIVED, f"{RECEIVED}:{request.id}", request, now)
    return request


# ---------------------------------------------------------------- reading

def get_requests(session, status: str | None = None) -> list[OutreachRequest]:
    """The requests (of one status), the newest first; ``Invalid`` for an unknown status."""
    query = select(OutreachRequest)
    if status is not None:
        if status not in tuple(OutreachStatus):
            raise Invalid("Some fields are not valid: status", errors={
                "status": [f"Choose one of {', '.join(OutreachStatus)}."]})
        query = query.where(OutreachRequest.status == status)
    return list(session.scalars(query.order_by(OutreachRequest.created_at.desc(),
                                               OutreachRequest.id.desc())))


def count_by_status(session) -> dict[str, int]:
    """How many requests are in each state (the staff page's tabs)."""
    counts = dict(session.execute(select(OutreachRequest.status, func.count())
                                  .group_by(OutreachRequest.status)).all())
    return {status.value: counts.get(status.value, 0) for status in OutreachStatus}


def get_request(session, request_id: int, for_update: bool = False) -> OutreachRequest:
    """One request; ``for_update`` locks its row (PostgreSQL) before a move, so two clerks
    acting at once see each other's move instead of overwriting it."""
    request = (session.get(OutreachRequest, request_id, with_for_update=for_update, populate_existing=for_update)
               if isinstance(request_id, int) else None)
    if request is None:
        raise NotFound("No home-visit request has this id.")
    return request


def get_visits(session, first: date, last: date) -> list[Visit]:
    """The scheduled and done visits from ``first`` to ``last`` (both included), by
    start: for the back-office calendar. Nothing personal: no name, address or contact."""
    rows = session.scalars(select(OutreachRequest).where(
        OutreachRequest.status.in_((OutreachStatus.SCHEDULED, OutreachStatus.DONE)),
        OutreachRequest.visit_date >= first, OutreachRequest.visit_date <= last)
        .order_by(OutreachRequest.visit_start, OutreachRequest.id))
    return [Visit(r.id, r.visit_date, r.visit_start, r.kind, r.applicants, r.express, r.status)
            for r in rows]


def candidate_days(request: OutreachRequest) -> list[tuple[date, str]]:
    """The applicant's candidates as (date, part), in their order."""
    out = []
    for item in request.candidates or []:
        try:
            out.append((date.fromisoformat(item["date"]), item["part"]))
        except (KeyError, TypeError, ValueError):
            continue
    return out


# ---------------------------------------------------------------- the moves

def _move(request: OutreachRequest, move: str) -> str:
    allowed = OUTREACH_MOVES[move]
    if not allowed.allows(request.status):
        raise InvalidTransition(
            f"A home-visit request that is {request.status} cannot move by {move}; only one that "
            f"is {' or '.join(allowed.sources)} can.",
            request_status=request.status, allowed_from=[str(s) for s in allowed.sources])
    previous = request.status
    request.status = allowed.target
    return previous


def _audit(session, request: OutreachRequest, action: str, actor: str, now: datetime, **detail) -> None:
    audit.record(session, actor=actor, action=action, now=now, detail={
        "request": request.id, "kind": request.kind, "applicants": request.applicants,
        "status": request.status, **detail})


def schedule_visit(session, request: OutreachRequest, *, day: date, start: datetime,
                   staff: str | None, actor: str, now: datetime) -> OutreachRequest:
    """Fix the visit on one of the applicant's candidate dates, at ``start`` (within the
    part of the day they asked for), with the staff who go; the applicant is e-mailed.
    A scheduled visit may be moved to another candidate the same way."""
    staff = text_of(staff) or None
    refuse_my_number({"staff": staff})
    errors: dict[str, list[str]] = {}
    parts = [part for candidate, part in candidate_days(request) if candidate == day]
    if not parts:
        errors["date"] = [MESSAGES["not_candidate"]]
    if start.tzinfo is None:
        errors["start"] = ["Give the start with its offset, e.g. 2027-02-03T10:00:00+09:00."]
    elif not date(2000, 1, 1) <= start.date() <= date(2199, 12, 31):
        errors["start"] = [MESSAGES["start_day"]]  # (and no time zone arithmetic at year 1)
    else:
        local = start.astimezone(TOKYO)
        if local.date() != day:
            errors.setdefault("start", []).append(MESSAGES["start_day"])
        elif parts and not any(PART_HOURS[p][0] <= local.time() < PART_HOURS[p][1] for p in parts):
            errors.setdefault("start", []).append(MESSAGES["start_part"])
        if start <= now:
            errors.setdefault("start", []).append(MESSAGES["start_past"])
    if staff is not None and len(staff) > STAFF_MAX:
        errors["staff"] = [MESSAGES["staff"]]
    if errors:
        raise Invalid("Some fields are not valid: " + ", ".join(sorted(errors)), errors=errors)
    previous = _move(request, "schedule")
    request.visit_date, request.visit_start, request.staff = day, start.astimezone(TOKYO), staff
    request.scheduled_at = now
    _audit(session, request, "outreach.schedule", actor, now, date=day.isoformat(),
           start=request.visit_start.isoformat(), moved=previous == OutreachStatus.SCHEDULED)
    _enqueue(session, SCHEDULED, f"{SCHEDULED}:{request.id}:{int(now.timestamp())}", request, now)
    return request


def decline_request(session, request: OutreachRequest, *, reason: str, actor: str,
                    now: datetime) -> OutreachRequest:
    """Decline a new or scheduled request with a reason; the applicant is e-mailed it."""
    reason = text_of(reason)
    refuse_my_number({"reason": reason})
    if not 1 <= len(reason) <= REASON_MAX:
        raise Invalid("Some fields are not valid: reason", errors={"reason": [MESSAGES["reason"]]})
    previous = _move(request, "decline")
    request.decline_reason = reason
    request.closed_at = now
    _audit(session, request, "outreach.decline", actor, now, previous=str(previous))
    _enqueue(session, DECLINED, f"{DECLINED}:{request.id}", request, now)
    return request


def complete_visit(session, request: OutreachRequest, *, actor: str, now: datetime) -> OutreachRequest:
    """The visit took place: the request is done (and its personal data will be purged)."""
    _move(request, "done")
    request.closed_at = now
    _audit(session, request, "outreach.done", actor, now)
    return request


# ---------------------------------------------------------------- e-mail and purge

def _enqueue(session, template: str, key: str, request: OutreachRequest, now: datetime) -> None:
    """Queue an e-mail to the applicant (none without an address: staff call them)."""
    if not request.email:
        return
    insert_ignore(session, OutboxMessage, {
        "dedupe_key": key, "template": template, "reservation_id": None,
        "recipient": request.email, "language": request.language, "secret": None,
        "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
    }, ["dedupe_key"])


def request_of_message(session, message: OutboxMessage) -> OutreachRequest | None:
    """The request an outbox row is about: its key is ``<template>:<id>[:…]``."""
    parts = (message.dedupe_key or "").split(":")
    if len(parts) < 2 or parts[0] not in TEMPLATES or not parts[1].isdigit():
        return None
    return session.get(OutreachRequest, int(parts[1]))


def _messages_of(request_ids):
    keys = []
    for template in TEMPLATES:
        for request_id in request_ids:
            keys.append(OutboxMessage.dedupe_key == f"{template}:{request_id}")
            keys.append(OutboxMessage.dedupe_key.startswith(f"{template}:{request_id}:", autoescape=True))
    return or_(*keys)


def purge_personal_data(session, now: datetime, retention_days: int) -> int:
    """Clear the name, address, postcode, contacts and note of requests done or declined
    more than ``retention_days`` ago (the reservations' retention), and the addresses of
    their e-mails; the rows stay for the statistics, marked with ``purged_at``."""
    cutoff = now - timedelta(days=retention_days)
    ids = list(session.scalars(select(OutreachRequest.id).where(
        OutreachRequest.purged_at.is_(None), OutreachRequest.closed_at.is_not(None),
        OutreachRequest.closed_at < cutoff,
        OutreachRequest.status.in_((OutreachStatus.DONE, OutreachStatus.DECLINED)))))
    purged = 0
    for start in range(0, len(ids), 200):
        chunk = ids[start:start + 200]
        purged += session.execute(update(OutreachRequest).where(
            OutreachRequest.id.in_(chunk), OutreachRequest.purged_at.is_(None))
            .values(contact_name=None, email=None, phone=None, postcode=None, address=None,
                    note=None, purged_at=now)
            .execution_options(synchronize_session=False)).rowcount
        session.execute(update(OutboxMessage).where(_messages_of(chunk))
                        .values(recipient=None, secret=None)
                        .execution_options(synchronize_session=False))
    return purged

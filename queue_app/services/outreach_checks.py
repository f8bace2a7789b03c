"""What a home-visit application (出張申請) may ask, checked in one place for the form and
the API: the kind, the contact person, an e-mail address and/or a phone number, the
address of the visit with its postcode, how many applicants, express issue or not, two
to five candidate dates with a morning or afternoon preference, each a weekday the
calendar of the main place (``honcho``) keeps open, from the day after tomorrow to
``HORIZON_DAYS`` ahead; and never a My Number. services/outreach.py holds the rest of a
request's life and re-exports these names.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import jpholiday
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from ..i18n import STORED_CODES
from ..models import Location
from . import calendar
from .booking import normalise_phone
from .errors import Invalid, MyNumberRejected
from .privacy import my_number_fields

MAIN_PLACE = "honcho"
KINDS = ("individual", "company", "group")
PARTS = ("am", "pm")
CHANNELS = ("online", "phone", "counter", "email")
MIN_CANDIDATES, MAX_CANDIDATES = 2, 5
MIN_LEAD_DAYS = 2  # not today, not tomorrow: the division needs time to plan
HORIZON_DAYS = 92  # about three months
MAX_APPLICANTS = 200
NAME_MAX, ADDRESS_MAX, NOTE_MAX, STAFF_MAX, REASON_MAX = 100, 300, 1000, 200, 500
# When each part of the day runs, for a visit's start: morning from opening to noon,
# afternoon from noon to closing.
PART_HOURS = {"am": (time(8, 30), time(12, 0)), "pm": (time(12, 0), time(17, 15))}

_POSTCODE = re.compile(r"^(\d{3})-?(\d{4})$")
_DASHES = re.compile(r"[\s\-‐‑‒–—―−ー－]+")

# The service's messages (English, as the API answers them); the pages translate them
# by these keys (web/outreach.py).
MESSAGES = {
    "kind": f"Choose one of {', '.join(KINDS)}.",
    "name": f"Enter the contact person's name (1 to {NAME_MAX} characters).",
    "email": "Enter a valid e-mail address.",
    "phone": "Enter a Japanese phone number, e.g. 090-1234-5678.",
    "contact": "Give an e-mail address or a phone number.",
    "postcode": "Enter the 7-digit postcode, e.g. 910-0001.",
    "address": f"Enter the address of the visit (1 to {ADDRESS_MAX} characters).",
    "applicants": f"Enter how many people will apply (1 to {MAX_APPLICANTS}).",
    "note": f"At most {NOTE_MAX} characters.",
    "language": f"Choose one of {', '.join(STORED_CODES)}.",
    "channel": f"Choose one of {', '.join(CHANNELS)}.",
    "count": f"Give {MIN_CANDIDATES} to {MAX_CANDIDATES} candidate dates.",
    "date": "Enter a date as YYYY-MM-DD.",
    "part": "Choose the morning (am) or the afternoon (pm).",
    "too_soon": "Choose a day from the day after tomorrow on.",
    "too_far": f"Choose a day within {HORIZON_DAYS} days.",
    "not_open": "The division does not make visits on this day (a weekend, a holiday or a closure).",
    "repeated": "This date and part of the day is already among the candidates.",
    "not_candidate": "The visit must be on one of the applicant's candidate dates.",
    "start_day": "The start must be on the chosen date.",
    "start_part": "The start is outside the part of the day the applicant asked for.",
    "start_past": "The start is in the past.",
    "staff": f"At most {STAFF_MAX} characters.",
    "reason": f"Give the reason (1 to {REASON_MAX} characters).",
}
_MY_NUMBER = ("Please do not enter your My Number (12-digit individual number). "
              "マイナンバー(12桁の個人番号)は入力しないでください。")


@dataclass(frozen=True)
class Application:
    """A request as checked by ``validate_application``: clean values only."""

    kind: str
    contact_name: str
    email: str | None
    phone: str | None
    postcode: str
    address: str
    applicants: int
    express: bool
    candidates: tuple[tuple[date, str], ...]
    note: str | None
    language: str = "ja"
    channel: str = "online"


# ---------------------------------------------------------------- the calendar

def first_day(now: datetime) -> date:
    return calendar.today(now) + timedelta(days=MIN_LEAD_DAYS)


def last_day(now: datetime) -> date:
    return calendar.today(now) + timedelta(days=HORIZON_DAYS)


def _main_place(session) -> Location | None:
    return session.scalar(select(Location).where(Location.slug == MAIN_PLACE))


def day_problem(session, day: date, now: datetime, place: Location | None = None) -> str | None:
    """Why ``day`` cannot be a visit's date (a key of ``MESSAGES``), or None: a weekday
    from the day after tomorrow to ``HORIZON_DAYS`` ahead on which the main place is
    open with its ordinary hours (no national holiday, no New Year closure, no closure
    of the whole day)."""
    if day < first_day(now):
        return "too_soon"
    if day > last_day(now):
        return "too_far"
    if day.weekday() >= 5 or calendar.is_new_year_closure(day) or jpholiday.is_holiday(day):
        return "not_open"
    place = place if place is not None else _main_place(session)
    if place is not None and not any(w.kind == "regular" for w in calendar.get_day(session, place, day).windows):
        return "not_open"
    return None


def get_open_days(session, now: datetime) -> list[date]:
    """The days a visit can be asked for, for the form's hint and the tests."""
    place = _main_place(session)
    days, day = [], first_day(now)
    while day <= last_day(now):
        if day_problem(session, day, now, place) is None:
            days.append(day)
        day += timedelta(days=1)
    return days


# ---------------------------------------------------------------- validation

def text_of(value) -> str:
    """A string, NFKC-normalised and stripped (anything else: empty)."""
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""


def normalise_postcode(raw) -> str | None:
    """``〒910-0001``, ``９１０－０００１``, ``9100001`` → ``910-0001``; None if not 7 digits."""
    text = text_of(raw).lstrip("〒").strip()
    text = _DASHES.sub("-", text)
    match = _POSTCODE.match(text)
    return f"{match.group(1)}-{match.group(2)}" if match else None


def refuse_my_number(texts: dict) -> None:
    held = my_number_fields(texts)
    if held:
        # The value never goes into the error or the logs; the field's name may.
        raise MyNumberRejected(_MY_NUMBER, errors={field: ["Do not enter a My Number here."]
                                                   for field in held})


def validate_application(session, raw: dict, now: datetime) -> Application:
    """Check an application (the API's body, or the form's fields in the same shape);
    ``MyNumberRejected`` or ``Invalid`` with every failing field named at once."""
    candidates_raw = raw.get("candidates") or []
    refuse_my_number({key: raw.get(key) for key in
                       ("contact_name", "email", "phone", "postcode", "address", "note")})
    errors: dict[str, list[str]] = {}

    def fail(field: str, key: str) -> None:
        errors.setdefault(field, []).append(MESSAGES[key])

    kind = raw.get("kind")
    if kind not in KINDS:
        fail("kind", "kind")
    name = text_of(raw.get("contact_name"))
    if not 1 <= len(name) <= NAME_MAX:
        fail("contact_name", "name")
    email = text_of(raw.get("email")) or None
    clean_email = None
    if email:
        try:
            clean_email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            fail("email", "email")
    phone = text_of(raw.get("phone")) or None
    clean_phone = None
    if phone:
        clean_phone = normalise_phone(phone)
        if clean_phone is None:
            fail("phone", "phone")
    if not email and not phone:
        fail("email", "contact")
    postcode = normalise_postcode(raw.get("postcode"))
    if postcode is None:
        fail("postcode", "postcode")
    address = text_of(raw.get("address"))
    if not 1 <= len(address) <= ADDRESS_MAX:
        fail("address", "address")
    applicants = raw.get("applicants")
    if isinstance(applicants, str) and text_of(applicants).isdigit():
        applicants = int(text_of(applicants))
    if isinstance(applicants, bool) or not isinstance(applicants, int) or not 1 <= applicants <= MAX_APPLICANTS:
        fail("applicants", "applicants")
    note = text_of(raw.get("note")) or None
    if note is not None and len(note) > NOTE_MAX:
        fail("note", "note")
    language = raw.get("language") or "ja"
    if language not in STORED_CODES:
        fail("language", "language")
    channel = raw.get("channel") or "online"
    if channel not in CHANNELS:
        fail("channel", "channel")
    candidates = _check_candidates(session, candidates_raw, now, fail)
    if errors:
        raise Invalid("Some fields are not valid: " + ", ".join(sorted(errors)), errors=errors)
    return Application(kind=kind, contact_name=name, email=clean_email, phone=clean_phone,
                       postcode=postcode, address=address, applicants=applicants,
                       express=bool(raw.get("express")), candidates=candidates, note=note,
                       language=language, channel=channel)


def _check_candidates(session, items, now: datetime, fail) -> tuple[tuple[date, str], ...]:
    if not isinstance(items, (list, tuple)) or not MIN_CANDIDATES <= len(items) <= MAX_CANDIDATES:
        fail("candidates", "count")
        return ()
    place = _main_place(session)
    seen: set[tuple[date, str]] = set()
    clean: list[tuple[date, str]] = []
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        day = item.get("date")
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                day = None
        part = item.get("part")
        where = f"candidates.{index}"
        if not isinstance(day, date) or isinstance(day, datetime):
            fail(f"{where}.date", "date")
            day = None
        if part not in PARTS:
            fail(f"{where}.part", "part")
            part = None
        if day is None:
            continue
        problem = day_problem(session, day, now, place)
        if problem:
            fail(f"{where}.date", problem)
            continue
        if part is None:
            continue
        if (day, part) in seen:
            fail(f"{where}.date", "repeated")
            continue
        seen.add((day, part))
        clean.append((day, part))
    return tuple(clean)

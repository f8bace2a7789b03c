"""The residents' information page (``/info``): opening hours, how to get to each place,
the division's telephone and the procedures that need no reservation.

Nothing here repeats what the data knows: the hours and windows are the places'
calendar rows (what the calendar service plans each day from), the extra closures come
from the calendar service, the walk-in procedures are the procedures that cannot be
reserved, each with the places that offer it and what to bring. Places have no address
in the data, so the directions of the demo places are catalogue text, keyed by slug.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from babel.lists import format_list
from flask import current_app, render_template
from flask_babel import format_date, get_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import i18n
from .. import clock
from ..extensions import db
from ..models import CalendarWindow, Location, Service
from ..services import calendar, calendar_rules
from .resident_pages import bp, policy

# How to find each demo place. A place an administrator adds later gets the general
# advice to call the division until its directions are written here.
DIRECTIONS = {
    "honcho": _l("The Citizens' Division counters are in the main building of City Hall. At the "
                 "counters, scan your reservation's QR code at the reception kiosk, or take a number "
                 "there if you have no reservation."),
    "awara": _l("The Awara Branch of the Citizens' Division is inside the Health Centre "
                "(保健センター). Please go to the branch's counter in the building and use the "
                "reception kiosk there."),
}

# The national line for a lost card (DOMAIN.md, the city's page): not the city's to set.
MY_NUMBER_HOTLINE = "0120-95-0178"

_MONDAY = date(2027, 1, 4)  # any Monday: weekday names come from the locale


def _weekday(index: int) -> str:
    return format_date(_MONDAY + timedelta(days=index), "EEEE")


def _clock(moment: time) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _span(starts: time, ends: time) -> str:
    return _("%(starts)s to %(ends)s", starts=_clock(starts), ends=_clock(ends))


def _series(items: list[str]) -> str:
    """"2nd and 4th" / 第2・第4: the joining words are catalogue strings."""
    if not items:
        return ""
    text = items[0]
    for index, item in enumerate(items[1:], start=1):
        if index == len(items) - 1:
            text = _("%(earlier)s and %(later)s", earlier=text, later=item)
        else:
            text = _("%(earlier)s, %(later)s", earlier=text, later=item)
    return text


def _days(weekdays: list[int]) -> str:
    if weekdays == [0, 1, 2, 3, 4]:
        return _("Weekdays (Monday to Friday)")
    return format_list([_weekday(day) for day in weekdays], locale=get_locale())


_ORDINALS = {1: _l("1st"), 2: _l("2nd"), 3: _l("3rd"), 4: _l("4th"), 5: _l("5th")}


def _recurrence(window: CalendarWindow) -> str | None:
    """When a window recurs, in words; None for a one-off window already past."""
    if window.on_date is not None:
        return i18n.day(window.on_date) if window.on_date >= calendar.today(clock.now()) else None
    weekday = _weekday(window.weekday)
    weeks = [int(w) for w in window.weeks_of_month.split(",") if w.strip()]
    if not weeks:
        return _("Every %(weekday)s", weekday=weekday)
    return _("%(weeks)s %(weekday)s of each month",
             weeks=_series([str(_ORDINALS.get(w, w)) for w in weeks]), weekday=weekday)


@dataclass
class Hours:
    days: str  # when: "Weekdays (Monday to Friday)", "Every Thursday"
    span: str  # the hours: "8:30 to 17:15"
    title: str = ""  # a window's name
    note: str = ""
    procedures: list[str] = field(default_factory=list)  # a window's procedures (empty: all)


@dataclass
class PlaceInfo:
    place: Location
    hours: list[Hours] = field(default_factory=list)
    closed: str = ""
    closures: str = ""
    directions: str = ""


def _place_info(place: Location) -> PlaceInfo:
    info = PlaceInfo(place)
    groups: dict[tuple, list[int]] = {}
    # The weekly plan in force today (the back office may have set another from a later date).
    for row in calendar_rules.get_hours_in_force(db.session, place, calendar.today(clock.now())):
        if row.weekday < 5:  # the calendar plans ordinary hours on weekdays only
            groups.setdefault((row.opens, row.closes, row.slots_from, row.slots_until), []).append(row.weekday)
    for (opens, closes, slots_from, slots_until), weekdays in groups.items():
        info.hours.append(Hours(_days(sorted(set(weekdays))), _span(opens, closes),
                                note=_("Reservations: %(span)s", span=_span(slots_from, slots_until))))

    windows = db.session.scalars(select(CalendarWindow).options(selectinload(CalendarWindow.services))
                                 .where(CalendarWindow.location_id == place.id)
                                 .order_by(CalendarWindow.kind.desc(), CalendarWindow.id)).all()
    holiday_window = False
    for window in windows:
        when = _recurrence(window)
        if when is None:
            continue
        if window.kind == "holiday":
            holiday_window = True
            title = _("Holiday window: by reservation only")
        else:
            title = _("Extended-hours window")
        note = _("By reservation only.") if window.reservation_only and window.kind != "holiday" else ""
        info.hours.append(Hours(when, _span(window.starts, window.ends), title, note, [
            i18n.localised(s) for s in sorted(window.services, key=lambda s: s.position)]))

    info.closed = (_("Closed on Saturdays, on Sundays other than the holiday-window days, on national "
                     "holidays (including substitute holidays) and over the New Year, 29 December to "
                     "3 January.") if holiday_window else
                   _("Closed on Saturdays, Sundays, national holidays (including substitute holidays) "
                     "and over the New Year, 29 December to 3 January."))
    today = calendar.today(clock.now())
    days = calendar.get_days(db.session, place, today, today + timedelta(days=policy().horizon_days))
    closures = [i18n.day(day) for day, plan in days.items() if plan.closed_reason == "closure"]
    info.closures = format_list(closures, locale=get_locale()) if closures else ""
    directions = DIRECTIONS.get(place.slug)
    info.directions = str(directions) if directions else _(
        "Please call the Citizens' Division for directions.")
    return info


def walk_in_procedures(places: list[Location]) -> list[dict]:
    """The procedures that cannot be reserved in ordinary hours, each with the places
    that offer it and, if so, the reservation-only window that takes bookings for it."""
    offered = {place.id: calendar.offered_services(db.session, place) for place in places}
    window_only: dict[int, list[Location]] = {}
    for window in db.session.scalars(select(CalendarWindow).options(selectinload(CalendarWindow.services))
                                     .where(CalendarWindow.reservation_only.is_(True))):
        for service in window.services:
            window_only.setdefault(service.id, []).append(window.location)
    result = []
    for service in db.session.scalars(select(Service).where(Service.reservable.is_(False))
                                      .order_by(Service.position)):
        where = [place for place in places if service.id in offered[place.id]]
        if not where:
            continue
        window_places = {place.id: place for place in window_only.get(service.id, [])}
        result.append({"service": service, "places": [i18n.localised(p) for p in where],
                       "window_places": [i18n.localised(p) for p in window_places.values()]})
    return result


@bp.get("/info")
def info():
    """Opening hours, directions, telephone and the procedures without reservation."""
    places = db.session.scalars(select(Location).order_by(Location.id)).all()
    return render_template(
        "booking/info.html", places=[_place_info(place) for place in places],
        walk_ins=walk_in_procedures(places), phone=current_app.config["CITY_PHONE"],
        hotline=MY_NUMBER_HOTLINE)

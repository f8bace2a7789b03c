"""The month calendar and the day's slots as the booking pages show them: each day
open / few left / full / closed (or not bookable yet or any more), holiday windows
marked reservation-only. What remains of each slot comes from the booking service
(``booking.get_availabilities``: one query for a whole month), as the API's does."""
from __future__ import annotations

import calendar as month_grid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from ..models import CalendarWindow, Location, Service
from ..services import booking, calendar

# A day with no more than this share of its seats left shows as "few left".
FEW_LEFT_SHARE = 0.25

OPEN, FEW, FULL, CLOSED, UNAVAILABLE = "open", "few", "full", "closed", "unavailable"


@dataclass
class DayCell:
    day: date
    status: str
    remaining: int = 0
    reservation_only: bool = False

    @property
    def bookable(self) -> bool:
        return self.status in (OPEN, FEW)


def get_day_slots(session, location: Location, service: Service, day: date, now, policy) -> tuple[dict, list[dict]]:
    """The day's availability and its slots, each marked ``bookable`` and ``full``."""
    availability = booking.get_availability(session, location, service, day, now, policy)
    slots = []
    for slot in availability["slots"]:
        bookable = booking.is_bookable(slot["start"], now, policy)
        slots.append({**slot, "bookable": bookable and slot["remaining"] > 0,
                      "full": bookable and slot["remaining"] == 0})
    return availability, slots


def _cell(day: date, reservation_only: bool, slots: list[dict], now, policy) -> DayCell:
    """A day's status from its slots (each with its capacity and what remains)."""
    if not slots:
        return DayCell(day, CLOSED)
    open_slots = [s for s in slots if booking.is_bookable(s["start"], now, policy)]
    if not open_slots:
        return DayCell(day, UNAVAILABLE, reservation_only=reservation_only)
    remaining = sum(s["remaining"] for s in open_slots)
    seats = sum(s["capacity"] for s in open_slots)
    if remaining == 0:
        status = FULL
    elif remaining <= seats * FEW_LEFT_SHARE:
        status = FEW
    else:
        status = OPEN
    return DayCell(day, status, remaining, reservation_only)


def _month_cells(session, location, service, days: list[date], now, policy) -> dict[date, DayCell]:
    """Each day's cell, from the availability of the whole month at once."""
    if not days:
        return {}
    every_day = calendar.get_days(session, location, min(days), max(days))
    availabilities = booking.get_availabilities(
        session, location, service, {day: every_day[day] for day in days}, now, policy)
    return {day: _cell(day, found["reservation_only"], found["slots"], now, policy)
            for day, found in availabilities.items()}


def bookable_months(now, policy) -> list[date]:
    """The first day of each month that holds a bookable day (this month to the horizon)."""
    first = calendar.today(now).replace(day=1)
    last = calendar.today(now) + timedelta(days=policy.horizon_days)
    months = [first]
    while (months[-1].year, months[-1].month) < (last.year, last.month):
        following = months[-1] + timedelta(days=32)
        months.append(following.replace(day=1))
    return months


def get_month(session, location, service, first: date, now, policy) -> list[list[DayCell | None]]:
    """Weeks (Monday first) of the month starting at ``first``; None pads the grid."""
    today = calendar.today(now)
    horizon = today + timedelta(days=policy.horizon_days)
    weeks = month_grid.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    in_reach = [day for week in weeks for day in week
                if day.month == first.month and today <= day <= horizon]
    cells = _month_cells(session, location, service, in_reach, now, policy)
    return [[None if day.month != first.month else cells.get(day, DayCell(day, UNAVAILABLE))
             for day in week] for week in weeks]


def reservable_services(session, location: Location) -> list[tuple[Service, bool]]:
    """Procedures that can be booked at ``location``, each with whether only its
    reservation-only (holiday) window takes bookings for it."""
    window_only: set[int] = set()
    for window in session.scalars(select(CalendarWindow).where(
            CalendarWindow.location_id == location.id, CalendarWindow.reservation_only.is_(True))):
        window_only.update(s.id for s in window.services)
    services = session.scalars(select(Service).order_by(Service.position)).all()
    result = []
    for service in services:
        if not calendar.reservation_capacity(session, location, service):
            continue
        if service.reservable:
            result.append((service, False))
        elif service.id in window_only:
            result.append((service, True))
    return result

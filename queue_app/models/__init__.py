"""The data model, one aggregate per module. Importing this registers every table."""
from .accounts import ApiToken, Device, LoginThrottle, User
from .audit import AuditEntry
from .calendar import CalendarWindow, Closure, OpeningHours, SlotCapacity
from .outbox import OutboxMessage
from .outreach import OutreachRequest, OutreachStatus
from .ops import SchedulerHeartbeat  # noqa: F401  (the heartbeat table of /readyz)
from .places import Counter, Location
from .reservations import Reservation, Slot
from .services import Service
from .staffing import CounterSession, StaffedHour, TurnedAway
from .states import (ACTIVE_STATUSES, AT_COUNTER, RESERVATION_MOVES, TICKET_MOVES, ReservationStatus,
                     TicketStatus)
from .waitlist import SeatHold, WaitlistEntry
from .tickets import (BAND_NAMES, BAND_PRIORITY, BAND_RESERVATION, BAND_WALK_IN, Ticket,
                      TicketNumberCounter)

__all__ = [
    "ACTIVE_STATUSES", "AT_COUNTER", "ApiToken", "AuditEntry", "BAND_NAMES",
    "BAND_PRIORITY", "BAND_RESERVATION", "BAND_WALK_IN", "CalendarWindow", "Closure",
    "Counter", "CounterSession", "Device", "Location", "LoginThrottle", "OpeningHours", "OutboxMessage",
    "RESERVATION_MOVES", "Reservation", "ReservationStatus", "Service", "Slot", "SlotCapacity", "StaffedHour",
    "TICKET_MOVES", "Ticket", "TicketNumberCounter", "TicketStatus", "TurnedAway", "User",
    "SeatHold", "WaitlistEntry",
    "OutreachRequest", "OutreachStatus",
]

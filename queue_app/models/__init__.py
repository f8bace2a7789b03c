"""The data model, one aggregate per module. Importing this registers every table."""
from .accounts import ApiToken, Device, LoginThrottle, User
from .audit import AuditEntry
from .calendar import CalendarWindow, Closure, OpeningHours
from .outbox import OutboxMessage
from .places import Counter, Location
from .reservations import ACTIVE_STATUSES, Reservation, Slot
from .services import Service
from .tickets import BAND_PRIORITY, BAND_RESERVATION, BAND_WALK_IN, Ticket, TicketNumberCounter

__all__ = [
    "ACTIVE_STATUSES", "ApiToken", "AuditEntry", "BAND_PRIORITY", "BAND_RESERVATION",
    "BAND_WALK_IN", "CalendarWindow", "Closure", "Counter", "Device", "Location",
    "LoginThrottle", "OpeningHours", "OutboxMessage", "Reservation", "Service", "Slot", "Ticket",
    "TicketNumberCounter", "User",
]

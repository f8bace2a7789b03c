"""The data model, one aggregate per module. Importing this registers every table."""
from .accounts import ApiToken, Device, LoginThrottle, User
from .audit import AuditEntry
from .calendar import CalendarWindow, Closure, OpeningHours
from .outbox import OutboxMessage
from .places import Counter, Location
from .reservations import Reservation, Slot
from .services import Service
from .states import (ACTIVE_STATUSES, AT_COUNTER, RESERVATION_MOVES, TICKET_MOVES, ReservationStatus,
                     TicketStatus)
from .tickets import (BAND_NAMES, BAND_PRIORITY, BAND_RESERVATION, BAND_WALK_IN, Ticket,
                      TicketNumberCounter)

__all__ = [
    "ACTIVE_STATUSES", "AT_COUNTER", "ApiToken", "AuditEntry", "BAND_NAMES",
    "BAND_PRIORITY", "BAND_RESERVATION", "BAND_WALK_IN", "CalendarWindow", "Closure",
    "Counter", "Device", "Location", "LoginThrottle", "OpeningHours", "OutboxMessage",
    "RESERVATION_MOVES", "Reservation", "ReservationStatus", "Service", "Slot",
    "TICKET_MOVES", "Ticket", "TicketNumberCounter", "TicketStatus", "User",
]

"""Typed domain errors. Each carries the contract's problem ``code`` and its HTTP status;
one handler in the API turns any of them into application/problem+json."""
from __future__ import annotations


class DomainError(Exception):
    status = 409
    code = "conflict"
    title = "Conflict"
    # A refusal that is itself a fact to keep (a walk-in turned away is counted): the
    # unit of work commits what the service recorded before the error is answered.
    keeps_record = False

    def __init__(self, detail: str = "", **extra):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


def _error(name: str, status: int, code: str, title: str) -> type[DomainError]:
    return type(name, (DomainError,), {"status": status, "code": code, "title": title})


# Reservations
SlotFull = _error("SlotFull", 409, "slot_full", "The slot is fully booked")
NotReservable = _error("NotReservable", 409, "not_reservable", "This slot cannot be reserved")
Duplicate = _error("Duplicate", 409, "duplicate",
                   "This contact already holds an active reservation for this procedure")
MyNumberRejected = _error("MyNumberRejected", 422, "my_number_rejected",
                          "Do not enter your My Number (individual number)")
Invalid = _error("Invalid", 422, "invalid", "The request is not valid")
NotFound = _error("NotFound", 404, "not_found", "Not found")


class UnknownPlace(NotFound):
    """No place has this slug (``places.get_location``): 404 ``not_found`` where the slug
    is part of the URL; a caller that took it from a request body answers 422 ``invalid``."""


AlreadyCancelled = _error("AlreadyCancelled", 409, "cancelled", "The reservation is cancelled")

# Check-in and tickets
Unknown = _error("Unknown", 404, "unknown", "This code is not a reservation of ours")
WrongDay = _error("WrongDay", 409, "wrong_day", "The reservation is for another day")
WrongLocation = _error("WrongLocation", 409, "wrong_location", "The reservation is for another place")
TooEarly = _error("TooEarly", 409, "too_early", "Check-in is not open yet")
TooLate = _error("TooLate", 409, "too_late", "Check-in has closed for this reservation")
ReservationOnly = _error("ReservationOnly", 409, "reservation_only",
                         "Today's window is by reservation only")
Closed = _error("Closed", 409, "closed", "The counters are closed now")
InvalidTransition = _error("InvalidTransition", 409, "invalid_transition",
                           "The ticket cannot make that move")
ServiceNotOffered = _error("ServiceNotOffered", 409, "service_not_offered",
                           "This place does not offer that procedure")
CounterClosed = _error("CounterClosed", 409, "counter_closed", "The counter is closed")
CounterBusy = _error("CounterBusy", 409, "counter_busy",
                     "The counter is still serving someone: one resident at a counter at a time")
ReceptionClosed = type("ReceptionClosed", (_error(
    "_ReceptionClosed", 409, "reception_closed",
    "Reception has closed for today: a new walk-in could not be called before the counters close"),),
    {"keeps_record": True})
UndoExpired = _error("UndoExpired", 409, "undo_expired", "It is too late to undo this")

# Who may act
Unauthorized = _error("Unauthorized", 401, "unauthorized", "Authentication required")
Forbidden = _error("Forbidden", 403, "forbidden", "Not allowed")
TooManyAttempts = _error("TooManyAttempts", 429, "too_many_attempts",
                         "Too many failed attempts; try again later")

# The back office
ReservationsInTheWay = _error("ReservationsInTheWay", 409, "reservations_in_the_way",
                              "Reservations are booked in that time")

# Home visits (出張申請, services/outreach.py)
OutreachPending = _error("OutreachPending", 409, "duplicate",
                         "This contact already has a home-visit request being handled")

# The waitlist of a full day (services/waitlist.py)
NotFull = _error("NotFull", 409, "not_full", "Seats remain that day: book one instead of waiting")
AlreadyWaiting = _error("AlreadyWaiting", 409, "already_waiting",
                        "This e-mail address is already on that day's waitlist for this procedure")
HoldGone = _error("HoldGone", 409, "hold_gone", "This seat is no longer held for you")

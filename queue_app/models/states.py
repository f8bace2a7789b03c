"""The states of a ticket and of a reservation, and the moves allowed between them.

This is the one home of the states: the columns store these values, the queries and
the schemas read them from here, and ``services/transitions.py`` performs every move
listed below (checking it against these tables) with its audit entry and its event.

Tickets (docs/queue.md)::

    waiting ──call──> called ──start──> serving ──complete──> done
                        │ recall (stays called, counted)    ▲
                        ├──complete─────────────────────────┘ (served without "start")
                        └──no_show──> no_show
    waiting | called ──cancel──> cancelled
    waiting ──expire (the place closed)──> cancelled
    waiting | called | serving ──transfer──> waiting (same band and order keys)
    waiting ──prioritise──> waiting in the priority band
    done ──undo──> serving, no_show ──undo──> called (for UNDO_SECONDS after the move)

Reservations::

    booked ──check_in──> checked_in ──(its ticket) done | no_show | cancelled
    booked ──cancel──> cancelled
    booked ──no_show (check-in window closed)──> no_show
    done | no_show ──(its ticket's undo)──> checked_in
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class ReservationStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


# A ticket at a counter: called (the resident is on the way) or being served.
AT_COUNTER = (TicketStatus.CALLED, TicketStatus.SERVING)
# A reservation that holds its seat and its contact (one active per contact and procedure).
ACTIVE_STATUSES = (ReservationStatus.BOOKED, ReservationStatus.CHECKED_IN)


@dataclass(frozen=True)
class Move:
    sources: tuple[StrEnum, ...]
    target: StrEnum

    def allows(self, status: str) -> bool:
        return status in self.sources


_T, _R = TicketStatus, ReservationStatus

TICKET_MOVES: dict[str, Move] = {
    "call": Move((_T.WAITING,), _T.CALLED),
    "recall": Move((_T.CALLED,), _T.CALLED),
    "start": Move((_T.CALLED,), _T.SERVING),
    # Completing a called ticket is allowed: a counter often serves the resident at once.
    "complete": Move((_T.CALLED, _T.SERVING), _T.DONE),
    # No-show needs a call first: nobody can fail to answer a call never made.
    "no_show": Move((_T.CALLED,), _T.NO_SHOW),
    "cancel": Move((_T.WAITING, _T.CALLED), _T.CANCELLED),
    # At closing time only the waiting go: a resident at a counter is still served.
    "expire": Move((_T.WAITING,), _T.CANCELLED),
    "transfer": Move((_T.WAITING, _T.CALLED, _T.SERVING), _T.WAITING),
    "prioritise": Move((_T.WAITING,), _T.WAITING),
    # Undo, for a short time, a completion or a no-show pressed by mistake: the
    # resident is back at the counter as they were.
    "undo_complete": Move((_T.DONE,), _T.SERVING),
    "undo_no_show": Move((_T.NO_SHOW,), _T.CALLED),
}

RESERVATION_MOVES: dict[str, Move] = {
    "check_in": Move((_R.BOOKED,), _R.CHECKED_IN),
    "cancel": Move((_R.BOOKED,), _R.CANCELLED),
    "no_show": Move((_R.BOOKED,), _R.NO_SHOW),
    # A checked-in reservation follows its ticket to the end.
    "ticket_done": Move((_R.CHECKED_IN,), _R.DONE),
    "ticket_no_show": Move((_R.CHECKED_IN,), _R.NO_SHOW),
    "ticket_cancelled": Move(ACTIVE_STATUSES, _R.CANCELLED),
    "ticket_reopened": Move((_R.DONE, _R.NO_SHOW), _R.CHECKED_IN),
}

# Which reservation move follows a ticket move that ends the ticket.
FOLLOWS_TICKET = {"complete": "ticket_done", "no_show": "ticket_no_show",
                  "cancel": "ticket_cancelled", "expire": "ticket_cancelled"}

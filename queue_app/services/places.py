"""Finding a place by its slug: the one lookup every caller uses (API, pages, kiosk,
display, Socket.IO, CLI), with one failure style, ``UnknownPlace``.

An unknown place is a 404 where its slug is part of a URL; a caller that took the slug
from somewhere else translates, in one place of its own: a request body answers 422
``invalid`` naming the field (``booking.get_place_and_service``), a page aborts 404,
the display namespace refuses the connection, a command exits with its message.
"""
from __future__ import annotations

from sqlalchemy import select

from ..models import Location
from .errors import UnknownPlace

# The longest slug a place can have (the column's length): a longer one is no place.
MAX_SLUG_LENGTH = Location.__table__.c.slug.type.length


def could_be_slug(slug) -> bool:
    """Whether ``slug`` is worth looking up: a non-empty string no longer than a slug."""
    return isinstance(slug, str) and 0 < len(slug) <= MAX_SLUG_LENGTH


def get_location(session, slug) -> Location:
    """The place with this slug; ``UnknownPlace`` otherwise, without asking the
    database for a slug that cannot be one (not a string, empty, too long)."""
    location = None
    if could_be_slug(slug):
        location = session.scalar(select(Location).where(Location.slug == slug))
    if location is None:
        raise UnknownPlace(f"No place called {slug!r}.")
    return location

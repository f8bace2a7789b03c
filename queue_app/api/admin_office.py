"""The back office's API for places, counters and procedures (administrators only):

- ``GET/POST /admin/locations``, ``PATCH /admin/locations/{slug}`` (the names).
- ``GET/POST /admin/counters?location=``, ``PATCH /admin/counters/{id}`` (the name,
  the procedures it serves, whether it takes reservations, its position).
- ``GET/POST /admin/services``, ``PATCH /admin/services/{slug}`` (the names, duration,
  whether reservable, position, what to bring).

Nothing is deleted: a counter that should no longer be called serves no procedure.
The ``errors`` of a 422 name the fields flat: ``name_ja``, ``name_en``, ``bring_ja``,
``bring_en`` for ``name.ja`` and so on (as the back-office page names its inputs).
Rules live in services/office.py: bad input answers 422 ``invalid`` with the fields,
an unknown one 404, a slug or name in use 409 ``slug_taken`` / ``name_taken``; each
change is one transaction and one audit entry.
"""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import clock
from ..extensions import db
from ..services import office
from .auth import admin_required, require_admin
from .schemas import _In, NameOf

blp = Blueprint("admin_office_api", __name__, url_prefix="/api/v1",
                description="Back office: places, counters and procedures (administrators)")

# Lengths are the service's to check (the API and the page give the same messages);
# these bounds only keep absurd bodies out.
_LOOSE = validate.Length(max=5000)


# ---------------------------------------------------------------- schemas

class OfficeNamesIn(_In):
    ja = fields.String(validate=_LOOSE)
    en = fields.String(validate=_LOOSE)


class OfficeBringIn(_In):
    ja = fields.String(validate=_LOOSE)
    en = fields.String(validate=_LOOSE)


class OfficeLocationIn(_In):
    slug = fields.String(required=True, validate=_LOOSE,
                         metadata={"description": "Lower-case letters, digits and dashes; fixed once made"})
    name = fields.Nested(OfficeNamesIn, required=True)


class OfficeLocationPatch(_In):
    name = fields.Nested(OfficeNamesIn, required=True, metadata={"description": "ja and/or en"})


class OfficeCounterOut(Schema):
    id = fields.Integer()
    location = fields.Function(lambda counter: counter.location.slug, metadata={"type": "string"})
    name = fields.String()
    services = fields.Function(lambda counter: [s.slug for s in counter.services],
                               metadata={"type": "array", "items": {"type": "string"}})
    takes_reservations = fields.Boolean()
    position = fields.Integer()
    open = fields.Boolean(attribute="is_open")


class OfficeLocationOut(Schema):
    slug = fields.String()
    name = NameOf()
    counters = fields.List(fields.Nested(OfficeCounterOut))


class OfficeLocationList(Schema):
    locations = fields.List(fields.Nested(OfficeLocationOut))


class OfficeCountersQuery(_In):
    # A query string stays short: the URL must fit the server's request line.
    location = fields.String(load_default=None, validate=validate.Length(1, 40))


class OfficeCounterIn(_In):
    location = fields.String(required=True, validate=_LOOSE)
    name = fields.String(required=True, validate=_LOOSE)
    services = fields.List(fields.String(validate=_LOOSE), load_default=list,
                           metadata={"description": "Slugs of the procedures it serves"})
    takes_reservations = fields.Boolean(load_default=False, metadata={
        "description": "Adds a seat to every reservable slot of the procedures it serves"})
    position = fields.Integer(load_default=None, allow_none=True, strict=True,
                              metadata={"description": "Order on the console and screens; default last"})


class OfficeCounterPatch(_In):
    name = fields.String(validate=_LOOSE)
    services = fields.List(fields.String(validate=_LOOSE), metadata={
        "description": "Slugs; an empty list: the counter calls nobody"})
    takes_reservations = fields.Boolean()
    position = fields.Integer(strict=True)


class OfficeCounterList(Schema):
    counters = fields.List(fields.Nested(OfficeCounterOut))


class OfficeServiceOut(Schema):
    slug = fields.String()
    name = NameOf()
    duration_minutes = fields.Integer()
    reservable = fields.Boolean()
    position = fields.Integer()
    bring = fields.Function(lambda service: {"ja": service.bring_ja, "en": service.bring_en},
                            metadata={"type": "object", "description": "What to bring, ja and en"})


class OfficeServiceList(Schema):
    services = fields.List(fields.Nested(OfficeServiceOut))


class OfficeServicePatch(_In):
    name = fields.Nested(OfficeNamesIn)
    duration_minutes = fields.Integer(strict=True, metadata={
        "description": f"{office.DURATION_MIN}-{office.DURATION_MAX}; the booking grid stays 15-minute slots"})
    reservable = fields.Boolean(metadata={"description": "Bookable in ordinary opening hours"})
    position = fields.Integer(strict=True)
    bring = fields.Nested(OfficeBringIn, metadata={"description": "What to bring: shown on the "
                                             "booking confirmation and in the e-mail"})


class OfficeServiceIn(OfficeServicePatch):
    slug = fields.String(required=True, validate=_LOOSE)
    name = fields.Nested(OfficeNamesIn, required=True)


def _flat(body: dict) -> dict:
    """The service's field names: ``name.ja`` → ``name_ja``, ``bring.en`` → ``bring_en``."""
    flat = {key: value for key, value in body.items() if key not in ("name", "bring", "slug")}
    for group in ("name", "bring"):
        for lang, value in (body.get(group) or {}).items():
            flat[f"{group}_{lang}"] = value
    return flat


def _actor() -> str:
    return require_admin().name


# ---------------------------------------------------------------- places

@blp.get("/admin/locations")
@admin_required
@blp.response(200, OfficeLocationList)
def list_locations():
    """Every place with its counters."""
    return {"locations": office.get_locations(db.session)}


@blp.post("/admin/locations")
@admin_required
@blp.arguments(OfficeLocationIn())
@blp.response(201, OfficeLocationOut)
@blp.alt_response(409, response="CONFLICT", description="slug_taken or name_taken")
def create_location(body):
    """Add a place (then give it counters, and opening hours on the calendar)."""
    actor = _actor()
    names = body["name"]
    return office.create_location(db.session, slug=body["slug"], name_ja=names.get("ja"),
                                  name_en=names.get("en"), actor=actor, now=clock.now())


@blp.patch("/admin/locations/<slug>")
@admin_required
@blp.arguments(OfficeLocationPatch(), required=False)  # an empty PATCH changes nothing
@blp.response(200, OfficeLocationOut)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT", description="name_taken")
def update_location(body, slug):
    """Rename a place in Japanese and/or English (its slug stays)."""
    actor = _actor()
    return office.update_location(db.session, slug, _flat(body), actor=actor, now=clock.now())


# ---------------------------------------------------------------- counters

@blp.get("/admin/counters")
@admin_required
@blp.arguments(OfficeCountersQuery(), location="query")
@blp.response(200, OfficeCounterList)
@blp.alt_response(404, response="NOT_FOUND")
def list_counters(query):
    """The counters of one place, or of every place."""
    location = office.get_location(db.session, query["location"]) if query["location"] else None
    return {"counters": office.get_counters(db.session, location)}


@blp.post("/admin/counters")
@admin_required
@blp.arguments(OfficeCounterIn())
@blp.response(201, OfficeCounterOut)
@blp.alt_response(409, response="CONFLICT", description="name_taken: the place has a counter of that name")
def create_counter(body):
    """Add a counter to a place, serving the procedures named; it can call at once."""
    actor = _actor()
    changes = {key: body[key] for key in ("name", "services", "takes_reservations")}
    if body["position"] is not None:
        changes["position"] = body["position"]
    return office.create_counter(db.session, location=body["location"], changes=changes,
                                 actor=actor, now=clock.now())


@blp.patch("/admin/counters/<int:counter_id>")
@admin_required
@blp.arguments(OfficeCounterPatch(), required=False)  # an empty PATCH changes nothing
@blp.response(200, OfficeCounterOut)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT", description="name_taken")
def update_counter(body, counter_id):
    """Rename a counter or change what it serves; the lobby screens follow at once."""
    actor = _actor()
    return office.update_counter(db.session, counter_id, body, actor=actor, now=clock.now())


# ---------------------------------------------------------------- procedures

@blp.get("/admin/services")
@admin_required
@blp.response(200, OfficeServiceList)
def list_services():
    """Every procedure, in the residents' order, with what to bring."""
    return {"services": office.get_services(db.session)}


@blp.post("/admin/services")
@admin_required
@blp.arguments(OfficeServiceIn())
@blp.response(201, OfficeServiceOut)
@blp.alt_response(409, response="CONFLICT", description="slug_taken or name_taken")
def create_service(body):
    """Add a procedure (offered once a counter serves it)."""
    actor = _actor()
    return office.create_service(db.session, slug=body["slug"], changes=_flat(body),
                                 actor=actor, now=clock.now())


@blp.patch("/admin/services/<slug>")
@admin_required
@blp.arguments(OfficeServicePatch(), required=False)  # an empty PATCH changes nothing
@blp.response(200, OfficeServiceOut)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT", description="name_taken")
def update_service(body, slug):
    """Change a procedure's names, duration, reservability, position or what to bring."""
    actor = _actor()
    return office.update_service(db.session, slug, _flat(body), actor=actor, now=clock.now())

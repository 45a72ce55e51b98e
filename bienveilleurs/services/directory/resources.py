"""Resources: the services structures offer at a point, and the queries of their pages.

Anyone reads active resources (the directory); managing one (create, edit, deactivate) is
managing its structure: `managed_resources(user)` holds the resources of the structures
`user` manages (`structures.managed_structures`), and a resource is only ever attached to
such a structure, since its point may place a structure that has none.
"""

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from geo.queries import geog_point, in_bbox, lon_lat_of, nearest

from ...errors import NotFound, ValidationFailed
from ...extensions import db
from ...models import Resource, Structure
from .. import areas
from ..paging import NameKey, keyset_page
from ..transaction import use_case
from .cleaning import NO_CATEGORY, clean_resource
from .common import Saved, flush_or, like_pattern, lock_key, one_in, parse_uuid, stored
from .locating import locate_address, lon_lat
from .structures import STRUCTURE_PLACEMENT, structure_for

NOT_FOUND = "Ressource introuvable."
OUTSIDE = ("Ce point est en dehors de vos territoires : une ressource est gérée par la "
           "coordination du territoire de sa structure.")
ELSEWHERE = ("Cette source et cet identifiant désignent une ressource hors de vos territoires : "
             "demandez à sa coordination de la modifier.")


def managed_resources(user):
    """Return a select() of the resources `user` manages: those of the structures they manage."""
    return (select(Resource).join(Structure, Structure.id == Resource.structure_id)
            .where(areas.managed(user, STRUCTURE_PLACEMENT)))


def _check_point(actor, point):
    if point and not areas.point_managed(actor, *point):
        raise ValidationFailed.field("lat", OUTSIDE)


def managed_resource(user, resource_id, *, lock=False):
    """Return a resource `user` manages, active or not (locked with ``lock``); else NotFound."""
    return one_in(managed_resources(user), Resource, resource_id, lock=lock, missing=NOT_FOUND)

RESOURCE_FIELDS = ("name", "description", "categories", "audiences", "address", "postal_code",
                   "city", "phone", "email", "website", "opening_hours", "languages",
                   "accessible", "capacity", "saturation", "active", "source", "source_id")
NO_POSITION = ("position non renseignée : la ressource n'apparaîtra pas dans les recherches "
               "de proximité")


def _resolve_point(clean, *, geocoder, area, current=None, cleared=False):
    """Decide the point: typed coordinates win; else the address is geocoded.

    Not when it is the current address and the current point was not cleared: no needless
    geocoding on re-imports and edits. Returns ((lon, lat) or None, note or None).
    """
    if clean.get("point"):
        return clean["point"], None
    address = clean["address"] if "address" in clean else (current.address if current else None)
    keep = current is not None and current.point is not None and not cleared
    if address:
        if keep and address == current.address:
            return lon_lat(current), None
        location = locate_address(address, geocoder=geocoder, area=area)
        return location.point, location.note
    if keep:
        return lon_lat(current), None
    return None, NO_POSITION


def _apply_resource(resource, clean, point):
    for name in RESOURCE_FIELDS:
        if name in clean:
            setattr(resource, name, clean[name])
    resource.point = stored(point)


def _names_structure(clean):
    return bool(clean.get("structure_id") or clean.get("structure_name"))


def _same_source(actor, clean):
    """The resource already imported from the same (source, source_id), locked; or None.

    One outside what `actor` manages is not theirs to update (422 on `source_id`).
    """
    if not (clean.get("source") and clean.get("source_id")):
        return None
    lock_key("resource-source", clean["source"], clean["source_id"])
    existing = db.session.scalars(select(Resource).where(
        Resource.source == clean["source"], Resource.source_id == clean["source_id"])
        .with_for_update(of=Resource)).first()
    if existing is not None and db.session.scalar(
            managed_resources(actor).where(Resource.id == existing.id)) is None:
        raise ValidationFailed.field("source_id", ELSEWHERE)
    return existing


@use_case
def create_resource(actor, record, *, area, geocoder=None, strict=False):
    """Create a resource, or update it when ``source`` and ``source_id`` name an existing one.

    Without ``structure_id`` the structure is found by name or created (see
    `structure_for`). Without coordinates the address is geocoded; when the geocoder cannot
    be reached or finds nothing the resource is still saved, without a point, and the
    returned note says "adresse non localisée". Returns a Saved. Only within what `actor`
    manages: the structure (`structure_for`), the point, an existing resource (422 else).
    """
    clean = clean_resource(record, area=area, strict=strict)
    existing = _same_source(actor, clean)
    if existing is not None:
        point, note = _resolve_point(clean, geocoder=geocoder, area=area, current=existing)
        _check_point(actor, point)
        _apply_resource(existing, clean, point)
        if _names_structure(clean):
            existing.structure = structure_for(actor, clean, point=point)
        flush_or()
        return Saved(existing, False, note)
    point, note = _resolve_point(clean, geocoder=geocoder, area=area)
    _check_point(actor, point)
    resource = Resource(structure=structure_for(actor, clean, point=point), name=clean["name"])
    _apply_resource(resource, clean, point)
    db.session.add(resource)
    flush_or()
    return Saved(resource, True, note)


@use_case
def update_resource(actor, resource_id, record, *, area, geocoder=None, strict=False):
    """Update the fields present in ``record`` of a resource `actor` manages; a new address
    without coordinates is geocoded."""
    resource = managed_resource(actor, resource_id, lock=True)
    clean = clean_resource(record, area=area, strict=strict, partial=True)
    if "categories" in clean and not clean["categories"]:
        raise ValidationFailed.field("categories", NO_CATEGORY)
    point, note = _resolve_point(clean, geocoder=geocoder, area=area, current=resource,
                                 cleared="point" in clean and clean["point"] is None)
    if point != lon_lat(resource):
        _check_point(actor, point)
    if _names_structure(clean):
        resource.structure = structure_for(actor, clean, point=point)
    _apply_resource(resource, clean, point)
    flush_or()
    return Saved(resource, False, note)


@use_case
def set_resource_active(actor, resource_id, active):
    """Deactivate (hidden from searches and matching, kept for history) or reactivate a
    resource `actor` manages."""
    resource = managed_resource(actor, resource_id, lock=True)
    resource.active = bool(active)
    return resource


def get_resource(resource_id, *, include_inactive=False):
    """Return a resource; an inactive one only to those allowed to manage it (else 404)."""
    resource = db.session.get(Resource, parse_uuid(resource_id))
    if resource is None or (not resource.active and not include_inactive):
        raise NotFound("Ressource introuvable.")
    return resource


def list_resources(user, *, search=None, inactive=False, limit=200, after=None):
    """A Page of the resources `user` manages, for the management list: by name, structure
    or address; active or inactive; by name then id after the NameKey `after` (the
    structure joined once, for the filter and the list)."""
    # The bare column (not `IS true`), so the active ones walk `ix_resources_active_name`.
    statement = managed_resources(user).where(~Resource.active if inactive else Resource.active)
    if search:
        pattern = like_pattern(search)
        statement = statement.where(or_(Resource.name.ilike(pattern),
                                        Structure.name.ilike(pattern),
                                        Resource.address.ilike(pattern)))
    return keyset_page(statement.options(contains_eager(Resource.structure)),
                       (Resource.name, Resource.id),
                       after=(after.name, after.id) if after else None,
                       key=lambda r: NameKey(r.name, r.id), size=limit)


def resources_in_bbox(bbox, *, categories=(), limit=1000):
    """Active located resources in a (minlon, minlat, maxlon, maxlat) box, nearest the centre first.

    Returns (rows, truncated). Each row is (Resource, structure name, lon, lat).
    """
    centre = geog_point((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2)
    statement = (select(Resource, Structure.name, *lon_lat_of(Resource.point))
                 .join(Structure, Structure.id == Resource.structure_id)
                 .where(Resource.active.is_(True), Resource.point.isnot(None),
                        in_bbox(Resource.point, bbox)))
    if categories:
        statement = statement.where(Resource.categories.overlap(list(categories)))
    rows = db.session.execute(statement.order_by(nearest(Resource.point, centre), Resource.id)
                              .limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit

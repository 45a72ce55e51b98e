"""Structures: the organisations that offer resources (CCAS, centres sociaux, associations…).

Management is scoped in the query: `managed_structures(user)` is what `user` sees in
management and may edit, give members, invite to and merge (admins and city-wide
coordinators: every structure; a coordinator: the structures inside their territories,
`services.areas`). A structure is placed by its point; one without a point by its
resources' points; one with neither is managed by admins and city-wide coordinators only.
"""

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from geo.queries import point_in_area

from ...errors import ValidationFailed
from ...extensions import db
from ...models import Resource, Structure, Territory
from .. import areas
from ..fields.rules import parse_uuid as uuid_or_none
from ..paging import NameKey, keyset_page
from ..transaction import use_case
from .cleaning import clean_structure
from .common import flush_or, like_pattern, lock_key, one_in, stored

NOT_FOUND = "Structure introuvable."
OUTSIDE = ("Ce point est en dehors de vos territoires : une structure est gérée par la "
           "coordination du territoire où elle se trouve.")
UNKNOWN = "Cette structure n'existe pas, ou elle est en dehors de vos territoires."


_BY_POINT = areas.by_point(Structure)


def _structure_covered(territory_condition):
    """Condition on Structure: a territory matching the condition covers it (its point; with
    no point, one of its resources' points)."""
    by_point = _BY_POINT.covered(territory_condition)
    by_resources = exists(
        select(Resource.id)
        .join(Territory, and_(territory_condition, point_in_area(Resource.point, Territory.area)))
        .where(Resource.structure_id == Structure.id).correlate(Structure))
    return or_(by_point, and_(Structure.point.is_(None), by_resources))


STRUCTURE_PLACEMENT = areas.Placement(
    _structure_covered,
    placed=or_(Structure.point.is_not(None), exists(select(Resource.id).where(
        Resource.structure_id == Structure.id, Resource.point.is_not(None))
        .correlate(Structure))))


def managed_structures(user):
    """Return a select() of the structures `user` manages (see the module's docstring)."""
    return select(Structure).where(areas.managed(user, STRUCTURE_PLACEMENT))


def _check_point(actor, point):
    if point and not areas.point_managed(actor, *point):
        raise ValidationFailed.field("lat", OUTSIDE)

STRUCTURE_FIELDS = ("name", "siret", "address", "phone", "email", "website", "source",
                    "source_id")


def _apply_structure(structure, clean):
    for name in STRUCTURE_FIELDS:
        if name in clean:
            setattr(structure, name, clean[name])
    if "point" in clean:
        structure.point = stored(clean["point"])


@use_case
def create_structure(actor, record, *, area, strict=False):
    """Create a structure (POST /api/v1/structures and the management page); its point, when
    given, inside what `actor` manages (422 otherwise)."""
    clean = clean_structure(record, area=area, strict=strict)
    _check_point(actor, clean.get("point"))
    structure = Structure(name=clean["name"])
    _apply_structure(structure, clean)
    db.session.add(structure)
    flush_or()
    return structure


@use_case
def update_structure(actor, structure_id, record, *, area, strict=False):
    """Update the fields present in ``record`` of a structure `actor` manages; a new point
    stays inside what they manage."""
    structure = get_structure(actor, structure_id, lock=True)
    clean = clean_structure(record, area=area, strict=strict, partial=True)
    _check_point(actor, clean.get("point"))
    _apply_structure(structure, clean)
    flush_or()
    return structure


def get_structure(user, structure_id, *, lock=False):
    """Return a structure `user` manages (locked for update with ``lock``); NotFound otherwise."""
    return one_in(managed_structures(user), Structure, structure_id, lock=lock,
                  missing=NOT_FOUND)


def list_structures(user, *, search=None, limit=200, after=None):
    """A Page of the structures `user` manages, by name or address; by name then id after
    the NameKey `after`."""
    statement = managed_structures(user)
    if search:
        pattern = like_pattern(search)
        statement = statement.where(or_(Structure.name.ilike(pattern),
                                        Structure.address.ilike(pattern)))
    return keyset_page(statement.options(selectinload(Structure.resources)),
                       (Structure.name, Structure.id),
                       after=(after.name, after.id) if after else None,
                       key=lambda s: NameKey(s.name, s.id), size=limit)


def structure_choices(user, *, search=None, selected=None, limit=20):
    """The structures a resource form offers `user`: the one `selected` (an id as text) if
    they manage it, then those found by name or address (without a search, the first by
    name), at most `limit` found; two statements, whatever the directory's size."""
    chosen = []
    key = uuid_or_none(selected) if selected else None
    if key is not None:
        chosen = db.session.scalars(managed_structures(user).where(Structure.id == key)).all()
    statement = managed_structures(user)
    if search:
        pattern = like_pattern(search)
        statement = statement.where(or_(Structure.name.ilike(pattern),
                                        Structure.address.ilike(pattern)))
    found = db.session.scalars(statement.order_by(Structure.name, Structure.id)
                               .limit(limit)).all()
    return chosen + [structure for structure in found if structure not in chosen]


def structure_for(actor, clean, *, point):
    """Return the structure a new resource belongs to, among those `actor` manages.

    With ``structure_id`` it must be one of them (422 otherwise). Without it, the structure
    is named by ``structure_name`` or else by the resource's own name, and a structure
    `actor` manages with that name (compared case-insensitively, spaces collapsed; the
    oldest if several) is reused; only when none exists is one created, at the resource's
    point. A resource places a structure that has no point of its own: it is never
    attached to a structure its author does not manage.
    """
    if clean.get("structure_id"):
        structure = db.session.scalar(managed_structures(actor).where(
            Structure.id == clean["structure_id"]))
        if structure is None:
            raise ValidationFailed.field("structure_id", UNKNOWN)
        return structure
    name = clean.get("structure_name") or clean.get("name") or ""
    name = " ".join(name.split())
    lock_key("structure-name", name.lower())
    # lower() on both sides, so the comparison follows the database's own case rules.
    folded = func.regexp_replace(Structure.name, r"\s+", " ", "g")
    same_name = func.lower(folded) == func.lower(name)
    structure = db.session.scalars(
        managed_structures(actor).where(same_name)
        .order_by(Structure.active.desc(), Structure.created_at, Structure.id).limit(1)).first()
    if structure is None:
        structure = Structure(name=name, address=clean.get("address"), phone=clean.get("phone"),
                              email=clean.get("email"), website=clean.get("website"),
                              point=stored(point))
        db.session.add(structure)
        flush_or()
    return structure

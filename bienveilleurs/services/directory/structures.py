"""Structures: the organisations that offer resources (CCAS, centres sociaux, associations…)."""

from sqlalchemy import func, or_, select

from ...errors import NotFound, ValidationFailed
from ...extensions import db
from ...models import Structure
from ..transaction import use_case
from .cleaning import clean_structure
from .common import flush_or, like_pattern, lock_key, locked, parse_uuid, stored

STRUCTURE_FIELDS = ("name", "siret", "address", "phone", "email", "website", "source",
                    "source_id")


def _apply_structure(structure, clean):
    for name in STRUCTURE_FIELDS:
        if name in clean:
            setattr(structure, name, clean[name])
    if "point" in clean:
        structure.point = stored(clean["point"])


@use_case
def create_structure(record, *, area, strict=False):
    """Create a structure (POST /api/v1/structures and the management page)."""
    clean = clean_structure(record, area=area, strict=strict)
    structure = Structure(name=clean["name"])
    _apply_structure(structure, clean)
    db.session.add(structure)
    flush_or()
    return structure


@use_case
def update_structure(structure_id, record, *, area, strict=False):
    """Update the fields of a structure present in ``record``."""
    structure = locked(Structure, structure_id)
    if structure is None:
        raise NotFound("Structure introuvable.")
    clean = clean_structure(record, area=area, strict=strict, partial=True)
    _apply_structure(structure, clean)
    flush_or()
    return structure


def get_structure(structure_id):
    structure = db.session.get(Structure, parse_uuid(structure_id))
    if structure is None:
        raise NotFound("Structure introuvable.")
    return structure


def list_structures(*, search=None, limit=200):
    statement = select(Structure)
    if search:
        pattern = like_pattern(search)
        statement = statement.where(or_(Structure.name.ilike(pattern),
                                        Structure.address.ilike(pattern)))
    return db.session.scalars(statement.order_by(Structure.name, Structure.id).limit(limit)).all()


def structure_for(clean, *, point):
    """Return the structure a new resource belongs to.

    With ``structure_id`` it must exist (422 otherwise). Without it, the structure is
    named by ``structure_name`` or else by the resource's own name, and an existing
    structure with that name (compared case-insensitively, spaces collapsed; the oldest if
    several) is reused; only when none exists is one created, at the resource's point.
    """
    if clean.get("structure_id"):
        structure = db.session.get(Structure, clean["structure_id"])
        if structure is None:
            raise ValidationFailed.field("structure_id", "Cette structure n'existe pas.")
        return structure
    name = clean.get("structure_name") or clean.get("name") or ""
    name = " ".join(name.split())
    lock_key("structure-name", name.lower())
    # lower() on both sides, so the comparison follows the database's own case rules.
    folded = func.regexp_replace(Structure.name, r"\s+", " ", "g")
    same_name = func.lower(folded) == func.lower(name)
    structure = db.session.scalars(
        select(Structure).where(same_name)
        .order_by(Structure.active.desc(), Structure.created_at, Structure.id).limit(1)).first()
    if structure is None:
        structure = Structure(name=name, address=clean.get("address"), phone=clean.get("phone"),
                              email=clean.get("email"), website=clean.get("website"),
                              point=stored(point))
        db.session.add(structure)
        flush_or()
    return structure

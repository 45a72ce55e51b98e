"""Merge a duplicate structure into the one kept: resources, members and blank fields move over."""

from sqlalchemy import delete, insert, select, update

from ..errors import ValidationFailed
from ..extensions import db
from ..models import Resource, Structure, StructureLink, User, structure_members
from . import audit
from .directory import get_structure
from .transaction import use_case

# Fields of the kept structure filled from the duplicate when blank (never its import key).
FILLABLE = ("siret", "address", "point", "phone", "email", "website", "contact_email")
FIELD_LABELS = {"siret": "SIRET", "address": "Adresse", "point": "Position", "phone": "Téléphone",
                "email": "Courriel", "website": "Site web", "contact_email": "Adresse de contact"}


def _pair(actor, keep_id, merge_id, *, lock=False):
    """Both structures, each one `actor` manages (404 otherwise): a merge moves members and
    resources, so it gives the kept structure's members the duplicate's referrals."""
    keep, merged = get_structure(actor, keep_id), get_structure(actor, merge_id)
    if keep.id == merged.id:
        raise ValidationFailed.field("duplicate", "Choisissez une autre structure : "
                                     "une structure ne peut pas être fusionnée avec elle-même.")
    if lock:
        # Both rows in a fixed order, so two opposite merges cannot deadlock or cross.
        db.session.execute(select(Structure.id).where(Structure.id.in_([keep.id, merged.id]))
                           .order_by(Structure.id).with_for_update())
        db.session.refresh(keep)
        db.session.refresh(merged)
    return keep, merged


def _member_ids(structure_id):
    return set(db.session.scalars(select(structure_members.c.user_id)
                                  .where(structure_members.c.structure_id == structure_id)))


def _fills(keep, merged):
    """The fields blank on the kept structure that the duplicate has."""
    return [name for name in FILLABLE
            if getattr(keep, name) in (None, "") and getattr(merged, name) not in (None, "")]


def merge_plan(actor, keep_id, merge_id):
    """What a merge would do, for the confirmation page (nothing written)."""
    keep, merged = _pair(actor, keep_id, merge_id)
    resources = db.session.scalars(select(Resource).where(Resource.structure_id == merged.id)
                                   .order_by(Resource.name)).all()
    new_ids = _member_ids(merged.id) - _member_ids(keep.id)
    members = db.session.scalars(select(User).where(User.id.in_(new_ids))
                                 .order_by(User.email)).all() if new_ids else []
    fills = _fills(keep, merged)
    return {"keep": keep, "merged": merged, "resources": resources, "members": members,
            "fills": fills, "labels": FIELD_LABELS,
            "deleted": not (merged.source and merged.source_id)}


@use_case
def merge_structures(actor, keep_id, merge_id):
    """Move the duplicate's resources and members to the kept structure; one transaction, audited.

    The duplicate is deleted, unless it came from an import (source and identifier): then it is
    deactivated and kept, so the next import of that source finds it instead of re-creating it.
    """
    keep, merged = _pair(actor, keep_id, merge_id, lock=True)
    resource_ids = list(db.session.scalars(select(Resource.id)
                                           .where(Resource.structure_id == merged.id)))
    if resource_ids:
        db.session.execute(update(Resource).where(Resource.id.in_(resource_ids))
                           .values(structure_id=keep.id))
    new_ids = sorted(_member_ids(merged.id) - _member_ids(keep.id))
    if new_ids:
        db.session.execute(insert(structure_members),
                           [{"structure_id": keep.id, "user_id": i} for i in new_ids])
    db.session.execute(delete(structure_members)
                       .where(structure_members.c.structure_id == merged.id))
    # Links the duplicate received answer for the kept structure now (its referrals moved).
    db.session.execute(update(StructureLink).where(StructureLink.structure_id == merged.id)
                       .values(structure_id=keep.id))
    filled = {}
    for name in _fills(keep, merged):
        setattr(keep, name, getattr(merged, name))
        filled[name] = "(position)" if name == "point" else getattr(merged, name)
    merged_name, merged_id = merged.name, merged.id
    deleted = not (merged.source and merged.source_id)
    if deleted:
        db.session.expunge(merged)
        db.session.execute(delete(Structure).where(Structure.id == merged_id))
    else:
        merged.active = False
    audit.record(actor, "structure.merged", target_type="structure", target_id=keep.id,
                 summary=f"« {merged_name} » fusionnée dans « {keep.name} » : {len(resource_ids)} "
                         f"service(s), {len(new_ids)} membre(s) ajouté(s)",
                 merged_id=merged_id, merged_name=merged_name, resources=resource_ids,
                 members=new_ids, filled=sorted(filled), deleted=deleted)
    return {"keep_id": keep.id, "resources": len(resource_ids), "members": len(new_ids),
            "filled": sorted(filled), "deleted": deleted}

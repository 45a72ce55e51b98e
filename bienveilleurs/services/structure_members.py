"""A structure's members (social workers, added by invitation) and its contact e-mail.

Members read the referrals sent to their structure, and the contact e-mail receives its
notifications: both are managed only by those who manage the structure (admins, city-wide
coordinators, the coordinators of its territories: `directory.managed_structures`); any
other structure is a 404.
"""

from sqlalchemy import delete, insert, select

from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import Role, User, structure_members
from . import audit, directory, invitations
from .fields import Fields, parse_uuid
from .transaction import use_case


def get_structure(user, structure_id, *, lock=False):
    """Return a structure whose members `user` manages; NotFound otherwise."""
    return directory.get_structure(user, structure_id, lock=lock)


def members(structure):
    return db.session.scalars(
        select(User).join(structure_members, structure_members.c.user_id == User.id)
        .where(structure_members.c.structure_id == structure.id).order_by(User.email)).all()


def _is_member(structure, user):
    return db.session.scalar(select(structure_members.c.user_id).where(
        structure_members.c.structure_id == structure.id,
        structure_members.c.user_id == user.id)) is not None


def _email(value, *, required):
    fields = Fields({"email": value}, strict=False)
    email = fields.email(required=required)
    fields.done()
    return email


@use_case
def add_member(actor, structure_id, *, email, display_name=""):
    """Add a social worker: an existing social worker account is attached, a new address invited.

    Returns (user, invited). One transaction, audited.
    """
    structure = get_structure(actor, structure_id, lock=True)
    email = _email(email, required=True)
    user = db.session.scalar(select(User).where(User.email == email).with_for_update())
    invited = user is None
    if invited:
        user = invitations.invite(actor, email=email, role=Role.SOCIAL_WORKER.value,
                                  display_name=display_name, structure_ids=[structure.id])
    else:
        if user.role != Role.SOCIAL_WORKER.value:
            raise ValidationFailed.field(
                "email", f"Le compte {email} n'est pas un compte de travailleur social.")
        if _is_member(structure, user):
            raise Conflict(f"{email} est déjà membre de {structure.name}.",
                           details=[{"field": "email",
                                     "message": "Déjà membre de cette structure."}])
        db.session.execute(insert(structure_members)
                           .values(user_id=user.id, structure_id=structure.id))
    audit.record(actor, "structure.member_invited", target_type="structure",
                 target_id=structure.id,
                 summary=f"{email} membre de « {structure.name} »"
                 + (" (invitation envoyée)" if invited else " (compte existant)"),
                 email=email, invited=invited)
    return user, invited


@use_case
def remove_member(actor, structure_id, user_id):
    structure = get_structure(actor, structure_id, lock=True)
    user_id = parse_uuid(user_id)
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not _is_member(structure, user):
        raise NotFound("Membre introuvable.")
    db.session.execute(delete(structure_members).where(
        structure_members.c.structure_id == structure.id,
        structure_members.c.user_id == user.id))
    audit.record(actor, "structure.member_removed", target_type="structure",
                 target_id=structure.id,
                 summary=f"{user.email} retiré de « {structure.name} »", email=user.email)
    return user


@use_case
def set_contact_email(actor, structure_id, email):
    """Where notifications go while the structure has no member (empty: none)."""
    structure = get_structure(actor, structure_id, lock=True)
    email = _email(email, required=False)
    previous = structure.contact_email
    structure.contact_email = email
    audit.record(actor, "structure.contact_changed", target_type="structure",
                 target_id=structure.id,
                 summary=f"Contact de « {structure.name} » : {email or 'aucun'}",
                 before=previous, after=email)
    return structure

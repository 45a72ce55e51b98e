"""The coordinator's view of a structure's one-time link, and their two buttons.

On the referral's page (`link_summary`): whether the link was sent (and its e-mail left),
opened, used, and whether it still works; « Renvoyer le lien » (`resend`: a new link, every
older one of that structure stops) and « Désactiver le lien » (`disable`). Both are scoped as
any move of a coordinator (`lock_referral`: their territories, services/areas.py; 404
elsewhere) and refuse with a conflict what cannot be done (no contact address, the structure
now has member accounts, nothing left to disable).
"""

from dataclasses import dataclass

from sqlalchemy import select

from ... import clock
from ...errors import Conflict, Forbidden
from ...extensions import db
from ...models import Notification, Role, StructureLink
from .. import notifications
from ..transaction import use_case
from .lifecycle import lock_referral
from .scope import refuse_erased
from .structure_link import end_link, issue, last_referring, open_links, refused_for_state


@dataclass(frozen=True)
class LinkSummary:
    """The referral's latest link as its coordinator sees it, and what they may do with it."""

    link: StructureLink | None
    state: str                # none, valid, expired, replaced, disabled, served, erased
    message: Notification | None  # the e-mail that carried it (state, sent_at)
    can_resend: bool
    can_disable: bool
    reason: str | None        # why it cannot be sent (no contact address, members…)


def _link_state(link, referral):
    if link.end_reason in ("replaced", "disabled", "erased"):
        return link.end_reason
    if referral.resident is None or referral.resident.erased_at is not None:
        return "erased"
    if refused_for_state(link, referral):
        return "served"
    return "expired" if link.expires_at <= clock.now() else "valid"


def _resend_problem(referral):
    """Why no link can be sent for this referral now (a French sentence), or None."""
    if referral.status not in ("referred", "accepted") or referral.resource is None:
        return ("Le lien ne sert qu'à une orientation orientée vers une ressource ou prise "
                "en charge.")
    structure = referral.resource.structure
    if notifications.structure_members_told(structure.id):
        return (f"{structure.name} a maintenant des comptes : ses membres voient l'orientation "
                "dans leur espace.")
    if not structure.contact_email:
        return (f"{structure.name} n'a pas d'adresse de contact : ajoutez-en une dans la "
                "gestion de ses membres.")
    return None


def link_summary(user, referral):
    """The latest link of a referral and the buttons its coordinator gets (None for others).

    The referral is one the coordinator already reads (its page did the scoped, logged read).
    """
    if user.role != Role.COORDINATOR.value:
        return None
    link = db.session.scalar(select(StructureLink)
                             .where(StructureLink.referral_id == referral.id)
                             .order_by(StructureLink.created_at.desc(), StructureLink.id)
                             .limit(1))
    problem = _resend_problem(referral)
    if link is None and problem:
        return None
    state = _link_state(link, referral) if link is not None else "none"
    message = (db.session.get(Notification, link.notification_id)
               if link is not None and link.notification_id else None)
    return LinkSummary(link, state, message, can_resend=problem is None,
                       can_disable=state == "valid", reason=problem)


def _coordinator_referral(actor, referral_id):
    if actor.role != Role.COORDINATOR.value:
        raise Forbidden("Seule la coordination envoie ou désactive le lien d'une structure.")
    referral = lock_referral(actor, referral_id)  # out of their territories: 404
    refuse_erased(referral)
    return referral


@use_case
def resend(actor, referral_id):
    """Send the structure a new link for the referral; every older one stops working."""
    referral = _coordinator_referral(actor, referral_id)
    problem = _resend_problem(referral)
    if problem:
        raise Conflict(problem)
    return issue(referral, referral.resource.structure,
                 event_id=last_referring(referral.id), actor=actor, replace=True)


@use_case
def disable(actor, referral_id):
    """Stop the referral's open links now; return how many were stopped."""
    referral = _coordinator_referral(actor, referral_id)
    current = [link for link in open_links(referral.id) if link.expires_at > clock.now()]
    if not current:
        raise Conflict("Aucun lien en cours pour cette orientation.")
    for link in current:
        end_link(link, "disabled", at=clock.now(), actor=actor)
    return len(current)


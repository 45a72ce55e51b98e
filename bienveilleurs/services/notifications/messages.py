"""What each event tells whom: referral moves, account links, the coordinators' digest.

Texts get an explicit, non-sensitive context only (a first name or pseudonym, a
structure's name, counts, a link): needs, notes, addresses, positions and phone numbers
are never handed to a template, so they cannot end up in an e-mail.
"""

from sqlalchemy import exists, select

from geo.points import lon_lat

from ... import clock
from ...extensions import db
from ...models import (
    NotificationPreference,
    Relay,
    Resource,
    Role,
    Structure,
    User,
    structure_members,
)
from ..transaction import use_case
from .outbox import absolute_url, enqueue, link_path, wants_email

RETURN_REASON_LABELS = {
    "declined": "refusée par la structure",
    "no_answer": "restée sans réponse de la structure",
    "expired": "restée sans réponse de la structure (délai dépassé)",
}


def _person(referral):
    """At most a first name or pseudonym."""
    resident = referral.resident
    if resident is None or resident.erased_at is not None:
        return "une personne"
    return resident.first_name or resident.pseudonym or "une personne"


# --- recipients --------------------------------------------------------------------------

def coordinators_for_referral(referral):
    """The coordinators of the territories covering the resident's point, never nobody.

    Without a covering territory that has a coordinator, the city-wide coordinators (those
    attached to no territory); failing those, every active coordinator.
    """
    from ..territories import coordinators_for_point
    resident = referral.resident
    point = lon_lat(resident.point) if resident is not None else None
    return coordinators_for_point(*(point or (None, None)))


def structure_members_told(structure_id):
    """The active social workers of a structure: who hears of its referrals (else its link)."""
    return db.session.scalars(
        select(User).join(structure_members, structure_members.c.user_id == User.id)
        .where(structure_members.c.structure_id == structure_id, User.active.is_(True),
               User.role == Role.SOCIAL_WORKER.value)
        .order_by(User.email)).all()


# --- referral events ---------------------------------------------------------------------

def referral_referred(referral, event):
    """The referral was handed to a resource: tell its structure's social workers.

    With no member account, the structure's contact e-mail, with a one-time link to answer
    (services/referrals/structure_link.py); with neither, the coordinators, so that someone
    calls the structure.
    """
    resource_id = event.resource_id or referral.resource_id
    resource = db.session.get(Resource, resource_id) if resource_id else None
    if resource is None:
        return 0
    structure = db.session.get(Structure, resource.structure_id)
    context = {"person": _person(referral), "structure_name": structure.name}
    members = structure_members_told(structure.id)
    if members:
        path = link_path(("structure.referral", {"referral_id": referral.id}),
                         ("structure.referrals", {}))
        return sum(enqueue("referral_referred",
                           dedup_key=f"referral_referred:{referral.id}:{event.id}:{user.id}",
                           context=context, user=user, path=path, referral=referral)
                   for user in members)
    if structure.contact_email:
        # Without an account, the structure answers through a one-time link of its own.
        from ..referrals.structure_link import issue
        return int(issue(referral, structure, event_id=event.id) is not None)
    return _tell_coordinators("referral_unreachable_structure", referral, event, context)


def referral_assigned(referral, event):
    """The referral was given to a relay: tell that relay, if they chose e-mail."""
    relay_id = event.relay_id or referral.relay_id
    relay = db.session.get(Relay, relay_id) if relay_id else None
    if relay is None or relay.user_id is None:
        return 0
    user = db.session.get(User, relay.user_id)
    if user is None or not user.active or not wants_email(user):
        return 0
    # Assigning oneself needs no e-mail.
    if event.actor_id is not None and event.actor_id == user.id:
        return 0
    path = link_path(("relay.referral", {"referral_id": referral.id}), ("relay.my_people", {}))
    return int(enqueue("referral_assigned",
                       dedup_key=f"referral_assigned:{referral.id}:{event.id}:{user.id}",
                       context={"person": _person(referral), "relay_name": relay.display_name},
                       user=user, path=path, referral=referral))


def referral_returned(referral, event):
    """The structure declined, did not answer, or the wait expired: tell the coordinators."""
    resource = db.session.get(Resource, event.resource_id) if event.resource_id else None
    structure = db.session.get(Structure, resource.structure_id) if resource is not None else None
    context = {"person": _person(referral),
               "structure_name": structure.name if structure is not None else "la structure",
               "reason_label": RETURN_REASON_LABELS.get(event.reason or "", "renvoyée")}
    return _tell_coordinators("referral_returned", referral, event, context)


def _tell_coordinators(kind, referral, event, context):
    """Enqueue `kind` for every coordinator who must hear of the referral; return how many."""
    path = link_path(("coordination.referral", {"referral_id": referral.id}),
                     ("coordination.inbox", {}))
    return sum(enqueue(kind, dedup_key=f"{kind}:{referral.id}:{event.id}:{user.id}",
                       context=context, user=user, path=path, referral=referral)
               for user in coordinators_for_referral(referral))


def on_transition(referral, event):
    """Enqueue what a committed-to-be referral move must tell; call it before the commit."""
    frm, to = event.from_status, event.to_status
    if to == "referred":
        return referral_referred(referral, event)
    if to == "assigned":
        return referral_assigned(referral, event)
    if frm == "referred" and to == "contacted":
        return referral_returned(referral, event)
    return 0


def structure_link(referral, structure, *, path, expires_at, dedup_key, resent=False):
    """Enqueue to a structure's contact address the e-mail carrying its one-time link.

    A bare address, not an account: the person is not named, nor their need.
    """
    context = {"structure_name": structure.name, "resent": resent,
               "expires": clock.local(expires_at).strftime("%d/%m/%Y")}
    return enqueue("structure_link", dedup_key=dedup_key, context=context,
                   email=structure.contact_email, path=path, referral=referral)


# --- accounts (invitations, password resets) ----------------------------------------------

def invitation(user, *, path, expires_at, dedup_key, invited_by=None):
    """Enqueue the invitation e-mail carrying a one-time link (its secret is redacted once sent)."""
    context = {"name": user.display_name or "", "role_label": Role(user.role).label,
               "inviter": invited_by.name if invited_by is not None else "",
               "expires": clock.local(expires_at).strftime("%d/%m/%Y à %H:%M")}
    return enqueue("invitation", dedup_key=dedup_key, context=context, user=user, path=path)


def password_reset(user, *, path, expires_at, dedup_key):
    """Enqueue the password reset e-mail carrying a one-time link."""
    context = {"name": user.display_name or "",
               "expires": clock.local(expires_at).strftime("%d/%m/%Y à %H:%M")}
    return enqueue("password_reset", dedup_key=dedup_key, context=context, user=user, path=path)


# --- digest ------------------------------------------------------------------------------

@use_case
def enqueue_digests(*, counts_for):
    """Enqueue today's digest for every active coordinator who wants it and has something to read.

    `counts_for(user)` returns a dict of counts (waiting, stale, uncovered, …); a digest with
    only zeros is skipped. Idempotent per coordinator and day (Europe/Paris).
    """
    day = clock.local(clock.now()).date()
    opted_out = select(NotificationPreference.user_id).where(
        NotificationPreference.user_id == User.id, NotificationPreference.digest.is_(False))
    coordinators = db.session.scalars(
        select(User).where(User.role == Role.COORDINATOR.value, User.active.is_(True),
                           ~exists(opted_out)).order_by(User.email)).all()
    summary = {"queued": 0, "empty": 0, "already": 0}
    for user in coordinators:
        counts = counts_for(user)
        if not any(counts.get(k) for k in ("waiting", "stale", "uncovered")):
            summary["empty"] += 1
            continue
        context = {"name": user.display_name or "", "day": day.strftime("%d/%m/%Y"),
                   "waiting": counts.get("waiting", 0), "stale": counts.get("stale", 0),
                   "uncovered": counts.get("uncovered"),
                   "waiting_link": absolute_url(link_path(("coordination.inbox", {}))),
                   "stale_link": absolute_url(link_path(("coordination.stale", {}))),
                   "coverage_link": absolute_url(link_path(("coverage.index", {})))}
        added = enqueue("digest", dedup_key=f"digest:{user.id}:{day.isoformat()}", context=context,
                        user=user, path=link_path(("coordination.inbox", {})))
        summary["queued" if added else "already"] += 1
    return summary

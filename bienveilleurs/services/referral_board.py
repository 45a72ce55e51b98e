"""Read-only views of referrals for the pages of relays, coordinators and social workers.

Everything here is built on services.referrals (scoping in the query, `visibility`,
field-level privacy of notes and positions) and services.matching; no lifecycle rule is
decided here. Nothing is written, nothing is committed (reads through `get_referral` are
access-logged by that function).
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    OUTCOME_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    Referral,
    Relay,
    Resource,
    Role,
    User,
)
from . import matching
from . import referrals as lifecycle
from .codes import category_label

ROLE_NAMES = {role.value: label for role, label in ROLE_LABELS.items()}
ROLE_NAMES["system"] = "Automatique"

REASON_LABELS = {
    **lifecycle.SEND_BACK_REASONS,
    lifecycle.CONTACT_REASON: "Contact réussi noté par le bienveilleur",
    "opposition": "Opposition de la personne",
    lifecycle.CORRECTION_REASON: "Correction des informations",
}


def reason_label(reason):
    """Return the French label of a known reason code, or the reason as typed."""
    if not reason:
        return None
    return REASON_LABELS.get(reason, reason)


@dataclass
class TimelineRow:
    """One event of a referral as a page shows it (names and labels resolved)."""

    at: datetime
    actor_name: str
    actor_role: str
    from_label: str | None
    to_label: str
    reason: str | None
    note: str | None
    note_professional: bool
    outcome: str | None
    relay_name: str | None
    resource_name: str | None
    correction: bool = False  # a correction of the details (its note names the fields)


def _names(model, column, ids):
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def timeline(user, referral):
    """Return the events `user` may see, oldest first, as TimelineRow (notes filtered)."""
    events = lifecycle.visible_events(user, referral)
    actors = _names(User, User.display_name, (e.actor_id for e in events))
    emails = _names(User, User.email, (e.actor_id for e in events))
    relays = _names(Relay, Relay.display_name, (e.relay_id for e in events))
    resources = _names(Resource, Resource.name, (e.resource_id for e in events))
    rows = []
    for event in events:
        if event.actor_role == "system":
            actor = lifecycle.SYSTEM_ACTOR.display_name
        else:
            actor = actors.get(event.actor_id) or emails.get(event.actor_id) or "Compte supprimé"
        note = lifecycle.event_note(user, event)
        # The relay and resource of an event are shown when they changed with it.
        show_relay = event.to_status == "assigned"
        show_resource = event.to_status == "referred" or (
            event.from_status == "referred" and event.to_status == "contacted")
        rows.append(TimelineRow(
            at=event.at, actor_name=actor,
            actor_role=ROLE_NAMES.get(event.actor_role, event.actor_role),
            from_label=STATUS_LABELS.get(event.from_status) if event.from_status else None,
            to_label=STATUS_LABELS[event.to_status],
            reason=reason_label(event.reason), note=note,
            note_professional=bool(note and event.note_professional),
            outcome=OUTCOME_LABELS.get(event.outcome) if event.outcome else None,
            relay_name=relays.get(event.relay_id) if show_relay else None,
            resource_name=resources.get(event.resource_id) if show_resource else None,
            correction=(event.reason == lifecycle.CORRECTION_REASON
                        and event.from_status == event.to_status)))
    return rows


@dataclass
class Return:
    """Why a referral came back from a resource: the reason, the note, who sent it back."""

    reason: str | None
    note: str | None
    resource_name: str | None


def last_return(user, referral):
    """Return the last move of a sent-back referral as `user` may read it (or None)."""
    events = [e for e in referral.events if e.reason != lifecycle.CORRECTION_REASON]
    if not events:
        return None
    event = events[-1]
    resource = db.session.get(Resource, event.resource_id) if event.resource_id else None
    return Return(reason=reason_label(event.reason), note=lifecycle.event_note(user, event),
                  resource_name=resource.name if resource is not None else None)


# --- proposals -------------------------------------------------------------------------------

@dataclass
class RelayProposal:
    """A relay proposed to a coordinator for a referral, with why it fits."""

    id: str
    display_name: str
    distance_m: float
    free_capacity: int
    capacity: int
    shared_languages: list = field(default_factory=list)
    available_now: bool | None = None


def proposed_relays(user, referral, *, limit=3):
    """Return the best relays for the referral (coordinators only), best first.

    Matching (`match_relays`: active, free capacity, within their own radius of the person)
    ranked by `rank_relays_for` (shared language, available now, free room, distance). The
    relay already in charge is left out (a reassignment needs someone else).
    """
    if user.role != Role.COORDINATOR.value:
        return []  # a relay's point is often their home: coordinators only
    position = lifecycle.resident_position(user, referral)
    if position is None:
        return []
    spoken = list(referral.resident.languages or [])
    query = matching.MatchQuery(lon=position["lon"], lat=position["lat"],
                                limit=min(matching.MAX_LIMIT, limit * 3 + 1))
    relays = matching.match_relays(query, max_radius_m=current_app.config["RELAY_MAX_RADIUS_M"])
    current = str(referral.relay_id) if referral.relay_id else None
    relays = [r for r in relays if r["id"] != current]
    ranked = matching.rank_relays_for(query, relays, resident_languages=spoken)
    return [RelayProposal(id=r["id"], display_name=r["display_name"], distance_m=r["distance_m"],
                          free_capacity=r["free_capacity"], capacity=r["capacity"],
                          shared_languages=sorted(set(spoken) & set(r["languages"])),
                          available_now=r["available_now"])
            for r in ranked[:limit]]


def proposed_resources(user, referral, *, limit=5):
    """Return the nearest fitting resources for the referral, without those that declined it.

    For the people who may see the person's exact position (coordinators, the relay in
    charge while it is open); nobody else gets proposals computed from it.
    """
    position = lifecycle.resident_position(user, referral)
    if position is None or not position["exact"]:
        return []
    return lifecycle.next_best_resources(referral, limit=limit)


# --- lists -----------------------------------------------------------------------------------

def open_referrals(user):
    """Return the referrals in `user`'s scope that are not closed, oldest move first."""
    statement = (lifecycle.scoped_referrals(user).where(Referral.status != "closed")
                 .options(selectinload(Referral.resident), selectinload(Referral.relay))
                 .order_by(Referral.status_changed_at, Referral.id))
    return db.session.scalars(statement).all()


def can_see(user, referral_id):
    """Tell whether `user` still sees the referral (a move may take it out of their scope)."""
    return bool(db.session.scalar(select(exists(
        lifecycle.scoped_referrals(user).where(Referral.id == referral_id).subquery()))))


def structure_referrals(user):
    """Return {status: [referral]} for a social worker by status, latest move first."""
    statement = (lifecycle.scoped_referrals(user)
                 .options(selectinload(Referral.resident), selectinload(Referral.relay),
                          selectinload(Referral.resource))
                 .order_by(Referral.status_changed_at.desc(), Referral.id))
    groups = {"referred": [], "accepted": [], "closed": []}
    for referral in db.session.scalars(statement).all():
        groups.setdefault(referral.status, []).append(referral)
    return groups


@dataclass
class RelayContact:
    """How a professional reaches the relay in charge: their name and their account e-mail."""

    display_name: str
    email: str | None


def relay_contact(referral):
    """Return the relay in charge of the referral (name, account e-mail), or None."""
    relay = referral.relay
    if relay is None:
        return None
    user = relay.user
    email = user.email if user is not None and user.active else None
    return RelayContact(relay.display_name, email)


def category_name(code):
    return category_label(code)


__all__ = ["REASON_LABELS", "RelayContact", "RelayProposal", "TimelineRow", "can_see",
           "category_name",
           "last_return", "open_referrals", "proposed_relays", "proposed_resources",
           "reason_label", "relay_contact", "structure_referrals", "timeline"]

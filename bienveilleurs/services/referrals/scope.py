"""Who sees which referral, how much of it, and which moves they may make on it.

- `scoped_referrals`, `scoped_residents`: select() of what a user may see (out of scope is
  a 404, decided in the query, never in a template);
- `get_referral`: one referral in scope, its read written to the access log (a use case);
- `visibility`, `visible_events`, `event_note`, `visible_contacts`, `resident_position`:
  what of a referral already in scope a user sees;
- `actor_capacities`, `available_moves`: what a user is to a referral in the lifecycle
  table (coordinator, assigned relay…), and so which moves they may make (page buttons);
- `SYSTEM_ACTOR`: the expiry job as an actor (it sees everything, owns no account).

The helpers without a leading underscore that are not re-exported by the package
(`referral_uuid`, `not_found`, `scope_condition`, `structure_ids`, `is_assigned_relay`,
`serves_structure`) are for the package's own modules.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, exists, false, or_, select, true

from geo.points import lon_lat
from geo.queries import point_in_area

from ...errors import NotFound, ResidentErased
from ...extensions import db
from ...models import (
    OUTCOMES,
    Contact,
    ErasedId,
    Referral,
    ReferralEvent,
    Resident,
    Resource,
    Role,
    Territory,
    User,
    coordinator_territories,
)
from ..access_log import record_access
from ..transaction import use_case
from .table import (
    ACTIVE_STATUSES,
    ASSIGNED_RELAY,
    COORDINATOR,
    MOVE_LABELS,
    RELAY_SELF,
    STRUCTURE_WORKER,
    SYSTEM,
    TRANSITIONS,
)


class _SystemActor:
    """The expiry job, as an actor of moves (no account)."""

    id = None
    role = "system"
    display_name = "Traitement automatique"
    name = display_name
    structures = ()
    territories = ()
    relay = None

    def __repr__(self):
        return "SYSTEM_ACTOR"


SYSTEM_ACTOR = _SystemActor()


def referral_uuid(value):
    """Return `value` as a UUID; anything else names no referral (NotFound)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound("Orientation introuvable.") from None


def not_found(referral_id):
    """Raise 410 for an erased person's referral (anonymous tombstone), else 404."""
    if db.session.get(ErasedId, referral_id) is not None:
        raise ResidentErased()
    raise NotFound("Orientation introuvable.")


# --- scoping ------------------------------------------------------------------------------

def _city_wide_coordinator_exists():
    attached = select(coordinator_territories.c.user_id).where(
        coordinator_territories.c.user_id == User.id)
    return db.session.scalar(select(exists().where(
        User.role == Role.COORDINATOR.value, User.active.is_(True), ~exists(attached)))) is True


def _covering(territory_condition):
    """Condition on Resident: a territory matching `territory_condition` covers its point."""
    # The one point-in-territory test (as for notifications), so that whoever is notified
    # about a referral can also open it.
    return exists(select(Territory.id).where(
        territory_condition, point_in_area(Resident.point, Territory.area)).correlate(Resident))


def _coordinator_residents(user):
    """Condition on Resident for a coordinator; None means every resident (city-wide)."""
    territory_ids = [t.id for t in user.territories]
    if not territory_ids:
        return None
    condition = _covering(Territory.id.in_(territory_ids))
    if not _city_wide_coordinator_exists():
        # Nobody is city-wide: points no coordinator's territory covers go to every
        # coordinator, never to nobody.
        staffed = Territory.id.in_(
            select(coordinator_territories.c.territory_id)
            .join(User, User.id == coordinator_territories.c.user_id)
            .where(User.role == Role.COORDINATOR.value, User.active.is_(True)))
        condition = or_(condition, ~_covering(staffed))
    return condition


def structure_ids(user):
    """Return the ids of the structures `user` works for."""
    return [s.id for s in user.structures]


def scope_condition(user):
    """WHERE condition on Referral for what `user` may see at all."""
    if user is SYSTEM_ACTOR:
        return true()
    role = user.role
    if role == Role.COORDINATOR.value:
        residents = _coordinator_residents(user)
        if residents is None:
            return true()
        return Referral.resident_id.in_(select(Resident.id).where(residents))
    if role == Role.RELAY.value:
        relay = user.relay
        mine = [Referral.reporter_id == user.id]
        if relay is not None:
            mine.append(Referral.relay_id == relay.id)
        return or_(*mine)
    if role == Role.SOCIAL_WORKER.value:
        ours = structure_ids(user)
        if not ours:
            return false()
        return and_(
            Referral.status.in_(("referred", "accepted", "closed")),
            Referral.resource_id.in_(select(Resource.id).where(
                Resource.structure_id.in_(ours))))
    return false()  # admin: not the content of referrals (DESIGN)


def scoped_referrals(user):
    """Return a select() of the Referral rows `user` may see; add filters and order to it.

    coordinator: referrals whose resident's point lies in one of their territories (all of
    them when attached to no territory; points no staffed territory covers go to the
    city-wide coordinators, or to every coordinator when there is none); relay: the ones
    assigned to them, and the ones they reported (status only, see `visibility`); social
    worker: those sent to a resource of their structures (referred, accepted, closed);
    admin: none.
    """
    return select(Referral).where(scope_condition(user))


def scoped_residents(user):
    """Return a select() of the Resident rows `user` may add a new need to (see `report`)."""
    if user.role == Role.COORDINATOR.value:
        condition = _coordinator_residents(user)
        return select(Resident).where(condition if condition is not None else true())
    if user.role == Role.RELAY.value:
        relay = user.relay
        conditions = [Resident.reported_by_id == user.id]
        if relay is not None:
            conditions.append(Resident.id.in_(select(Referral.resident_id).where(
                Referral.relay_id == relay.id, Referral.status.in_(ACTIVE_STATUSES))))
        return select(Resident).where(or_(*conditions))
    return select(Resident).where(false())


@use_case
def get_referral(user, referral_id):
    """Return the referral if `user` may see it; NotFound (404) otherwise, 410 if erased.

    The read is written to the access log (privacy: reads are logged) and committed with it.
    """
    rid = referral_uuid(referral_id)
    referral = db.session.scalar(scoped_referrals(user).where(Referral.id == rid))
    if referral is None:
        not_found(rid)
    record_access(user, "referral.read", "referral", referral.id)
    return referral


# --- what of a referral in scope a user sees -----------------------------------------------

def is_assigned_relay(user, referral):
    """Tell whether `user` is the relay the referral is assigned to."""
    relay = getattr(user, "relay", None)
    return (user is not SYSTEM_ACTOR and user.role == Role.RELAY.value and relay is not None
            and referral.relay_id == relay.id)


def serves_structure(user, referral):
    """Tell whether `user` works for the structure of the referral's resource."""
    if referral.resource_id is None:
        return False
    resource = db.session.get(Resource, referral.resource_id)
    return resource is not None and resource.structure_id in set(structure_ids(user))


def visibility(user, referral):
    """Tell how much of a referral (already known to be in scope) `user` sees.

    "full": coordinators, and the relay it is assigned to; "structure": social workers
    of the resource's structure (what the referral needs, not the relays' contacts);
    "status_only": the relay who reported it while it is not assigned to them.
    """
    if user.role == Role.COORDINATOR.value:
        return "full"
    if user.role == Role.RELAY.value:
        return "full" if is_assigned_relay(user, referral) else "status_only"
    if user.role == Role.SOCIAL_WORKER.value:
        return "structure"
    return "status_only"


def event_note(user, event):
    """Return the event's note if `user` may read it (professional notes never reach relays)."""
    if event.note is None:
        return None
    if event.note_professional and user.role == Role.RELAY.value:
        return None
    return event.note


def visible_events(user, referral):
    """Return the events `user` may see, oldest first (use `event_note` for their notes).

    Coordinators and the assigned relay see every event; a social worker sees the report
    and the events about their structure's resources; status-only viewers see none.
    """
    view = visibility(user, referral)
    if view == "status_only":
        return []
    events = db.session.scalars(select(ReferralEvent)
                                .where(ReferralEvent.referral_id == referral.id)
                                .order_by(ReferralEvent.id)).all()
    if view == "structure":
        theirs = set(structure_ids(user))
        ours = set(db.session.scalars(select(Resource.id).where(
            Resource.structure_id.in_(theirs))).all()) if theirs else set()
        return [e for i, e in enumerate(events) if i == 0 or e.resource_id in ours]
    return list(events)


def visible_contacts(user, referral):
    """Return the logged contacts `user` may see, oldest first (coordinators, assigned relay)."""
    if visibility(user, referral) != "full":
        return []
    return db.session.scalars(select(Contact).where(Contact.referral_id == referral.id)
                              .order_by(Contact.at, Contact.created_at, Contact.id)).all()


def resident_position(user, referral):
    """Return {"lon", "lat", "exact"} of the person as `user` may see it, or None.

    The exact point only for coordinators and the relay the referral is assigned to while
    it is open; social workers get the stored ~200 m grid point; status-only viewers nothing.
    """
    resident = referral.resident
    if resident is None or resident.erased_at is not None:
        return None
    view = visibility(user, referral)
    if view == "status_only":
        return None
    exact = user.role == Role.COORDINATOR.value or (
        view == "full" and referral.status in ACTIVE_STATUSES)
    point = lon_lat(resident.point if exact else resident.approx_point)
    if point is None:
        return None
    return {"lon": point[0], "lat": point[1], "exact": exact}


# --- who may make which move --------------------------------------------------------------

def actor_capacities(actor, referral):
    """Return the capacities (COORDINATOR, ASSIGNED_RELAY…) `actor` holds on `referral`."""
    if actor is SYSTEM_ACTOR:
        return frozenset({SYSTEM})
    role = actor.role
    if role == Role.COORDINATOR.value:
        return frozenset({COORDINATOR})
    if role == Role.RELAY.value:
        capacities = set()
        if actor.relay is not None:
            capacities.add(RELAY_SELF)
            if referral.relay_id == actor.relay.id and referral.status in ACTIVE_STATUSES:
                capacities.add(ASSIGNED_RELAY)
        return frozenset(capacities)
    if role == Role.SOCIAL_WORKER.value and serves_structure(actor, referral):
        return frozenset({STRUCTURE_WORKER})
    return frozenset()


@dataclass(frozen=True)
class AvailableMove:
    """A move `user` may make now: what to ask for in the form and which outcomes to offer."""

    name: str
    target: str
    label: str
    needs: tuple
    outcomes: tuple


def available_moves(user, referral):
    """Return the moves `user` may make from the referral's current status (for buttons)."""
    capacities = actor_capacities(user, referral)
    found = {}
    for move in TRANSITIONS:
        if referral.status not in move.sources or not (move.actors & capacities):
            continue
        key = (move.name, move.target)
        outcomes = set(move.outcomes) | (set(found[key].outcomes) if key in found else set())
        found[key] = AvailableMove(move.name, move.target, MOVE_LABELS[move.name], move.needs,
                                   tuple(o for o in OUTCOMES if o in outcomes))
    return list(found.values())

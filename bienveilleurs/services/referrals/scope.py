"""Who sees which referral, how much of it, and which moves they may make on it.

- `scoped_referrals`, `scoped_residents`: select() of what a user may see (out of scope is
  a 404, decided in the query, never in a template);
- `get_referral`: one referral in scope, its read written to the access log (a use case);
- `visibility`, `visible_events`, `event_note`, `visible_contacts`, `resident_position`:
  what of a referral already in scope a user sees;
- `actor_capacities`, `available_moves`: what a user is to a referral in the lifecycle
  table (coordinator, assigned relay…), and so which moves they may make (page buttons);
- `SYSTEM_ACTOR`: the expiry job as an actor (it sees everything, owns no account); a
  structure's one-time link is the other actor without an account (role `STRUCTURE_LINK`,
  see `structure_link.LinkActor`): it reads and moves its one referral as the structure's
  social workers would (`STRUCTURE_VIEWERS`).

The helpers without a leading underscore that are not re-exported by the package
(`referral_uuid`, `not_found`, `refuse_erased`, `scope_condition`, `structure_ids`,
`is_assigned_relay`, `serves_structure`, `another_relay_holds`, `RESIDENT_PLACEMENT`) are
for the package's own modules.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy import and_, any_, exists, false, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert

from geo.points import lon_lat
from geo.queries import point_in_area

from ... import clock
from ...errors import NotFound, ResidentErased
from ...extensions import db
from ...models import (
    OUTCOMES,
    Contact,
    ErasedId,
    FollowUp,
    Referral,
    ReferralEvent,
    Resident,
    Resource,
    Role,
    Territory,
)
from .. import areas
from ..access_log import record_access
from ..transaction import use_case
from .table import (
    ACTIVE_STATUSES,
    ASSIGNED_RELAY,
    COORDINATOR,
    MOVE_LABELS,
    RELAY_SELF,
    STRUCTURE_LINK,
    STRUCTURE_WORKER,
    SYSTEM,
    TRANSITIONS,
)

# Who reads a referral as its structure does: its social workers, and its one-time link.
STRUCTURE_VIEWERS = (Role.SOCIAL_WORKER.value, STRUCTURE_LINK)


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


def not_found():
    """Raise 404 for a referral out of the caller's scope, erased or not.

    An erased person's referral answers 410 only to those who could see it: the caller
    finds it in scope first, then `refuse_erased` says it was erased.
    """
    raise NotFound("Orientation introuvable.")


def refuse_erased(referral):
    """Raise ResidentErased (410) when the referral's person was erased."""
    if referral.resident is None or referral.resident.erased_at is not None:
        raise ResidentErased()


# --- scoping ------------------------------------------------------------------------------

def _residents_placement(key):
    """How the person whose id is in `key` (Resident.id, Referral.resident_id) is placed.

    By their point, through the one point-in-territory test (as for notifications, so that
    whoever is notified about a referral can also open it), from the territories' side
    (`areas.by_point`); once erased, by the territories that covered it when they opposed
    (kept on the tombstone: who may still be told so). `open_only`: for lists of referrals
    that are not closed, which never hold an erased person (an opposition closes every
    referral of the person, and an erased person's referral is never moved again), so the
    tombstones' branch, an OR that no index serves, is left out.
    """
    by_point = areas.by_point(Resident, key=key)

    def covered(territory_condition, *, open_only=False):
        pointed = by_point.covered(territory_condition)
        if open_only:
            return pointed
        by_tombstone = exists(
            select(ErasedId.id).join(Territory, Territory.id == any_(ErasedId.territory_ids))
            .where(ErasedId.id == key, territory_condition))
        return or_(pointed, by_tombstone)
    return covered


RESIDENT_PLACEMENT = areas.Placement(_residents_placement(Resident.id))
_REFERRAL_COVERED = _residents_placement(Referral.resident_id)
_REFERRAL_PLACEMENT = areas.Placement(_REFERRAL_COVERED)
_OPEN_REFERRAL_PLACEMENT = areas.Placement(partial(_REFERRAL_COVERED, open_only=True))


def _coordinator_residents(user):
    """Condition on Resident for a coordinator; None means every resident (city-wide)."""
    return areas.coordinator_area(user, RESIDENT_PLACEMENT)


def tombstone_resident(resident_id, at):
    """Write the tombstone of a person who opposes, with the territories covering their point.

    Called before their point is erased; the tombstone keeps no point, only which
    territories' coordinators could see the person (they, and no one else, get 410).
    """
    covering = db.session.scalars(
        select(Territory.id).join(Resident, point_in_area(Resident.point, Territory.area))
        .where(Resident.id == resident_id).order_by(Territory.id)).all()
    db.session.execute(pg_insert(ErasedId).values(
        id=resident_id, kind="resident", erased_at=at, territory_ids=list(covering))
        .on_conflict_do_nothing(index_elements=["id"]))


def structure_ids(user):
    """Return the ids of the structures `user` works for."""
    return [s.id for s in user.structures]


def scope_condition(user, *, open_only=False):
    """WHERE condition on Referral for what `user` may see at all (`open_only`: among the
    referrals that are not closed, which the caller filters on)."""
    if user is SYSTEM_ACTOR:
        return true()
    role = user.role
    if role == Role.COORDINATOR.value:
        placement = _OPEN_REFERRAL_PLACEMENT if open_only else _REFERRAL_PLACEMENT
        condition = areas.coordinator_area(user, placement)
        return true() if condition is None else condition
    if role == Role.RELAY.value:
        relay = user.relay
        mine = [Referral.reporter_id == user.id]
        if relay is not None:
            mine.append(Referral.relay_id == relay.id)
        return or_(*mine)
    if role in STRUCTURE_VIEWERS:
        ours = structure_ids(user)
        if not ours:
            return false()
        sent_to_them = and_(
            Referral.status.in_(("referred", "accepted", "closed")),
            Referral.resource_id.in_(select(Resource.id).where(
                Resource.structure_id.in_(ours))))
        # A structure's link: that one referral, as its social workers would see it.
        return sent_to_them if role != STRUCTURE_LINK else and_(
            sent_to_them, Referral.id == user.referral_id)
    return false()  # admin: not the content of referrals (DESIGN)


def scoped_referrals(user, *, open_only=False):
    """Return a select() of the Referral rows `user` may see; add filters and order to it.

    `open_only`: only those not closed (the coordinators' lists), by a condition the
    indexes serve (see `_residents_placement`).

    coordinator: referrals whose resident's point lies in one of their territories (all of
    them when attached to no territory; points no staffed territory covers go to the
    city-wide coordinators, or to every coordinator when there is none); relay: the ones
    assigned to them, and the ones they reported (status only, see `visibility`); social
    worker: those sent to a resource of their structures (referred, accepted, closed); a
    structure's one-time link: its one referral on that same condition; admin: none.
    """
    statement = select(Referral).where(scope_condition(user, open_only=open_only))
    return statement.where(Referral.status != "closed") if open_only else statement


FOLLOW_UP_REPORT_WINDOW = timedelta(days=14)


def _followed_up_by(relay):
    """Condition on Resident: `relay` holds a follow-up of the person (API.md, "Follow-up"):
    one not made yet, or made in the last two weeks (a new need found by the call)."""
    recent = clock.now() - FOLLOW_UP_REPORT_WINDOW
    return Resident.id.in_(
        select(Referral.resident_id).join(FollowUp, FollowUp.referral_id == Referral.id)
        .where(FollowUp.relay_id == relay.id,
               or_(FollowUp.done_at.is_(None), FollowUp.done_at >= recent)))


def scoped_residents(user):
    """Return a select() of the Resident rows `user` may add a new need to (see `report`).

    Coordinators: the people of their scope. Relays: the people currently assigned to them
    (an active referral) or whose follow-up they hold; never the people they only reported:
    who may act on a person comes from an assignment.
    """
    if user.role == Role.COORDINATOR.value:
        condition = _coordinator_residents(user)
        return select(Resident).where(condition if condition is not None else true())
    if user.role == Role.RELAY.value and user.relay is not None:
        relay = user.relay
        assigned = Resident.id.in_(select(Referral.resident_id).where(
            Referral.relay_id == relay.id, Referral.status.in_(ACTIVE_STATUSES)))
        return select(Resident).where(or_(assigned, _followed_up_by(relay)))
    return select(Resident).where(false())


def sees_referral(user, referral_id):
    """Tell whether `user` sees the referral (a move may take it out of their scope)."""
    return db.session.scalar(select(
        scoped_referrals(user).where(Referral.id == referral_id).exists())) is True


def sees_resident(user, resident_id):
    """Tell whether `user` sees (or saw, before an erasure) one of the person's referrals."""
    return db.session.scalar(select(
        scoped_referrals(user).where(Referral.resident_id == resident_id).exists())) is True


def erased_or_not_found(user, resident_id, error):
    """Raise ResidentErased (410) if `user` could see this erased person, else `error`."""
    if db.session.get(ErasedId, resident_id) is not None and sees_resident(user, resident_id):
        raise ResidentErased()
    raise error


@use_case
def get_referral(user, referral_id):
    """Return the referral if `user` may see it; NotFound (404) otherwise, 410 if erased.

    Out of scope is a 404 even when the person was erased: only those who could see the
    referral learn that it was erased. The read is written to the access log (privacy:
    reads are logged) and committed with it.
    """
    rid = referral_uuid(referral_id)
    referral = db.session.scalar(scoped_referrals(user).where(Referral.id == rid))
    if referral is None:
        not_found()
    refuse_erased(referral)
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
    of the resource's structure and its one-time link (what the referral needs, not the
    relays' contacts);
    "status_only": the relay who reported it while it is not assigned to them.
    """
    if user.role == Role.COORDINATOR.value:
        return "full"
    if user.role == Role.RELAY.value:
        return "full" if is_assigned_relay(user, referral) else "status_only"
    if user.role in STRUCTURE_VIEWERS:
        return "structure"
    return "status_only"


def _report_note_shared(user, referral_id):
    """Tell whether the last move of the referral to a resource of `user`'s structures shared
    the report's note with them (`share_report_note`)."""
    ours = select(Resource.id).where(Resource.structure_id.in_(structure_ids(user)))
    return db.session.scalar(
        select(ReferralEvent.report_note_shared)
        .where(ReferralEvent.referral_id == referral_id, ReferralEvent.to_status == "referred",
               ReferralEvent.resource_id.in_(ours))
        .order_by(ReferralEvent.id.desc()).limit(1)) is True


def event_note(user, event):
    """Return the event's note if `user` may read it.

    Professional notes never reach relays. Social workers read what the orientation needs:
    the note written for them, not the report's (it may hold health details), unless the
    relay shared it when handing the referral to their structure.
    """
    if event.note is None:
        return None
    if event.note_professional and user.role == Role.RELAY.value:
        return None
    if (user.role in STRUCTURE_VIEWERS and event.from_status is None
            and not _report_note_shared(user, event.referral_id)):
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

def another_relay_holds(referral, relay_id):
    """Tell whether a relay other than `relay_id` holds an active referral of the same person.

    A relay takes a reported referral on themselves only when nobody else accompanies the
    person (API.md): having reported them once gives no right to their file.
    """
    return db.session.scalar(select(exists().where(
        Referral.resident_id == referral.resident_id, Referral.id != referral.id,
        Referral.relay_id.is_not(None), Referral.relay_id != relay_id,
        Referral.status.in_(ACTIVE_STATUSES)))) is True


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
            if referral.status == "reported" and not another_relay_holds(referral, actor.relay.id):
                capacities.add(RELAY_SELF)
            if referral.relay_id == actor.relay.id and referral.status in ACTIVE_STATUSES:
                capacities.add(ASSIGNED_RELAY)
        return frozenset(capacities)
    if role == Role.SOCIAL_WORKER.value and serves_structure(actor, referral):
        return frozenset({STRUCTURE_WORKER})
    if (role == STRUCTURE_LINK and referral.id == actor.referral_id
            and serves_structure(actor, referral)):
        return frozenset({STRUCTURE_LINK})
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

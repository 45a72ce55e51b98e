"""Referrals: one transition table, and the use cases that move a referral through it.

The lifecycle is the table `TRANSITIONS` below, row for row the table of API.md ("The
lifecycle"). Every change goes through `_move`, which checks the table, applies the side
effects (relay load counters under a row lock, resource cleared on a decline…), writes one
`ReferralEvent`, bumps the version, then calls `_after_transition` inside the same
transaction (the one place where notifications hook in).

Public functions, for the pages, the API and the other services:

- use cases (one transaction each, committed once; on any error the session is rolled
  back, so nothing is half-written): `report`, `transition`, `log_contact`,
  `expire_referrals`;
- scoping (in the query; out of scope is a 404): `scoped_referrals`, `get_referral`,
  `visibility`, `scoped_residents`;
- field-level privacy: `visible_events`, `event_note`, `visible_contacts`,
  `resident_position`;
- lists for pages: `available_moves`, `coordinator_inbox`, `relay_referrals`,
  `reported_by`, `stale_referrals`, `next_best_resources`, `referral_matches`;
- for the privacy service (opposition): `close_for_opposition` (does not commit).

`actor` is always a `User` (or `SYSTEM_ACTOR` for the expiry job).
"""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps

from flask import current_app
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert

from geo.errors import GeoError
from geo.points import parse_point
from geo.privacy import approximate_point
from geo.queries import point_in_area

from .. import clock
from ..errors import (
    BadRequest,
    CapacityFull,
    ConsentRequired,
    Forbidden,
    IdempotencyMismatch,
    InvalidTransition,
    NotFound,
    ResidentErased,
    StaleVersion,
    ValidationFailed,
)
from ..extensions import db
from ..models import (
    CHANNELS,
    OUTCOMES,
    STATUS_LABELS,
    STATUSES,
    Contact,
    ErasedId,
    Referral,
    ReferralEvent,
    Relay,
    Resident,
    Resource,
    Role,
    Territory,
    User,
    coordinator_territories,
)
from . import matching
from .access_log import record_access
from .codes import SEPARATOR, check_audiences, check_categories, expand_categories
from .transaction import use_case

# --- the lifecycle ------------------------------------------------------------------------

# Who may make a move. A user may hold several of these capacities on one referral.
COORDINATOR = "coordinator"            # a coordinator whose scope holds the referral
RELAY_SELF = "relay_self"              # any relay, assigning only themselves
ASSIGNED_RELAY = "assigned_relay"      # the relay the referral is assigned to
STRUCTURE_WORKER = "structure_worker"  # a social worker of the resource's structure
SYSTEM = "system"                      # the expiry job

# Outcomes (API.md): after a resource accepted; without a resource; any of them.
OUTCOMES_AFTER_ACCEPT = frozenset({"helped", "not_helped", "redirected"})
OUTCOMES_WITHOUT_RESOURCE = frozenset({"helped", "unreachable", "declined_help",
                                       "no_longer_needed", "duplicate"})
OUTCOMES_ANY = OUTCOMES_AFTER_ACCEPT | OUTCOMES_WITHOUT_RESOURCE  # never "opposed": see opposition

# Statuses in which the assigned relay carries the referral (counts toward their capacity).
ACTIVE_STATUSES = frozenset({"assigned", "contacted", "referred", "accepted"})


@dataclass(frozen=True)
class Move:
    """One row of the lifecycle table."""

    name: str                 # assign, reassign, unassign, contact, refer, accept, send_back, close, reopen
    sources: frozenset        # statuses the move starts from
    target: str               # status it leads to
    actors: frozenset         # capacities allowed to make it
    needs: tuple = ()         # fields the move requires
    outcomes: frozenset = frozenset()  # allowed outcomes (closing moves)


def _row(name, sources, target, actors, needs=(), outcomes=frozenset()):
    return Move(name, frozenset(sources), target, frozenset(actors), tuple(needs), frozenset(outcomes))


# The table of API.md, row for row. Two rows of API.md are written as two moves each,
# because their actors differ by starting state or by outcome: "reported, assigned,
# contacted → closed" (the assigned relay not from reported) and "accepted → closed"
# (everyone listed with the three outcomes after an acceptance, the coordinator with any).
TRANSITIONS = (
    _row("assign", {"reported"}, "assigned", {COORDINATOR, RELAY_SELF}, needs=("relay_id",)),
    _row("reassign", {"assigned", "contacted"}, "assigned", {COORDINATOR},
         needs=("relay_id", "version")),
    _row("unassign", {"assigned"}, "reported", {COORDINATOR, ASSIGNED_RELAY}, needs=("reason",)),
    _row("contact", {"assigned"}, "contacted", {ASSIGNED_RELAY, COORDINATOR}),
    _row("refer", {"contacted"}, "referred", {ASSIGNED_RELAY, COORDINATOR}, needs=("resource_id",)),
    _row("accept", {"referred"}, "accepted", {STRUCTURE_WORKER, COORDINATOR, ASSIGNED_RELAY}),
    _row("send_back", {"referred"}, "contacted",
         {STRUCTURE_WORKER, COORDINATOR, ASSIGNED_RELAY, SYSTEM}, needs=("reason",)),
    _row("close", {"accepted"}, "closed", {STRUCTURE_WORKER, COORDINATOR, ASSIGNED_RELAY},
         needs=("outcome",), outcomes=OUTCOMES_AFTER_ACCEPT),
    _row("close", {"reported", "assigned", "contacted"}, "closed", {COORDINATOR},
         needs=("outcome",), outcomes=OUTCOMES_WITHOUT_RESOURCE),
    _row("close", {"assigned", "contacted"}, "closed", {ASSIGNED_RELAY},
         needs=("outcome",), outcomes=OUTCOMES_WITHOUT_RESOURCE),
    _row("close", {"referred", "accepted"}, "closed", {COORDINATOR},
         needs=("outcome",), outcomes=OUTCOMES_ANY),
    _row("reopen", {"closed"}, "reported", {COORDINATOR}, needs=("reason",)),
)


def _index(table):
    by_pair = {}
    for move in table:
        for source in move.sources:
            by_pair.setdefault((source, move.target), []).append(move)
    for (source, target), moves in by_pair.items():
        # Several rows for one pair differ only by actors and outcomes, never by meaning.
        assert len({(m.name, m.needs) for m in moves}) == 1, (source, target)
    return {pair: tuple(moves) for pair, moves in by_pair.items()}


MOVES = _index(TRANSITIONS)

MOVE_LABELS = {
    "assign": "Attribuer", "reassign": "Réattribuer", "unassign": "Retirer l'attribution",
    "contact": "Contact établi", "refer": "Orienter vers une ressource",
    "accept": "Prise en charge confirmée", "send_back": "Refusée ou sans réponse",
    "close": "Clôturer", "reopen": "Rouvrir",
}

# Reasons for a referral sent back by the resource (any other short text is accepted too).
SEND_BACK_REASONS = {
    "declined": "Refusée par la structure",
    "no_answer": "Pas de réponse de la structure",
    "expired": "Délai de réponse dépassé",
}
# Reason written on the automatic move of a reached contact.
CONTACT_REASON = "contact"

# What a relay has to do next, by status (for "Mes personnes").
NEXT_STEPS = {
    "reported": "En attente d'attribution",
    "assigned": "Prendre contact avec la personne",
    "contacted": "Orienter vers une ressource",
    "referred": "En attente de la réponse de la structure",
    "accepted": "Suivre la prise en charge, puis clôturer",
    "closed": "Clôturée",
}

NOTE_MAX = 2000
REASON_MAX = 200
NAME_MAX = 80
PHONE_MAX = 40
_PHONE = re.compile(r"\+?[0-9 .\-()/]{6,40}")
# A contact dated a little in the future is a phone clock out of step; more is a mistake.
CLOCK_SKEW = timedelta(minutes=10)


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


def _transaction(function):
    """Roll the session back when a use case fails, so that nothing is half-written."""
    @wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
    return wrapper


def _setting(name, default):
    try:
        return current_app.config.get(name, default)
    except RuntimeError:  # outside an application context (pure unit use)
        return default


def _after_transition(referral, event):
    """React to one committed-to-be move: called once per event, inside the transaction.

    The event is flushed (it has its id) and the referral carries its new state; the
    caller commits afterwards, so whatever is written here is atomic with the move.
    Notifications hook in here (referred, assigned, sent back / expired). Never commit here.
    The report of a new referral also passes here (event.from_status is None).
    """
    from . import (
        notifications,  # the outbox row joins this transaction (see services/notifications)
    )
    notifications.on_transition(referral, event)


# --- input checks -------------------------------------------------------------------------

def _bad_type(field, expected):
    message = f"Le champ {field} doit être {expected}."
    return BadRequest(message, details=[{"field": field, "message": message}])


def _missing(field, message=None):
    message = message or f"Le champ {field} est obligatoire."
    return BadRequest(message, details=[{"field": field, "message": message}])


def _text(value, field, max_len):
    """Return a stripped string or None; wrong type → 400, too long → 422."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad_type(field, "une chaîne de caractères")
    value = value.strip()
    if not value:
        return None
    if len(value) > max_len:
        raise ValidationFailed.field(field, f"Le champ {field} dépasse {max_len} caractères.")
    return value


def _flag(value, field, default=False):
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad_type(field, "true ou false")
    return value


def _string_list(value, field):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad_type(field, "une liste de chaînes de caractères")
    return [v.strip() for v in value if v.strip()]


def _uuid(value, field):
    """Return a UUID or None; wrong type → 400, not a UUID → 422."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise _bad_type(field, "un identifiant (UUID) sous forme de chaîne")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValidationFailed.field(field, f"Le champ {field} n'est pas un identifiant valide "
                                            "(UUID attendu).") from None


def _id_or_404(value):
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound("Orientation introuvable.") from None


def _version(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_type("version", "un nombre entier")
    return value


def _status(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _missing("to", "Indiquez l'état visé (champ to).")
    if not isinstance(value, str):
        raise _bad_type("to", "une chaîne de caractères")
    if value not in STATUSES:
        raise ValidationFailed.field("to", "État inconnu : choisissez parmi " + ", ".join(STATUSES) + ".")
    return value


def _datetime(value, field):
    if value is None:
        raise _missing(field)
    if not isinstance(value, str):
        raise _bad_type(field, "une date ISO 8601 (chaîne)")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.field(field, f"Le champ {field} doit être une date ISO 8601, "
                                            "par exemple 2025-03-14T10:30:00+01:00.") from None
    if moment.tzinfo is None:
        raise ValidationFailed.field(field, f"Le champ {field} doit préciser son décalage horaire "
                                            "(par exemple +01:00 ou Z).")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted by the offset
        raise ValidationFailed.field(field, f"Le champ {field} n'est pas une date plausible.") from None


def _digest(data):
    """SHA-256 of a normalised payload: replays are compared field by field, not byte by byte."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).digest()


def _round(value):
    return round(float(value), 7)


def _geog(lon, lat):
    return from_shape(Point(lon, lat), srid=4326)


def _lon_lat(element):
    if element is None:
        return None
    point = to_shape(element)
    return (point.x, point.y)


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


def _structure_ids(user):
    return [s.id for s in user.structures]


def _scope(user):
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
        structure_ids = _structure_ids(user)
        if not structure_ids:
            return false()
        return and_(
            Referral.status.in_(("referred", "accepted", "closed")),
            Referral.resource_id.in_(select(Resource.id).where(
                Resource.structure_id.in_(structure_ids))))
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
    return select(Referral).where(_scope(user))


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


def _not_found(referral_id):
    """Raise 410 for an erased person's referral (anonymous tombstone), else 404."""
    if db.session.get(ErasedId, referral_id) is not None:
        raise ResidentErased()
    raise NotFound("Orientation introuvable.")


@use_case
def get_referral(user, referral_id):
    """Return the referral if `user` may see it; NotFound (404) otherwise, 410 if erased."""
    rid = _id_or_404(referral_id)
    referral = db.session.scalar(scoped_referrals(user).where(Referral.id == rid))
    if referral is None:
        _not_found(rid)
    record_access(user, "referral.read", "referral", referral.id)  # privacy: reads are logged
    return referral


def _is_assigned_relay(user, referral):
    relay = getattr(user, "relay", None)
    return (user is not SYSTEM_ACTOR and user.role == Role.RELAY.value and relay is not None
            and referral.relay_id == relay.id)


def _serves_structure(user, referral):
    if referral.resource_id is None:
        return False
    resource = db.session.get(Resource, referral.resource_id)
    return resource is not None and resource.structure_id in set(_structure_ids(user))


def visibility(user, referral):
    """Tell how much of a referral (already known to be in scope) `user` sees.

    "full": coordinators, and the relay it is assigned to; "structure": social workers
    of the resource's structure (what the referral needs, not the relays' contacts);
    "status_only": the relay who reported it while it is not assigned to them.
    """
    if user.role == Role.COORDINATOR.value:
        return "full"
    if user.role == Role.RELAY.value:
        return "full" if _is_assigned_relay(user, referral) else "status_only"
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
    events = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                                .order_by(ReferralEvent.id)).all()
    if view == "structure":
        structure_ids = set(_structure_ids(user))
        ours = set(db.session.scalars(select(Resource.id).where(
            Resource.structure_id.in_(structure_ids))).all()) if structure_ids else set()
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
    point = _lon_lat(resident.point if exact else resident.approx_point)
    if point is None:
        return None
    return {"lon": point[0], "lat": point[1], "exact": exact}


# --- capacities and available moves -------------------------------------------------------

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
    if role == Role.SOCIAL_WORKER.value and _serves_structure(actor, referral):
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
        outcomes = set(found[key].outcomes) | move.outcomes if key in found else set(move.outcomes)
        found[key] = AvailableMove(move.name, move.target, MOVE_LABELS[move.name], move.needs,
                                   tuple(o for o in OUTCOMES if o in outcomes))
    return list(found.values())


# --- the one place where a referral changes -----------------------------------------------

def _lock_relay(relay_id):
    relay = db.session.scalar(select(Relay).where(Relay.id == relay_id).with_for_update(of=Relay)
                              .execution_options(populate_existing=True))
    if relay is None:
        raise ValidationFailed.field("relay_id", "Bienveilleur inconnu.")
    return relay


def _take(relay):
    """Count one more active referral for a locked relay, within its capacity."""
    if relay.status != "active":
        raise ValidationFailed.field("relay_id", f"{relay.display_name} n'est pas actif "
                                                 "(en pause ou parti) : choisissez quelqu'un d'autre.")
    if relay.active_referrals >= relay.capacity:
        raise CapacityFull(f"{relay.display_name} suit déjà {relay.capacity} personne(s), "
                           "son maximum.")
    relay.active_referrals += 1


def _release(relay):
    relay.active_referrals -= 1


def _lock_relays(*relay_ids):
    """Lock relay rows in id order, so that two transactions never wait on each other."""
    return {rid: _lock_relay(rid) for rid in sorted({r for r in relay_ids if r is not None}, key=str)}


def _move(actor, referral, to, *, version=None, relay_id=None, resource_id=None, reason=None,
          outcome=None, note=None, note_professional=False, now=None):
    """Check the table and apply one move to a locked referral; return the new event."""
    now = now or clock.now()
    source = referral.status
    if version is not None and version != referral.version:
        raise StaleVersion(details=[{"field": "version",
                                     "message": f"La version actuelle est {referral.version}."}])
    moves = MOVES.get((source, to))
    if not moves:
        raise InvalidTransition(f"Impossible de passer de « {STATUS_LABELS[source]} » "
                                f"à « {STATUS_LABELS[to]} ».")
    capacities = actor_capacities(actor, referral)
    allowed = [m for m in moves if m.actors & capacities]
    if not allowed:
        raise Forbidden(f"Votre rôle ne permet pas de passer cette orientation de "
                        f"« {STATUS_LABELS[source]} » à « {STATUS_LABELS[to]} ».")
    move = allowed[0]
    only_self = not any(m.actors & (capacities - {RELAY_SELF}) for m in allowed)
    if move.name == "assign" and only_self and relay_id is None:
        relay_id = actor.relay.id  # a relay taking a referral on: themselves, by default
    given = {"relay_id": relay_id, "resource_id": resource_id, "reason": reason,
             "outcome": outcome, "version": version}
    missing = [name for name in move.needs if given[name] is None]
    if missing:
        raise BadRequest("Champ(s) obligatoire(s) pour ce changement : " + ", ".join(missing) + ".",
                         details=[{"field": name, "message": "Obligatoire pour ce changement."}
                                  for name in missing])
    if "outcome" in move.needs:
        permitted = set().union(*(m.outcomes for m in allowed))
        if outcome not in permitted:
            raise ValidationFailed.field("outcome", "Issue non permise ici : choisissez parmi " +
                                         ", ".join(o for o in OUTCOMES if o in permitted) + ".")

    event_relay, event_resource = referral.relay_id, referral.resource_id
    if move.name == "assign":
        if only_self and relay_id != actor.relay.id:
            raise Forbidden("Un bienveilleur ne peut s'attribuer une orientation qu'à lui-même.")
        relay = _lock_relays(relay_id)[relay_id]
        _take(relay)
        referral.relay = relay
        event_relay = relay.id
    elif move.name == "reassign":
        if relay_id == referral.relay_id:
            raise ValidationFailed.field("relay_id", "L'orientation est déjà attribuée à ce bienveilleur.")
        relays = _lock_relays(relay_id, referral.relay_id)
        _take(relays[relay_id])
        _release(relays[referral.relay_id])
        referral.relay = relays[relay_id]
        event_relay = relay_id
    elif move.name == "unassign":
        _release(_lock_relays(referral.relay_id)[referral.relay_id])
        referral.relay = None
    elif move.name == "refer":
        resource = db.session.get(Resource, resource_id)
        if resource is None or not resource.active:
            raise ValidationFailed.field("resource_id", "Ressource inconnue ou inactive.")
        referral.resource = resource
        event_resource = resource.id
    elif move.name == "send_back":
        referral.resource = None  # the event keeps which resource declined
    elif move.name == "close":
        if source in ACTIVE_STATUSES and referral.relay_id is not None:
            _release(_lock_relays(referral.relay_id)[referral.relay_id])
        referral.outcome = outcome
    elif move.name == "reopen":
        # Back to the inbox: nobody carries it until a coordinator assigns it again.
        referral.outcome = None
        referral.relay = None
        referral.resource = None

    referral.status = to
    referral.status_changed_at = now
    event = ReferralEvent(referral_id=referral.id, at=now, actor_id=actor.id, actor_role=actor.role,
                          from_status=source, to_status=to, reason=reason, note=note,
                          note_professional=bool(note and note_professional),
                          relay_id=event_relay, resource_id=event_resource,
                          outcome=outcome if move.name == "close" else None)
    db.session.add(event)
    db.session.flush()  # bumps the version (version_id_col) and gives the event its id
    _after_transition(referral, event)
    return event


def _lock_referral(actor, referral_id):
    rid = _id_or_404(referral_id)
    statement = (scoped_referrals(actor).where(Referral.id == rid).with_for_update(of=Referral)
                 .execution_options(populate_existing=True))
    referral = db.session.scalar(statement)
    if referral is None:
        _not_found(rid)
    return referral


def _refuse_erased(referral):
    if referral.resident is None or referral.resident.erased_at is not None:
        raise ResidentErased()


@_transaction
def transition(actor, referral_id, to, *, version=None, relay_id=None, resource_id=None,
               reason=None, outcome=None, note=None, note_professional=False):
    """Move a referral to `to`, as the lifecycle table allows, and return it (committed).

    Pass `version` (the one the user saw): a stale one gives StaleVersion (409); a
    reassignment requires it. Needed fields by move: relay_id (assign; a relay assigning
    themselves may omit it), relay_id + version (reassign), reason (unassign, send back,
    reopen), resource_id (refer), outcome (close). Errors: NotFound (out of scope),
    InvalidTransition (not in the table), Forbidden (not allowed to this actor),
    BadRequest (missing field), ValidationFailed, CapacityFull, ResidentErased.
    """
    to = _status(to)
    version = _version(version)
    relay_id = _uuid(relay_id, "relay_id")
    resource_id = _uuid(resource_id, "resource_id")
    reason = _text(reason, "reason", REASON_MAX)
    outcome = _text(outcome, "outcome", 30)
    if outcome is not None and outcome not in OUTCOMES:
        raise ValidationFailed.field("outcome", "Issue inconnue : choisissez parmi " +
                                     ", ".join(o for o in OUTCOMES if o != "opposed") + ".")
    note = _text(note, "note", NOTE_MAX)
    note_professional = _flag(note_professional, "note_professional")
    referral = _lock_referral(actor, referral_id)
    _refuse_erased(referral)
    _move(actor, referral, to, version=version, relay_id=relay_id, resource_id=resource_id,
          reason=reason, outcome=outcome, note=note, note_professional=note_professional)
    db.session.commit()
    return referral


def close_for_opposition(actor, referral, *, now=None):
    """Close an open referral with outcome "opposed" (the person opposed); do not commit.

    For the privacy service only, inside its own transaction: the one way to the
    "opposed" outcome, outside the table. Frees the relay's capacity, writes the event.
    The referral should be locked by the caller (SELECT … FOR UPDATE).
    """
    if referral.status == "closed":
        return None
    now = now or clock.now()
    source = referral.status
    if source in ACTIVE_STATUSES and referral.relay_id is not None:
        _release(_lock_relays(referral.relay_id)[referral.relay_id])
    referral.status, referral.outcome, referral.status_changed_at = "closed", "opposed", now
    event = ReferralEvent(referral_id=referral.id, at=now, actor_id=actor.id, actor_role=actor.role,
                          from_status=source, to_status="closed", reason="opposition",
                          relay_id=referral.relay_id, resource_id=referral.resource_id,
                          outcome="opposed")
    db.session.add(event)
    db.session.flush()
    _after_transition(referral, event)
    return event


# --- report -------------------------------------------------------------------------------

def _parse_name(data):
    """The person's first name and pseudonym (one at least): for a report and a correction."""
    first_name = _text(data.get("first_name"), "resident.first_name", NAME_MAX)
    pseudonym = _text(data.get("pseudonym"), "resident.pseudonym", NAME_MAX)
    if first_name is None and pseudonym is None:
        raise _missing("resident.first_name", "Indiquez un prénom ou un pseudonyme.")
    return {"first_name": first_name, "pseudonym": pseudonym}


def _parse_details(data):
    """The person's languages, audiences, phone and newcomer flag: for a report and a correction."""
    languages = matching.parse_languages(_string_list(data.get("languages"), "resident.languages"),
                                         field="resident.languages")
    audiences = check_audiences(_string_list(data.get("audiences"), "resident.audiences"),
                                field="resident.audiences")
    phone = _text(data.get("phone"), "resident.phone", PHONE_MAX)
    if phone is not None and not _PHONE.fullmatch(phone):
        raise ValidationFailed.field("resident.phone", "Numéro de téléphone invalide.")
    return {"languages": sorted(set(languages)), "audiences": sorted(set(audiences)),
            "phone": phone, "newcomer": _flag(data.get("newcomer"), "resident.newcomer")}


def _parse_category(category):
    """The need: one data·inclusion thematique code (a report and a correction)."""
    if category is None or (isinstance(category, str) and not category.strip()):
        raise _missing("category", "Indiquez le besoin (category).")
    if not isinstance(category, str):
        raise _bad_type("category", "un code de thématique (chaîne)")
    return check_categories([category.strip()], field="category")[0]


def _parse_resident(data, area):
    if not isinstance(data, dict):
        raise _bad_type("resident", "un objet")
    names = _parse_name(data)
    lat, lon = data.get("lat"), data.get("lon")
    for name, value in (("resident.lat", lat), ("resident.lon", lon)):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _missing(name, "Indiquez où se trouve la personne (lat, lon).")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _bad_type(name, "un nombre")
    try:
        lon_value, lat_value = parse_point(lat, lon, area=area, lat_field="resident.lat",
                                           lon_field="resident.lon")
    except GeoError as exc:
        raise ValidationFailed(exc.message, details=[{"field": exc.field or "resident.lat,resident.lon",
                                                       "message": exc.message}]) from None
    return {**names, "lat": _round(lat_value), "lon": _round(lon_value), **_parse_details(data)}


def _parse_report(payload, area):
    if not isinstance(payload, dict):
        raise BadRequest("Le corps de la requête doit être un objet JSON.")
    client_id = _uuid(payload.get("id"), "id")
    consent = payload.get("consent")
    if consent is not None and not isinstance(consent, bool):
        raise _bad_type("consent", "true ou false")
    if consent is not True:
        raise ConsentRequired(details=[{"field": "consent", "message": ConsentRequired.default_message}])
    resident_id = _uuid(payload.get("resident_id"), "resident_id")
    resident = payload.get("resident")
    if resident_id is not None and resident is not None:
        raise BadRequest("Indiquez soit resident_id (une personne connue), soit resident, pas les deux.",
                         details=[{"field": "resident", "message": "resident_id ou resident, pas les deux."}])
    if resident_id is None and resident is None:
        raise _missing("resident", "Indiquez la personne (resident) ou son identifiant (resident_id).")
    category = _parse_category(payload.get("category"))
    normalised = {
        "resident_id": str(resident_id) if resident_id else None,
        "resident": _parse_resident(resident, area) if resident is not None else None,
        "category": category,
        "note": _text(payload.get("note"), "note", NOTE_MAX),
        "note_professional": _flag(payload.get("note_professional"), "note_professional"),
    }
    return client_id, normalised


def _replay(existing, actor, digest):
    if existing.reporter_id != actor.id or existing.payload_digest != digest:
        raise IdempotencyMismatch()
    return existing, False


@_transaction
def report(actor, payload):
    """Report a person with one need; return (referral, created).

    `payload` is the API body (API.md, POST /api/v1/referrals): optional client `id`,
    either `resident_id` (a known resident within the actor's scope) or `resident`
    {first_name | pseudonym, lat, lon, languages, phone, audiences, newcomer}, `category`
    (one data·inclusion thematique), optional `note` / `note_professional`, and
    `consent: true` (ConsentRequired otherwise). The same client `id` again with the same
    normalised content by the same account returns the existing referral (created=False);
    with other content or by another account, IdempotencyMismatch; an erased id, 410.
    """
    if actor.role not in (Role.RELAY.value, Role.COORDINATOR.value):
        raise Forbidden("Seuls les bienveilleurs et les coordinateurs signalent une personne.")
    client_id, data = _parse_report(payload, _setting("SERVICE_AREA", None))
    digest = _digest(data)
    referral_id = client_id or uuid.uuid4()
    if client_id is not None:
        if db.session.get(ErasedId, client_id) is not None:
            raise ResidentErased()
        existing = db.session.get(Referral, client_id, populate_existing=True)
        if existing is not None:
            return _replay(existing, actor, digest)

    now = clock.now()
    savepoint = db.session.begin_nested()
    if data["resident_id"] is not None:
        resident = db.session.scalar(scoped_residents(actor).where(
            Resident.id == uuid.UUID(data["resident_id"])))
        if resident is None:
            savepoint.rollback()
            if db.session.get(ErasedId, uuid.UUID(data["resident_id"])) is not None:
                raise ResidentErased()
            raise ValidationFailed.field("resident_id", "Personne inconnue.")
        if resident.erased_at is not None:
            savepoint.rollback()
            raise ResidentErased()
        if resident.consent_at is None:
            resident.consent_at, resident.consent_by_id = now, actor.id
    else:
        person = data["resident"]
        approx_lon, approx_lat = approximate_point(person["lon"], person["lat"])
        resident = Resident(first_name=person["first_name"], pseudonym=person["pseudonym"],
                            point=_geog(person["lon"], person["lat"]),
                            approx_point=_geog(approx_lon, approx_lat),
                            languages=person["languages"], audiences=person["audiences"],
                            phone=person["phone"], newcomer=person["newcomer"],
                            consent_at=now, consent_by_id=actor.id, reported_by_id=actor.id)
        db.session.add(resident)
    db.session.flush()
    # The primary key decides between concurrent replays: no read-then-insert race.
    inserted = db.session.execute(
        pg_insert(Referral.__table__).values(
            id=referral_id, resident_id=resident.id, category=data["category"], status="reported",
            version=1, reporter_id=actor.id, payload_digest=digest, status_changed_at=now,
            created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["id"]).returning(Referral.__table__.c.id)).first()
    if inserted is None:
        savepoint.rollback()  # the resident created for nothing goes too
        existing = db.session.get(Referral, referral_id, populate_existing=True)
        result = _replay(existing, actor, digest)
        db.session.commit()
        return result
    savepoint.commit()
    referral = db.session.get(Referral, referral_id, populate_existing=True)
    event = ReferralEvent(referral_id=referral.id, at=now, actor_id=actor.id, actor_role=actor.role,
                          from_status=None, to_status="reported", note=data["note"],
                          note_professional=bool(data["note"] and data["note_professional"]))
    db.session.add(event)
    db.session.flush()
    _after_transition(referral, event)
    db.session.commit()
    return referral, True


# --- correction of the details -----------------------------------------------------------

# The reason code of a correction event (its note lists the corrected fields, in French).
CORRECTION_REASON = "correction"
# What a correction may change, with the French name the timeline shows (never the values:
# the timeline is read by people who must not see a phone number). Not the position (the
# privacy grid and the territories depend on it) and not the status (the lifecycle does).
CORRECTABLE_FIELDS = {
    "first_name": "prénom",
    "pseudonym": "pseudonyme",
    "phone": "téléphone",
    "languages": "langues",
    "audiences": "publics",
    "newcomer": "arrivée récente",
    "category": "besoin",
}
_PERSON_FIELDS = ("first_name", "pseudonym", "phone", "languages", "audiences", "newcomer")


def may_correct(user, referral):
    """Tell whether `user` may correct the details of a referral already known to be in scope.

    Coordinators (their scope) and the relay it is assigned to, while it is open and the
    person not erased. Admins never see the content of referrals (DESIGN), so never.
    """
    if referral.status == "closed" or referral.resident is None \
            or referral.resident.erased_at is not None:
        return False
    return user.role == Role.COORDINATOR.value or _is_assigned_relay(user, referral)


def _current_details(resident, referral):
    return {"first_name": resident.first_name, "pseudonym": resident.pseudonym,
            "phone": resident.phone, "languages": sorted(set(resident.languages or [])),
            "audiences": sorted(set(resident.audiences or [])), "newcomer": bool(resident.newcomer),
            "category": referral.category}


def _parse_correction(data, current):
    """Validate a correction as a report is validated; keys left out keep their value."""
    if not isinstance(data, dict):
        raise BadRequest("Le corps de la requête doit être un objet JSON.")
    unknown = sorted(set(data) - {"resident", "category"})
    if unknown:
        raise BadRequest("Champ(s) qui ne se corrigent pas : " + ", ".join(unknown) + ".",
                         details=[{"field": name, "message": "Ce champ ne se corrige pas."}
                                  for name in unknown])
    person = data.get("resident", {})
    if person is None:
        person = {}
    if not isinstance(person, dict):
        raise _bad_type("resident", "un objet")
    for name in ("lat", "lon"):
        if name in person:
            raise ValidationFailed.field(
                f"resident.{name}", "La position de la personne ne se corrige pas : elle décide "
                "du territoire et de la position approchée. Signalez à nouveau si elle a changé.")
    unknown = sorted(set(person) - set(_PERSON_FIELDS))
    if unknown:
        raise BadRequest("Champ(s) qui ne se corrigent pas : " +
                         ", ".join(f"resident.{n}" for n in unknown) + ".",
                         details=[{"field": f"resident.{n}",
                                   "message": "Ce champ ne se corrige pas."} for n in unknown])
    merged = {name: current[name] for name in _PERSON_FIELDS}
    merged.update(person)
    new = {**_parse_name(merged), **_parse_details(merged)}
    new["category"] = (_parse_category(data["category"]) if "category" in data
                       else current["category"])
    return new


@_transaction
def correct_details(user, referral_id, data, version=None):
    """Correct the details of a reported person and their need; return the list of fields changed.

    `data`: {"resident": {first_name, pseudonym, phone, languages, audiences, newcomer},
    "category"} — any subset; a key left out keeps its value; every value is validated
    as a report validates it (same functions, same messages). The position (resident.lat /
    resident.lon) is refused (422); other keys, 400. The person is shared by all their
    referrals: their details change for each. Errors: NotFound (out of scope), Forbidden
    (in scope but neither coordinator nor the assigned relay), ResidentErased (410),
    InvalidTransition (closed: reopen first), StaleVersion (409), ValidationFailed (422).
    When something changed: the rows, the referral's version and one event (reason
    "correction", a note naming the corrected fields, never their values). Nothing
    changed → nothing written, no event.
    """
    version = _version(version)
    referral = _lock_referral(user, referral_id)
    _refuse_erased(referral)
    if user.role != Role.COORDINATOR.value and not _is_assigned_relay(user, referral):
        raise Forbidden("Seuls la coordination et le bienveilleur qui accompagne la personne "
                        "corrigent ses informations.")
    if referral.status == "closed":
        raise InvalidTransition("Cette orientation est clôturée : rouvrez-la avant de corriger "
                                "les informations.")
    if version is not None and version != referral.version:
        raise StaleVersion(details=[{"field": "version",
                                     "message": f"La version actuelle est {referral.version}."}])
    resident = db.session.scalar(select(Resident).where(Resident.id == referral.resident_id)
                                 .with_for_update().execution_options(populate_existing=True))
    current = _current_details(resident, referral)
    new = _parse_correction(data, current)
    changed = [name for name in CORRECTABLE_FIELDS if new[name] != current[name]]
    if not changed:
        db.session.commit()  # nothing to write: end the transaction, release the locks
        return []
    now = clock.now()
    for name in changed:
        if name == "category":
            referral.category = new[name]
        else:
            setattr(resident, name, new[name])
    referral.updated_at = now  # the referral's version moves even when only the person changed
    note = ("Informations corrigées : " +
            ", ".join(CORRECTABLE_FIELDS[name] for name in changed) + ".")
    db.session.add(ReferralEvent(referral_id=referral.id, at=now, actor_id=user.id,
                                 actor_role=user.role, from_status=referral.status,
                                 to_status=referral.status, reason=CORRECTION_REASON, note=note))
    db.session.flush()  # bumps the version (version_id_col)
    db.session.commit()
    return changed


# --- contacts -----------------------------------------------------------------------------

def assignment_periods(referral):
    """Return [(relay_id, start, end or None)]: who was the assigned relay when, from events."""
    periods = []
    current = None
    events = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                                .order_by(ReferralEvent.id)).all()
    for event in events:
        if event.reason == CORRECTION_REASON and event.from_status == event.to_status:
            continue  # a correction of the details moves nothing
        if event.to_status == "assigned" or event.to_status in ("reported", "closed"):
            if current is not None:
                periods.append((current[0], current[1], event.at))
                current = None
            if event.to_status == "assigned":
                current = (event.relay_id, event.at)
    if current is not None:
        periods.append((current[0], current[1], None))
    return periods


def was_assigned(referral, relay_id, at):
    """Tell whether `relay_id` was the assigned relay at the moment `at`."""
    return any(rid == relay_id and start <= at and (end is None or at < end)
               for rid, start, end in assignment_periods(referral))


def _parse_contact(payload):
    if not isinstance(payload, dict):
        raise BadRequest("Le corps de la requête doit être un objet JSON.")
    if payload.get("id") is None:
        raise _missing("id", "Le champ id (identifiant UUID choisi par le téléphone) est obligatoire.")
    contact_id = _uuid(payload.get("id"), "id")
    at = _datetime(payload.get("at"), "at")
    if at > clock.now() + CLOCK_SKEW:
        raise ValidationFailed.field("at", "La date du contact est dans le futur.")
    channel = payload.get("channel")
    if channel is None:
        raise _missing("channel")
    if not isinstance(channel, str):
        raise _bad_type("channel", "une chaîne de caractères")
    if channel not in CHANNELS:
        raise ValidationFailed.field("channel", "Canal inconnu : choisissez parmi " +
                                     ", ".join(CHANNELS) + ".")
    reached = payload.get("reached")
    if reached is None:
        raise _missing("reached")
    reached = _flag(reached, "reached")
    note = _text(payload.get("note"), "note", NOTE_MAX)
    return contact_id, {"at": at.isoformat(timespec="microseconds"), "channel": channel,
                        "reached": reached, "note": note}, at


@_transaction
def log_contact(actor, referral_id, payload):
    """Log one contact with the person; return (contact, created).

    `payload`: client UUID `id` (required), `at` (ISO 8601 with offset), `channel`
    (visit, phone, meeting, message), `reached` (bool), optional `note`. Allowed to the
    assigned relay and to coordinators in scope, and to a relay who was the assigned relay
    at the moment `at` (offline phones sync late). The same `id` and content again →
    the existing contact (created=False); other content or another author →
    IdempotencyMismatch. The first reached contact moves an assigned referral to contacted.
    """
    if actor.role not in (Role.RELAY.value, Role.COORDINATOR.value):
        raise Forbidden("Seuls les bienveilleurs et les coordinateurs notent un contact.")
    contact_id, data, at = _parse_contact(payload)
    rid = _id_or_404(referral_id)
    if any(db.session.get(ErasedId, i) is not None for i in (contact_id, rid)):  # erased: 410
        raise ResidentErased()
    referral = db.session.scalar(select(Referral).where(Referral.id == rid).with_for_update()
                                 .execution_options(populate_existing=True))
    if referral is None:
        _not_found(rid)
    in_scope = db.session.scalar(select(exists().where(Referral.id == rid, _scope(actor))))
    if actor.role == Role.COORDINATOR.value:
        allowed = in_scope
    else:
        relay = actor.relay
        allowed = relay is not None and (
            (referral.relay_id == relay.id and referral.status in ACTIVE_STATUSES)
            or was_assigned(referral, relay.id, at))
    if not allowed:
        if in_scope:
            raise Forbidden("Seuls le bienveilleur attribué et les coordinateurs notent un contact.")
        raise NotFound("Orientation introuvable.")
    _refuse_erased(referral)

    digest = _digest({**data, "referral_id": str(referral.id)})
    inserted = db.session.execute(
        pg_insert(Contact.__table__).values(
            id=contact_id, referral_id=referral.id, author_id=actor.id, at=at,
            channel=data["channel"], reached=data["reached"], note=data["note"],
            payload_digest=digest, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["id"]).returning(Contact.__table__.c.id)).first()
    if inserted is None:
        existing = db.session.get(Contact, contact_id, populate_existing=True)
        if existing.author_id != actor.id or existing.payload_digest != digest:
            raise IdempotencyMismatch()
        db.session.commit()
        return existing, False
    db.session.expire(referral, ["contacts"])
    contact = db.session.get(Contact, contact_id)
    resident = referral.resident
    if resident.last_contact_at is None or resident.last_contact_at < at:
        resident.last_contact_at = at
    if (data["reached"] and referral.status == "assigned"
            and actor_capacities(actor, referral) & {COORDINATOR, ASSIGNED_RELAY}):
        _move(actor, referral, "contacted", reason=CONTACT_REASON)
    db.session.commit()
    return contact, True


# --- lists for pages ----------------------------------------------------------------------

def relay_referrals(user, *, include_closed=False):
    """Return the referrals assigned to this relay ("Mes personnes"), oldest move first."""
    relay = user.relay
    if relay is None:
        return []
    statement = scoped_referrals(user).where(Referral.relay_id == relay.id)
    if not include_closed:
        statement = statement.where(Referral.status != "closed")
    return db.session.scalars(statement.order_by(Referral.status_changed_at, Referral.id)).all()


def reported_by(user):
    """Return the referrals `user` reported that are not assigned to them (status only)."""
    statement = scoped_referrals(user).where(Referral.reporter_id == user.id)
    relay = user.relay
    if relay is not None:
        statement = statement.where(or_(Referral.relay_id.is_(None), Referral.relay_id != relay.id))
    return db.session.scalars(statement.order_by(Referral.created_at.desc(), Referral.id)).all()


@dataclass
class InboxItem:
    referral: Referral
    kind: str      # "to_assign" (reported) or "sent_back" (declined / no answer / expired)
    since: datetime


def coordinator_inbox(user):
    """Return what waits for a coordinator: referrals to assign, and those sent back."""
    last_from = (select(ReferralEvent.from_status).where(
                     ReferralEvent.referral_id == Referral.id,
                     ReferralEvent.reason.is_distinct_from(CORRECTION_REASON))  # not a move
                 .order_by(ReferralEvent.id.desc()).limit(1).correlate(Referral).scalar_subquery())
    sent_back = and_(Referral.status == "contacted", last_from == "referred")
    rows = db.session.scalars(scoped_referrals(user).where(
        or_(Referral.status == "reported", sent_back))
        .order_by(Referral.status_changed_at, Referral.id)).all()
    return [InboxItem(r, "to_assign" if r.status == "reported" else "sent_back", r.status_changed_at)
            for r in rows]


STALE_LABELS = {
    "unassigned": "Personne ne l'a prise en charge",
    "no_contact": "Pas de contact depuis l'attribution",
    "no_answer": "Pas de réponse de la structure",
}


@dataclass
class StaleReferral:
    referral: Referral
    kind: str          # unassigned, no_contact, no_answer
    since: datetime
    age: timedelta

    @property
    def label(self):
        return STALE_LABELS[self.kind]


def stale_thresholds():
    """Return {status: (kind, timedelta)} from the settings."""
    return {
        "reported": ("unassigned", timedelta(hours=_setting("STALE_UNASSIGNED_HOURS", 48))),
        "assigned": ("no_contact", timedelta(days=_setting("STALE_NO_CONTACT_DAYS", 7))),
        "referred": ("no_answer", timedelta(days=_setting("STALE_NO_ANSWER_DAYS", 10))),
    }


def stale_referrals(user, now=None):
    """Return the referrals in scope nobody moved for too long, oldest first, with their age.

    Unassigned past STALE_UNASSIGNED_HOURS, assigned without contact past
    STALE_NO_CONTACT_DAYS, referred without answer past STALE_NO_ANSWER_DAYS.
    """
    now = now or clock.now()
    thresholds = stale_thresholds()
    condition = or_(*[and_(Referral.status == status, Referral.status_changed_at <= now - age)
                      for status, (_, age) in thresholds.items()])
    rows = db.session.scalars(scoped_referrals(user).where(condition)
                              .order_by(Referral.status_changed_at, Referral.id)).all()
    return [StaleReferral(r, thresholds[r.status][0], r.status_changed_at, now - r.status_changed_at)
            for r in rows]


@_transaction
def expire_referrals(now=None):
    """Send back referred referrals with no answer after REFERRAL_EXPIRY_DAYS; return how many.

    Each goes back to `contacted` with reason "expired", by the system actor, through the
    table. Idempotent: a second run finds nothing more. Rows locked by a concurrent move
    are skipped (the next run takes them).
    """
    now = now or clock.now()
    limit = now - timedelta(days=_setting("REFERRAL_EXPIRY_DAYS", 14))
    referrals = db.session.scalars(
        select(Referral).where(Referral.status == "referred", Referral.status_changed_at <= limit)
        .order_by(Referral.status_changed_at, Referral.id)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)).all()
    for referral in referrals:
        _move(SYSTEM_ACTOR, referral, "contacted", reason="expired", now=now)
    db.session.commit()
    return len(referrals)


# --- matching for a referral --------------------------------------------------------------

def declined_resource_ids(referral):
    """Return the ids of resources that declined or did not answer this referral (from events)."""
    return set(db.session.scalars(select(ReferralEvent.resource_id).where(
        ReferralEvent.referral_id == referral.id, ReferralEvent.from_status == "referred",
        ReferralEvent.to_status == "contacted", ReferralEvent.resource_id.isnot(None))).all())


def _categories_for(category):
    codes = set(expand_categories([category]))
    if SEPARATOR in category:
        codes.add(category.split(SEPARATOR, 1)[0])  # a resource tagged with the whole category fits
    return sorted(codes)


def next_best_resources(referral, *, limit=5, at=None):
    """Return the nearest fitting resources for the referral (matching dicts), without
    the ones that already declined it. Uses the exact point: for coordinators' pages."""
    point = _lon_lat(referral.resident.point) if referral.resident else None
    if point is None:
        return []
    excluded = {str(r) for r in declined_resource_ids(referral)}
    query = matching.MatchQuery(lon=point[0], lat=point[1], categories=_categories_for(referral.category),
                                limit=limit + len(excluded))
    return [r for r in matching.match_resources(query, at=at) if r["id"] not in excluded][:limit]


def referral_matches(user, referral_id, *, audiences=(), languages=(), open_now=False,
                     accessible=False, available_now=False, limit=matching.DEFAULT_LIMIT, at=None):
    """Answer GET /api/v1/referrals/{id}/matches: the match for the person's point and need.

    Relays only for coordinators (a relay's point is often their home). Social workers
    are matched from the ~200 m grid point; status-only viewers are refused.
    """
    referral = get_referral(user, referral_id)
    if visibility(user, referral) == "status_only":
        raise Forbidden("Vous ne voyez que l'état de cette orientation.")
    position = resident_position(user, referral)
    if position is None:
        raise ResidentErased()
    query = matching.MatchQuery(lon=position["lon"], lat=position["lat"],
                                categories=_categories_for(referral.category),
                                audiences=list(audiences), languages=list(languages),
                                open_now=open_now, accessible=accessible,
                                available_now=available_now, limit=limit)
    include_relays = user.role in (Role.COORDINATOR.value, Role.ADMIN.value)
    return matching.match(query, include_relays=include_relays,
                          max_radius_m=_setting("RELAY_MAX_RADIUS_M", 5000), at=at)


__all__ = [
    "ACTIVE_STATUSES", "AvailableMove", "CORRECTABLE_FIELDS", "CORRECTION_REASON",
    "InboxItem", "MOVES", "MOVE_LABELS", "Move", "NEXT_STEPS", "SEND_BACK_REASONS",
    "STALE_LABELS", "SYSTEM_ACTOR", "StaleReferral", "TRANSITIONS", "actor_capacities",
    "assignment_periods", "available_moves", "close_for_opposition", "coordinator_inbox",
    "correct_details", "declined_resource_ids", "event_note", "expire_referrals",
    "get_referral", "log_contact", "may_correct", "next_best_resources", "referral_matches",
    "relay_referrals", "report", "reported_by", "resident_position", "scoped_referrals",
    "scoped_residents", "stale_referrals", "stale_thresholds", "transition", "visibility",
    "visible_contacts", "visible_events", "was_assigned",
]


def release_relay(actor, relay, *, reason="relay_ended", now=None):
    """Send every active referral of a relay who stops back to the coordinators' inbox.

    For a relay ended by a coordinator (see services/relays_admin.end_relay): whatever the
    state (assigned, contacted, referred, accepted), the referral returns to `reported`
    with no relay and no resource, one event each (the events keep the relay and the
    resource), so that a coordinator assigns someone else; nobody is left with a relay who
    has gone. `relay` must be locked by the caller. Does not commit; returns how many.
    """
    now = now or clock.now()
    referrals = db.session.scalars(
        select(Referral).where(Referral.relay_id == relay.id, Referral.status.in_(ACTIVE_STATUSES))
        .order_by(Referral.id).with_for_update(of=Referral)
        .execution_options(populate_existing=True)).all()
    for referral in referrals:
        source, resource_id = referral.status, referral.resource_id
        _release(relay)
        referral.relay = None
        referral.resource = None
        referral.status = "reported"
        referral.status_changed_at = now
        event = ReferralEvent(referral_id=referral.id, at=now, actor_id=actor.id,
                              actor_role=actor.role, from_status=source, to_status="reported",
                              reason=reason, relay_id=relay.id, resource_id=resource_id)
        db.session.add(event)
        db.session.flush()
        _after_transition(referral, event)
    return len(referrals)

"""The one place where a referral changes status: the moves of the table, and two exits.

- `apply_move` checks a move against the table (`table.TRANSITIONS`), applies its side
  effects (relay load counters under a row lock, resource cleared on a decline…) and
  writes its event; `transition` (a use case) and `expire_referrals` (a use case, for the
  scheduled job) call it, and so do a reached contact and the demo loader;
- `close_for_opposition` and `release_relay`: the changes outside the table, for the
  privacy service (an opposition) and the relay service (a relay who stops).

Each change writes its event through `events.change_status`. `apply_move`,
`close_for_opposition` and `release_relay` never commit: they are steps of their caller's
use case. `lock_referral` and `check_version` are for the package's own modules.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from ... import clock
from ...config import setting
from ...errors import (
    BadRequest,
    CapacityFull,
    Forbidden,
    InvalidTransition,
    StaleVersion,
    ValidationFailed,
)
from ...extensions import db
from ...models import OUTCOMES, STATUS_LABELS, STATUSES, Referral, Relay, Resident, Resource
from ..evaluation import follow_ups
from ..fields import Fields
from ..jobs import scheduled
from ..transaction import use_case
from .events import change_status
from .scope import (
    SYSTEM_ACTOR,
    actor_capacities,
    another_relay_holds,
    not_found,
    referral_uuid,
    refuse_erased,
    scoped_referrals,
)
from .table import (
    ACTIVE_STATUSES,
    EXPIRED_REASON,
    MOVES,
    NOTE_MAX,
    OPPOSITION_REASON,
    OUTCOME_MAX,
    REASON_MAX,
    RELAY_ENDED_REASON,
    RELAY_SELF,
)

HELD_BY_ANOTHER = ("Un autre bienveilleur accompagne déjà cette personne : c'est la "
                   "coordination qui attribue ce besoin.")


# --- locks and relay loads ----------------------------------------------------------------

def _lock_relay(relay_id):
    relay = db.session.scalar(select(Relay).where(Relay.id == relay_id)
                              .with_for_update(of=Relay)
                              .execution_options(populate_existing=True))
    if relay is None:
        raise ValidationFailed.field("relay_id", "Bienveilleur inconnu.")
    return relay


def _lock_relays(*relay_ids):
    """Lock relay rows in id order, so that two transactions never wait on each other."""
    ids = sorted({r for r in relay_ids if r is not None}, key=str)
    return {rid: _lock_relay(rid) for rid in ids}


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


def _release_holder(referral):
    """Free the capacity the assigned relay spends on an active referral that ends."""
    if referral.status in ACTIVE_STATUSES and referral.relay_id is not None:
        _release(_lock_relays(referral.relay_id)[referral.relay_id])


def lock_referral(actor, referral_id):
    """Return the referral in `actor`'s scope, row-locked; 404 (410 if erased) otherwise."""
    rid = referral_uuid(referral_id)
    statement = (scoped_referrals(actor).where(Referral.id == rid)
                 .with_for_update(of=Referral).execution_options(populate_existing=True))
    referral = db.session.scalar(statement)
    if referral is None:
        not_found()
    return referral


# --- a move of the table ------------------------------------------------------------------

@dataclass(frozen=True)
class _Asked:
    """A move as asked, once checked against the table."""

    source: str           # the status it starts from
    relay_id: object
    resource_id: object
    outcome: str | None
    only_self: bool       # the actor may make it only as a relay taking it on themselves


def check_version(referral, version):
    """Refuse (StaleVersion, 409) a change made on a version that is no longer the current one."""
    if version is not None and version != referral.version:
        raise StaleVersion(details=[{"field": "version",
                                     "message": f"La version actuelle est {referral.version}."}])


def _allowed_moves(actor, referral, to):
    """Return the rows of the table `actor` may use to reach `to`, and whether only as self."""
    source = referral.status
    moves = MOVES.get((source, to))
    if not moves:
        raise InvalidTransition(f"Impossible de passer de « {STATUS_LABELS[source]} » "
                                f"à « {STATUS_LABELS[to]} ».")
    capacities = actor_capacities(actor, referral)
    allowed = [m for m in moves if m.actors & capacities]
    if not allowed and any(RELAY_SELF in m.actors for m in moves) \
            and getattr(actor, "relay", None) is not None:
        raise Forbidden(HELD_BY_ANOTHER)  # the one reason a relay cannot take it on
    if not allowed:
        raise Forbidden(f"Votre rôle ne permet pas de passer cette orientation de "
                        f"« {STATUS_LABELS[source]} » à « {STATUS_LABELS[to]} ».")
    only_self = not any(m.actors & (capacities - {RELAY_SELF}) for m in allowed)
    return allowed, only_self


def _check_needs(allowed, given):
    """Refuse a move without the fields it needs (400) or with an outcome it does not allow."""
    needs = allowed[0].needs
    missing = [name for name in needs if given[name] is None]
    if missing:
        raise BadRequest("Champ(s) obligatoire(s) pour ce changement : " +
                         ", ".join(missing) + ".",
                         details=[{"field": name, "message": "Obligatoire pour ce changement."}
                                  for name in missing])
    if "outcome" in needs:
        permitted = set().union(*(m.outcomes for m in allowed))
        if given["outcome"] not in permitted:
            raise ValidationFailed.field("outcome", "Issue non permise ici : choisissez parmi " +
                                         ", ".join(o for o in OUTCOMES if o in permitted) + ".")


# The side effects of each move on a locked referral. Each returns what its event records
# instead of the relay and resource the referral had before (a new relay, a new
# resource), and the outcome of a closure.

def _assign(actor, referral, asked):
    if asked.only_self and asked.relay_id != actor.relay.id:
        raise Forbidden("Un bienveilleur ne peut s'attribuer une orientation qu'à lui-même.")
    if asked.only_self:
        # The person's row, locked: two relays taking on two needs of one person at once
        # cannot both see "nobody else accompanies them".
        db.session.execute(select(Resident.id).where(Resident.id == referral.resident_id)
                           .with_for_update())
        if another_relay_holds(referral, actor.relay.id):
            raise Forbidden(HELD_BY_ANOTHER)
    relay = _lock_relays(asked.relay_id)[asked.relay_id]
    _take(relay)
    referral.relay = relay
    return {"relay_id": relay.id}


def _reassign(actor, referral, asked):
    if asked.relay_id == referral.relay_id:
        raise ValidationFailed.field("relay_id",
                                     "L'orientation est déjà attribuée à ce bienveilleur.")
    relays = _lock_relays(asked.relay_id, referral.relay_id)
    _take(relays[asked.relay_id])
    _release(relays[referral.relay_id])
    referral.relay = relays[asked.relay_id]
    return {"relay_id": asked.relay_id}


def _unassign(actor, referral, asked):
    _release(_lock_relays(referral.relay_id)[referral.relay_id])
    referral.relay = None
    return {}


def _refer(actor, referral, asked):
    resource = db.session.get(Resource, asked.resource_id)
    if resource is None or not resource.active:
        raise ValidationFailed.field("resource_id", "Ressource inconnue ou inactive.")
    referral.resource = resource
    return {"resource_id": resource.id}


def _send_back(actor, referral, asked):
    referral.resource = None  # the event keeps which resource declined
    return {}


def _close(actor, referral, asked):
    _release_holder(referral)
    referral.outcome = asked.outcome
    return {"outcome": asked.outcome}


def _reopen(actor, referral, asked):
    # Back to the inbox: nobody carries it until a coordinator assigns it again.
    referral.outcome = None
    referral.relay = None
    referral.resource = None
    return {}


def _no_side_effect(actor, referral, asked):
    return {}


_SIDE_EFFECTS = {"assign": _assign, "reassign": _reassign, "unassign": _unassign,
                 "refer": _refer, "send_back": _send_back, "close": _close, "reopen": _reopen}


def apply_move(actor, referral, to, *, at=None, version=None, relay_id=None, resource_id=None,
               reason=None, outcome=None, note=None, note_professional=False,
               share_report_note=False):
    """Check the table and apply one move to `referral`; return its event. Does not commit.

    The referral must be locked by the caller (see `transition`), or created in the same
    transaction. `at` dates the move (now by default; the demo loader dates its stories in
    the past). `share_report_note`, on a move to "referred" only, lets the structure read
    the report's note (by default it reads the orientation's `note` only). Errors:
    StaleVersion, InvalidTransition, Forbidden, BadRequest (a field the move needs),
    ValidationFailed, CapacityFull.
    """
    at = at or clock.now()
    check_version(referral, version)
    allowed, only_self = _allowed_moves(actor, referral, to)
    move = allowed[0]
    if move.name == "assign" and only_self and relay_id is None:
        relay_id = actor.relay.id  # a relay taking a referral on: themselves, by default
    _check_needs(allowed, {"relay_id": relay_id, "resource_id": resource_id, "reason": reason,
                           "outcome": outcome, "version": version})
    asked = _Asked(referral.status, relay_id, resource_id, outcome, only_self)
    recorded = {"relay_id": referral.relay_id, "resource_id": referral.resource_id}
    recorded.update(_SIDE_EFFECTS.get(move.name, _no_side_effect)(actor, referral, asked))
    return change_status(actor, referral, to, at=at, reason=reason, note=note,
                         note_professional=note_professional,
                         report_note_shared=bool(share_report_note) and move.name == "refer",
                         **recorded)


def _read_move(to, given):
    """Read the values of a move as they come from a request (API.md field names)."""
    fields = Fields({**given, "to": to}, strict=True)
    to = fields.choice("to", STATUSES, label="L'état visé", required=True,
                       missing_message="Indiquez l'état visé (champ to).")
    values = {
        "version": fields.integer("version"),
        "relay_id": fields.uuid("relay_id"),
        "resource_id": fields.uuid("resource_id"),
        "reason": fields.text("reason", label="Le motif", max_length=REASON_MAX),
        "outcome": fields.text("outcome", label="L'issue", max_length=OUTCOME_MAX),
    }
    if values["outcome"] is not None and values["outcome"] not in OUTCOMES:
        fields.fail("outcome", "Issue inconnue : choisissez parmi " +
                    ", ".join(o for o in OUTCOMES if o != "opposed") + ".")
    values["note"] = fields.text("note", label="La note", max_length=NOTE_MAX, multiline=True)
    values["note_professional"] = bool(fields.boolean("note_professional"))
    values["share_report_note"] = bool(fields.boolean("share_report_note"))
    fields.done()
    return to, values


@use_case
def transition(actor, referral_id, to, *, version=None, relay_id=None, resource_id=None,
               reason=None, outcome=None, note=None, note_professional=False,
               share_report_note=False):
    """Move a referral to `to`, as the lifecycle table allows, and return it.

    Pass `version` (the one the user saw): a stale one gives StaleVersion (409); a
    reassignment requires it. Needed fields by move: relay_id (assign; a relay assigning
    themselves may omit it), relay_id + version (reassign), reason (unassign, send back,
    reopen), resource_id (refer; with `share_report_note` the structure also reads the
    report's note), outcome (close). Errors: BadRequest / ValidationFailed
    (the values, all at once), NotFound (out of scope), ResidentErased, InvalidTransition
    (not in the table), Forbidden (not allowed to this actor), BadRequest (a field the move
    needs), ValidationFailed, CapacityFull.
    """
    to, values = _read_move(to, {
        "version": version, "relay_id": relay_id, "resource_id": resource_id, "reason": reason,
        "outcome": outcome, "note": note, "note_professional": note_professional,
        "share_report_note": share_report_note})
    referral = lock_referral(actor, referral_id)
    refuse_erased(referral)
    apply_move(actor, referral, to, **values)
    return referral


@scheduled("referrals.expire", every=timedelta(hours=1),
           label="Orientations sans réponse renvoyées à la coordination")
@use_case
def expire_referrals(now=None):
    """Send back referred referrals with no answer after REFERRAL_EXPIRY_DAYS; return how many.

    Each goes back to `contacted` with reason "expired", by the system actor, through the
    table. Idempotent: a second run finds nothing more. Rows locked by a concurrent move
    are skipped (the next run takes them).
    """
    now = now or clock.now()
    limit = now - timedelta(days=setting("REFERRAL_EXPIRY_DAYS"))
    referrals = db.session.scalars(
        select(Referral).where(Referral.status == "referred", Referral.status_changed_at <= limit)
        .order_by(Referral.status_changed_at, Referral.id)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)).all()
    for referral in referrals:
        apply_move(SYSTEM_ACTOR, referral, "contacted", reason=EXPIRED_REASON, at=now)
    return len(referrals)


# --- changes outside the table ------------------------------------------------------------

def close_for_opposition(actor, referral, *, now=None):
    """Close an open referral with outcome "opposed" (the person opposed); do not commit.

    For the privacy service only, inside its own use case: the one way to the "opposed"
    outcome, outside the table. Frees the relay's capacity, writes the event. The referral
    should be locked by the caller (SELECT … FOR UPDATE). Returns the event (None when
    the referral was already closed).
    """
    if referral.status == "closed":
        return None
    _release_holder(referral)
    referral.outcome = "opposed"
    return change_status(actor, referral, "closed", at=now or clock.now(),
                         reason=OPPOSITION_REASON, relay_id=referral.relay_id,
                         resource_id=referral.resource_id, outcome="opposed")


def release_relay(actor, relay, *, reason=RELAY_ENDED_REASON, now=None):
    """Send every active referral of a relay who stops back to the coordinators' inbox.

    For a relay ended by a coordinator (see services/relays_admin.end_relay): whatever the
    state (assigned, contacted, referred, accepted), the referral returns to `reported`
    with no relay and no resource, one event each (the events keep the relay and the
    resource), so that a coordinator assigns someone else; nobody is left with a relay who
    has gone. `relay` must be locked by the caller. Does not commit; returns how many.
    """
    now = now or clock.now()
    referrals = db.session.scalars(
        select(Referral).where(Referral.relay_id == relay.id,
                               Referral.status.in_(ACTIVE_STATUSES))
        .order_by(Referral.id).with_for_update(of=Referral)
        .execution_options(populate_existing=True)).all()
    for referral in referrals:
        resource_id = referral.resource_id
        _release(relay)
        referral.relay = None
        referral.resource = None
        change_status(actor, referral, "reported", at=now, reason=reason, relay_id=relay.id,
                      resource_id=resource_id)
    follow_ups.hand_back(relay)  # their call-backs go to the coordinators too
    return len(referrals)

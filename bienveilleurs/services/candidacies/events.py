"""The one writer of candidacy events, and the hook every move passes through.

Every change of a candidacy writes one `CandidacyEvent` here (who, when, from, to, why, the
meeting notes): the moves of the table (`pipeline.apply_move`) through `change_stage`, and
the events that move nothing (a note, a charter link sent) through `write_event`. After a
move, inside the same transaction, `_after_move` records what the indicators count and
tells whoever must hear of it. Nothing here commits.
"""

from ... import clock
from ...extensions import db
from ...models import CandidacyEvent
from . import milestones
from .messages import tell_coordinators_confirmed


def _role(actor):
    """The actor's role as events keep it: an account's role, or the candidate's link."""
    return actor.role if actor is not None else "candidate"


def _after_move(candidacy, event):
    """React to one move, inside its transaction (the event is flushed). Never commit here."""
    if event.to_stage == "confirmed":
        candidacy.confirmed_at = event.at
        candidacy.territory_id = milestones.territory_at(candidacy.point)
        milestones.record("candidacy_confirmed", candidacy.id, at=event.at,
                          territory_id=candidacy.territory_id)
        tell_coordinators_confirmed(candidacy)


def write_event(actor, candidacy, to, *, source, at=None, reason=None, note=None):
    """Write one event of `candidacy` (from `source` to `to`; equal for a note); return it.

    `actor` is the account that acts, or None for the candidate through their link.
    """
    event = CandidacyEvent(candidacy_id=candidacy.id, at=at or clock.now(),
                           actor_id=getattr(actor, "id", None), actor_role=_role(actor),
                           from_stage=source, to_stage=to, reason=reason, note=note)
    db.session.add(event)
    db.session.flush()
    if source != to:
        _after_move(candidacy, event)
    return event


def change_stage(actor, candidacy, to, *, reason=None, note=None):
    """Put `candidacy` in stage `to` now and write the event of the move; return it."""
    at = clock.now()
    source = candidacy.stage
    candidacy.stage = to
    candidacy.stage_changed_at = at
    candidacy.flagged_at = None
    return write_event(actor, candidacy, to, source=source, at=at, reason=reason, note=note)

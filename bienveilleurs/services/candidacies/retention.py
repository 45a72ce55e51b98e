"""Retention of candidacies (API.md): a scheduled job, idempotent, reading `clock.now()`.

- a candidacy whose address was never confirmed: deleted 7 days after it was sent;
- a declined or withdrawn one: deleted 6 months after that move;
- an open one with no move for 12 months: flagged to the coordinators of its territory,
  then deleted 3 months later if nothing moved meanwhile (a move clears the flag);
- an active one: it is the relay's history, deleted when the relay's data are anonymised.
Deleting goes through `privacy.delete_candidacies` (the registry); the anonymous counts of
the indicators stay.
"""

from datetime import time, timedelta

from sqlalchemy import select

from ... import clock
from ...extensions import db
from ...models import Candidacy, Relay
from ..jobs import scheduled
from ..transaction import use_case
from . import messages
from .privacy import delete_candidacies
from .table import OPEN_STAGES

UNCONFIRMED = timedelta(days=7)
ENDED = timedelta(days=183)      # 6 months
STALE = timedelta(days=365)      # 12 months
AFTER_FLAG = timedelta(days=92)  # 3 months


def _ids(*conditions):
    return db.session.scalars(select(Candidacy.id).where(*conditions).order_by(Candidacy.id)
                              .with_for_update(skip_locked=True)).all()


@scheduled("candidacies.retention", daily_at=time(3, 45),
           label="Candidatures : purge des non confirmées, des terminées et des inactives")
@use_case
def purge_candidacies():
    """Apply the retention rules of candidacies; return counts (never a name)."""
    now = clock.now()
    summary = {
        "unconfirmed_deleted": delete_candidacies(_ids(
            Candidacy.stage == "submitted", Candidacy.submitted_at < now - UNCONFIRMED)),
        "ended_deleted": delete_candidacies(_ids(
            Candidacy.stage.in_(("declined", "withdrawn")),
            Candidacy.stage_changed_at < now - ENDED)),
        "stale_deleted": delete_candidacies(_ids(
            Candidacy.stage.in_(OPEN_STAGES), Candidacy.flagged_at.is_not(None),
            Candidacy.flagged_at < now - AFTER_FLAG)),
        "relay_gone_deleted": delete_candidacies(_ids(
            Candidacy.stage == "active",
            Candidacy.relay_id.in_(select(Relay.id).where(Relay.anonymised_at.is_not(None))))),
    }
    stale = db.session.scalars(
        select(Candidacy).where(Candidacy.stage.in_(OPEN_STAGES[1:]),
                                Candidacy.flagged_at.is_(None),
                                Candidacy.stage_changed_at < now - STALE)
        .order_by(Candidacy.id).with_for_update(skip_locked=True)).all()
    for candidacy in stale:
        candidacy.flagged_at = now
        messages.tell_coordinators_stale(candidacy)
    summary["stale_flagged"] = len(stale)
    return summary

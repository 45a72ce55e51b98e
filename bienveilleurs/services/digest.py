"""The coordinators' daily digest: what waits for them, counted in their scope."""

from datetime import time

from sqlalchemy import and_, func, or_, select

from .. import clock
from ..extensions import db
from ..models import Referral
from . import notifications
from .coverage import uncovered_count_for
from .jobs import scheduled
from .transaction import use_case


def counts_for(user, *, uncovered=None):
    """Counts for one coordinator: waiting to be assigned, stale, and uncovered areas.

    Uses the referral service's scoping and stale thresholds, so that the digest counts
    exactly what the coordinator's pages list.
    """
    from .referrals import scoped_referrals, stale_thresholds
    scoped = scoped_referrals(user).subquery()

    def count(condition):
        ids = select(scoped.c.id)
        return db.session.scalar(select(func.count()).select_from(Referral).where(
            Referral.id.in_(ids), condition)) or 0

    now = clock.now()
    stale = or_(*[and_(Referral.status == status, Referral.status_changed_at <= now - age)
                  for status, (_, age) in stale_thresholds().items()])
    counts = {"waiting": count(Referral.status == "reported"), "stale": count(stale)}
    if uncovered is not None:
        counts["uncovered"] = uncovered(user)
    return counts


@scheduled("notifications.digest", daily_at=time(7, 30),
           label="Résumé quotidien des coordinateurs")
@use_case
def enqueue_daily_digests():
    """Enqueue today's digest for every coordinator who has something to read."""
    return notifications.enqueue_digests(
        counts_for=lambda user: counts_for(user, uncovered=uncovered_count_for))

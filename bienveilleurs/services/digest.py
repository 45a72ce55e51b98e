"""The coordinators' daily digest: what waits for them, counted in their scope."""

from sqlalchemy import and_, func, or_, select

from .. import clock
from ..extensions import db
from ..models import Referral
from . import notifications


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


def _uncovered_counter():
    """Count uncovered coverage cells per coordinator, when the coverage feature is present."""
    try:
        from . import coverage
    except ImportError:
        return None
    return getattr(coverage, "uncovered_count_for", None)


def enqueue_daily_digests():
    """Enqueue today's digest for every coordinator who has something to read (one transaction)."""
    uncovered = _uncovered_counter()
    return notifications.enqueue_digests(counts_for=lambda user: counts_for(user, uncovered=uncovered))

"""The coordinators' daily digest: what waits for them, counted in their territories."""

from datetime import timedelta

from geoalchemy2 import Geometry
from sqlalchemy import and_, cast, exists, func, or_, select

from .. import clock
from ..extensions import db
from ..models import Referral, Resident, Territory
from . import notifications

# A referral nobody has moved for this long is "stale" (see DESIGN: nobody assigned, no
# contact, no answer from the resource).
STALE_AFTER = {
    "reported": timedelta(days=2),
    "assigned": timedelta(days=7),
    "referred": timedelta(days=7),
}


def _in_scope(user):
    """Referrals of residents inside the coordinator's territories; city-wide: every referral."""
    territory_ids = [t.id for t in user.territories]
    if not territory_ids:
        return None
    point = cast(Resident.point, Geometry)
    return exists(
        select(Territory.id).where(Territory.id.in_(territory_ids),
                                   func.ST_Intersects(Territory.area, point))
        .correlate(Resident))


def stale_condition(now=None):
    now = now or clock.now()
    return or_(*[and_(Referral.status == status, Referral.status_changed_at < now - age)
                 for status, age in STALE_AFTER.items()])


def counts_for(user, *, uncovered=None):
    """Counts for one coordinator: waiting to be assigned, stale, and uncovered areas."""
    base = select(func.count()).select_from(Referral).join(Resident, Resident.id == Referral.resident_id)
    scope = _in_scope(user)
    if scope is not None:
        base = base.where(scope)
    waiting = db.session.scalar(base.where(Referral.status == "reported"))
    stale = db.session.scalar(base.where(stale_condition()))
    counts = {"waiting": waiting or 0, "stale": stale or 0}
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


__all__ = ["counts_for", "enqueue_daily_digests", "stale_condition", "STALE_AFTER"]

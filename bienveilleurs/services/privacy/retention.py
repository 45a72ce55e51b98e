"""The retention job: anonymise residents with no sign of life for RETENTION_DAYS and relays
who left as long ago, purge old traces (access log, sign-in counters, messages, links)."""

import logging
from datetime import time, timedelta

from sqlalchemy import delete, func, or_, select, text, update

from geo.points import lon_lat, stored_point
from geo.privacy import approximate_point

from ... import clock
from ...config import setting
from ...extensions import db
from ...models import (
    AccountToken,
    ApiToken,
    Contact,
    LoginThrottle,
    Notification,
    Referral,
    ReferralEvent,
    Relay,
    Resident,
    User,
)
from ..campaigns.watch import forget as forget_watch
from ..jobs import scheduled
from ..transaction import use_case
from .opposition import ACTIVE_STATUSES
from .registry import scrub

log = logging.getLogger("bienveilleurs.privacy")

ANONYMISED_RELAY = "Bienveilleur anonymisé"
# Open referrals closed by the retention job: the person was not seen for the whole period.
RETENTION_OUTCOME = "no_longer_needed"
RETENTION_REASON = "retention"

def _last_activity():
    """SQL expression: the last sign of life of a resident (contact, referral event, creation)."""
    last_contact = (select(func.max(Contact.at)).join(Referral, Referral.id == Contact.referral_id)
                    .where(Referral.resident_id == Resident.id)
                    .correlate(Resident).scalar_subquery())
    last_event = (select(func.max(ReferralEvent.at))
                  .join(Referral, Referral.id == ReferralEvent.referral_id)
                  .where(Referral.resident_id == Resident.id)
                  .correlate(Resident).scalar_subquery())
    return func.greatest(Resident.created_at, Resident.last_contact_at, last_contact, last_event)


def residents_due(now, retention_days):
    """Ids of residents with no sign of life for `retention_days`, not yet anonymised."""
    cutoff = now - timedelta(days=retention_days)
    return db.session.scalars(
        select(Resident.id).where(Resident.erased_at.is_(None), Resident.anonymised_at.is_(None),
                                  _last_activity() < cutoff)
        .order_by(Resident.id)).all()


def _close_for_retention(resident_ids, now):
    """Close the open referrals of these residents; free their relays' capacity."""
    referrals = db.session.scalars(
        select(Referral).where(Referral.resident_id.in_(resident_ids), Referral.status != "closed")
        .order_by(Referral.id).with_for_update().execution_options(populate_existing=True)).all()
    relay_ids = sorted({r.relay_id for r in referrals
                        if r.status in ACTIVE_STATUSES and r.relay_id is not None}, key=str)
    relays = {relay.id: relay for relay in db.session.scalars(
        select(Relay).where(Relay.id.in_(relay_ids)).order_by(Relay.id).with_for_update(of=Relay)
        .execution_options(populate_existing=True))} if relay_ids else {}
    for referral in referrals:
        source = referral.status
        if source in ACTIVE_STATUSES and referral.relay_id in relays:
            relays[referral.relay_id].active_referrals -= 1
        referral.status, referral.outcome = "closed", RETENTION_OUTCOME
        referral.status_changed_at = now
        db.session.add(ReferralEvent(
            referral_id=referral.id, at=now, actor_id=None, actor_role="system",
            from_status=source, to_status="closed", reason=RETENTION_REASON,
            relay_id=referral.relay_id, resource_id=referral.resource_id,
            outcome=RETENTION_OUTCOME))
    db.session.flush()
    return len(referrals)


def _anonymise_relays(now, retention_days):
    cutoff = now - timedelta(days=retention_days)
    relays = db.session.scalars(
        select(Relay).where(Relay.status == "ended", Relay.anonymised_at.is_(None),
                            func.coalesce(Relay.ended_at, Relay.updated_at) < cutoff)
        .order_by(Relay.id).with_for_update(of=Relay).execution_options(populate_existing=True)).all()
    for relay in relays:
        lon, lat = approximate_point(*lon_lat(relay.point))
        relay.display_name = ANONYMISED_RELAY
        relay.phone = None
        relay.point = stored_point(lon, lat)
        relay.availability = None
        relay.skills = []
        relay.anonymised_at = now
        if relay.user_id is not None:
            db.session.execute(update(User).where(User.id == relay.user_id).values(
                email=f"anonymise-{relay.user_id}@anonymise.invalid", display_name="",
                password_hash=None, active=False, session_version=User.session_version + 1))
            db.session.execute(delete(ApiToken).where(ApiToken.user_id == relay.user_id))
            db.session.execute(delete(Notification)
                               .where(Notification.recipient_user_id == relay.user_id))
    return len(relays)


def _purge_messages(now, retention_days):
    """Delete delivered or abandoned notifications older than the retention period, and
    one-time account links (invitations, resets) expired for more than a day."""
    cutoff = now - timedelta(days=retention_days)
    purged = db.session.execute(delete(Notification).where(
        Notification.state != "pending", Notification.created_at < cutoff)).rowcount
    db.session.execute(delete(AccountToken)
                       .where(AccountToken.expires_at < now - timedelta(days=1)))
    return purged


def purge_access_log(access_log_days):
    """Delete access-log rows older than `access_log_days` (by the database clock).

    The guard trigger refuses any DELETE unless the setting is given for this transaction,
    and even then refuses rows younger than it.
    """
    days = int(access_log_days)
    if days < 1:
        raise ValueError("ACCESS_LOG_DAYS must be at least 1")
    db.session.execute(text("SELECT set_config('bienveilleurs.access_log_days', :days, true)"),
                       {"days": str(days)})
    result = db.session.execute(text(
        "DELETE FROM access_log WHERE at < now() - make_interval(days => :days)"), {"days": days})
    return result.rowcount


@scheduled("privacy.retention", daily_at=time(3, 30),
           label="Conservation : anonymisation et purge des données anciennes")
@use_case
def run_retention(*, retention_days=None, access_log_days=None, batch_size=500):
    """Anonymise and purge per the retention settings; idempotent. Return what was done."""
    retention_days = retention_days or setting("RETENTION_DAYS")
    access_log_days = access_log_days or setting("ACCESS_LOG_DAYS")
    now = clock.now()
    summary = {"residents_anonymised": 0, "referrals_closed": 0, "relays_anonymised": 0,
               "access_log_purged": 0, "login_throttle_purged": 0, "notifications_purged": 0}
    due = residents_due(now, retention_days)
    for start in range(0, len(due), batch_size):
        batch = due[start:start + batch_size]
        summary["referrals_closed"] += _close_for_retention(batch, now)
        forget_watch(batch)  # an anonymised person leaves the watch register
        scrub(batch, "anonymise")
        db.session.execute(update(Resident).where(Resident.id.in_(batch))
                           .values(anonymised_at=now)
                           .execution_options(synchronize_session=False))
        summary["residents_anonymised"] += len(batch)
    summary["relays_anonymised"] = _anonymise_relays(now, retention_days)
    from ..accounts import FAILURE_MEMORY
    summary["login_throttle_purged"] = db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - FAILURE_MEMORY,
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now))).rowcount
    summary["notifications_purged"] = _purge_messages(now, retention_days)
    summary["access_log_purged"] = purge_access_log(access_log_days)
    log.info("retention run: %s", summary)
    return summary

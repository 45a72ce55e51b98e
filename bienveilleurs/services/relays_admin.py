"""Running the relays network: register by invitation, pause, resume, end; load and history.

Wraps the directory's relay functions (services/directory/) so that each change is one
transaction with its audit entry, and a new relay's account is created by invitation.
"""

from sqlalchemy import func, select

from .. import clock
from ..errors import Conflict
from ..extensions import db
from ..models import AuditEntry, Referral, ReferralEvent, Relay, Role
from . import audit, directory, invitations, referrals
from .accounts import email_taken, normalise_email
from .transaction import use_case


@use_case
def register_relay(actor, record, *, area, max_radius_m, geocoder=None):
    """Register a relay in one go: the account by invitation (when the e-mail has none yet)
    and the relay profile; one transaction, audited. Returns (relay, invited)."""
    email = normalise_email(record.get("email") or "")
    # The directory checks the name with the rest of the record; the account takes at most
    # its first 120 characters.
    name = (record.get("display_name") or "").strip()[:120]
    invited = bool(email) and not email_taken(email)
    if invited:
        invitations.invite(actor, email=email, role=Role.RELAY.value, display_name=name)
    who = f" ({email}, invitation envoyée)" if invited else (f" ({email})" if email else "")
    audit.record(actor, "relay.registered", target_type="relay",
                 summary=f"Inscription de « {name} »{who}", email=email or None, invited=invited)
    relay = directory.register_relay(record, area=area, max_radius_m=max_radius_m,
                                     geocoder=geocoder)
    return relay, invited


@use_case
def update_relay(actor, relay_id, record, *, area, max_radius_m, geocoder=None):
    """Edit a relay's profile (coordinators), audited."""
    relay = directory.get_relay(relay_id)
    audit.record(actor, "relay.updated", target_type="relay", target_id=relay.id,
                 summary=f"Profil de « {relay.display_name} » modifié")
    return directory.update_relay(relay.id, record, area=area, max_radius_m=max_radius_m,
                                  geocoder=geocoder)


@use_case
def set_status(actor, relay_id, status):
    """Pause or resume a relay (their current people stay with them), audited."""
    relay = directory.get_relay(relay_id)
    paused = status == "paused"
    audit.record(actor, "relay.paused" if paused else "relay.resumed", target_type="relay",
                 target_id=relay.id, summary=f"« {relay.display_name} » "
                 + ("en pause" if paused else "de nouveau actif"))
    return directory.set_relay_status(relay.id, status)


@use_case
def end_relay(actor, relay_id):
    """End a relay's engagement: every active referral goes back to the coordinators' inbox.

    Returns (relay, how many referrals were sent back). The relay row is locked first, so an
    assignment racing with the end either lands before (and is sent back) or is refused.
    """
    relay = directory.get_relay(relay_id)
    relay = db.session.scalar(select(Relay).where(Relay.id == relay.id).with_for_update(of=Relay)
                              .execution_options(populate_existing=True))
    if relay.status == "ended":
        raise Conflict("Ce bienveilleur a déjà terminé son engagement.")
    count = referrals.release_relay(actor, relay)
    relay.status = "ended"
    relay.ended_at = clock.now()
    audit.record(actor, "relay.ended", target_type="relay", target_id=relay.id,
                 summary=f"Fin d'engagement de « {relay.display_name} » ; {count} orientation(s) "
                         "revenue(s) à la coordination", referrals_sent_back=count)
    return relay, count


def load_and_history(relay_id, *, limit=100):
    """A relay's current load (active referrals by status) and their history (events, changes)."""
    relay = directory.get_relay(relay_id)
    by_status = dict(db.session.execute(
        select(Referral.status, func.count())
        .where(Referral.relay_id == relay.id, Referral.status.in_(referrals.ACTIVE_STATUSES))
        .group_by(Referral.status)).all())
    events = db.session.scalars(
        select(ReferralEvent).where(ReferralEvent.relay_id == relay.id)
        .order_by(ReferralEvent.id.desc()).limit(limit)).all()
    changes = db.session.scalars(
        select(AuditEntry).where(AuditEntry.target_type == "relay",
                                 AuditEntry.target_id == str(relay.id))
        .order_by(AuditEntry.id.desc()).limit(limit)).all()
    closed = db.session.scalar(
        select(func.count(func.distinct(ReferralEvent.referral_id)))
        .where(ReferralEvent.relay_id == relay.id, ReferralEvent.to_status == "closed")) or 0
    return {"relay": relay, "by_status": by_status, "events": events, "changes": changes,
            "closed": closed}

"""Running the relays network: register by invitation, pause, resume, end; load and history.

Wraps the directory's relay functions (services/directory/) so that each change is one
transaction with its audit entry, and a new relay's account is created by invitation.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from .. import clock
from ..errors import Conflict
from ..extensions import db
from ..models import AuditEntry, Referral, ReferralEvent, Role
from . import audit, directory, invitations, referrals
from .accounts import email_taken, normalise_email
from .transaction import use_case


def _audit_link(actor, relay, link):
    """Audit a change of the account linked to a relay, with the old and the new one."""
    before, after = link
    if before == after:
        return
    audit.record(actor, "relay.account_changed", target_type="relay", target_id=relay.id,
                 summary=f"Compte rattaché à « {relay.display_name} » : {before or 'aucun'} → "
                         f"{after or 'aucun'}", before=before, after=after)


@use_case
def register_relay(actor, record, *, area, max_radius_m, geocoder=None, invite=True,
                   strict=False):
    """Register a relay in one go: the account by invitation (when the e-mail has none yet
    and `invite`; the API links existing accounts only) and the relay profile, at a point
    `actor` manages; one transaction, audited. Returns (relay, invited)."""
    email = normalise_email(record.get("email") or "") if isinstance(
        record.get("email"), str) else ""
    # The directory checks the name with the rest of the record; the account takes at most
    # its first 120 characters.
    name = str(record.get("display_name") or "").strip()[:120]
    invited = invite and bool(email) and not email_taken(email)
    if invited:
        invitations.invite(actor, email=email, role=Role.RELAY.value, display_name=name)
    who = f" ({email}, invitation envoyée)" if invited else (f" ({email})" if email else "")
    audit.record(actor, "relay.registered", target_type="relay",
                 summary=f"Inscription de « {name} »{who}", email=email or None, invited=invited)
    relay, link = directory.register_relay(actor, record, area=area, max_radius_m=max_radius_m,
                                           geocoder=geocoder, strict=strict)
    _audit_link(actor, relay, link)
    return relay, invited


@use_case
def update_relay(actor, relay_id, record, *, area, max_radius_m, geocoder=None):
    """Edit the profile of a relay `actor` manages, audited (a new account with its own entry)."""
    relay = directory.get_relay(actor, relay_id)
    audit.record(actor, "relay.updated", target_type="relay", target_id=relay.id,
                 summary=f"Profil de « {relay.display_name} » modifié")
    relay, link = directory.update_relay(actor, relay.id, record, area=area,
                                         max_radius_m=max_radius_m, geocoder=geocoder)
    _audit_link(actor, relay, link)
    return relay


@use_case
def set_status(actor, relay_id, status):
    """Pause or resume a relay `actor` manages (their current people stay with them), audited."""
    relay = directory.get_relay(actor, relay_id)
    paused = status == "paused"
    audit.record(actor, "relay.paused" if paused else "relay.resumed", target_type="relay",
                 target_id=relay.id, summary=f"« {relay.display_name} » "
                 + ("en pause" if paused else "de nouveau actif"))
    return directory.set_relay_status(actor, relay.id, status)


@use_case
def end_relay(actor, relay_id):
    """End a relay's engagement: every active referral goes back to the coordinators' inbox.

    Returns (relay, how many referrals were sent back). The relay row is locked first, so an
    assignment racing with the end either lands before (and is sent back) or is refused.
    """
    relay = directory.get_relay(actor, relay_id, lock=True)
    if relay.status == "ended":
        raise Conflict("Ce bienveilleur a déjà terminé son engagement.")
    count = referrals.release_relay(actor, relay)
    relay.status = "ended"
    relay.ended_at = clock.now()
    audit.record(actor, "relay.ended", target_type="relay", target_id=relay.id,
                 summary=f"Fin d'engagement de « {relay.display_name} » ; {count} orientation(s) "
                         "revenue(s) à la coordination", referrals_sent_back=count)
    return relay, count


@dataclass
class HistoryEvent:
    """One move of a referral in a relay's history, as the reader may see it."""

    at: datetime
    from_status: str | None
    to_status: str
    reason: str | None  # a known reason's label; free text only to those who see the referral


def _history(actor, events):
    """The events with their reasons cut to what `actor` may read.

    A reason typed by a person (why a relay was unassigned…) is about the person: it is shown
    only to those who may see the referral; a known reason code shows as its label to all.
    """
    ids = {e.referral_id for e in events}
    seen = set(db.session.scalars(referrals.scoped_referrals(actor)
                                  .with_only_columns(Referral.id)
                                  .where(Referral.id.in_(ids)))) if ids else set()
    rows = []
    for event in events:
        reason = None
        if event.reason:
            reason = (referrals.reason_label(event.reason) if event.referral_id in seen
                      else referrals.REASON_LABELS.get(event.reason))
        rows.append(HistoryEvent(event.at, event.from_status, event.to_status, reason))
    return rows


def load_and_history(actor, relay_id, *, limit=100):
    """A relay's current load (active referrals by status) and their history (events, changes),
    for a relay `actor` manages (404 otherwise)."""
    relay = directory.get_relay(actor, relay_id)
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
    return {"relay": relay, "by_status": by_status, "events": _history(actor, events),
            "changes": changes, "closed": closed}
